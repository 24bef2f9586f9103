"""Routing by `name.action`, then `name`, then the wildcard `*`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bzzz.webhooks.context import Context
from bzzz.webhooks.event import WebhookEvent

WILDCARD = "*"


@dataclass(frozen=True)
class Outcome:
    """What a delivery came to: the HTTP status to answer and why."""

    status: int
    reason: str
    task: str | None = None
    # False: nothing was decided (GitHub failed us); a redelivery must be handled anew.
    final: bool = True
    # True when this delivery created a task (the "tasks created" metric).
    created: bool = False
    # Seconds before a redelivery can be handled (409: the first handler may still run).
    retry_after: int | None = None

    @classmethod
    def done(cls, reason: str, task: str | None = None, *, created: bool = False) -> Outcome:
        return cls(200, reason, task, created=created)

    @classmethod
    def ignored(cls, reason: str, task: str | None = None) -> Outcome:
        # 202: received and understood, deliberately not acted on.
        return cls(202, reason, task)


Handler = Callable[[Context], Outcome]


class Router:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def on(self, *keys: str) -> Callable[[Handler], Handler]:
        """Register a handler for `name.action`, `name` or `*` (one handler per key)."""

        def register(handler: Handler) -> Handler:
            for key in keys:
                if key in self._handlers:
                    raise ValueError(f"a handler for {key!r} is already registered")
                self._handlers[key] = handler
            return handler

        return register

    def find(self, event: WebhookEvent) -> Handler | None:
        for key in (event.key, event.name, WILDCARD):
            handler = self._handlers.get(key)
            if handler is not None:
                return handler
        return None

    def dispatch(self, context: Context) -> Outcome:
        handler = self.find(context.event)
        if handler is None:
            return Outcome.ignored(f"no handler for {context.event.key}")
        return handler(context)
