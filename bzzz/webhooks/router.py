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
# Decides from the payload alone, with no read or write, that a delivery needs nothing:
# the reason it is ignored, else None. Most deliveries are of this kind (Bzzz's own label
# changes and comments come back as webhooks), and a screened one costs no delivery claim.
Screen = Callable[[Context], str | None]


def ignore_all(context: Context) -> str:
    return f"{context.event.key} needs nothing from Bzzz"


class Router:
    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Handler, Screen | None]] = {}

    def on(self, *keys: str, screen: Screen | None = None) -> Callable[[Handler], Handler]:
        """Register a handler for `name.action`, `name` or `*` (one handler per key).

        `screen`, if given, runs first: a reason from it answers the delivery as ignored
        and the handler is not called."""

        def register(handler: Handler) -> Handler:
            for key in keys:
                if key in self._handlers:
                    raise ValueError(f"a handler for {key!r} is already registered")
                self._handlers[key] = (handler, screen)
            return handler

        return register

    def ignore(self, *keys: str, why: Screen = ignore_all) -> None:
        """Deliveries of these keys need nothing: answered as ignored, with `why`'s reason."""

        def ignored(context: Context) -> Outcome:
            return Outcome.ignored(why(context) or ignore_all(context))

        self.on(*keys, screen=why)(ignored)

    def find(self, event: WebhookEvent) -> tuple[Handler, Screen | None] | None:
        for key in (event.key, event.name, WILDCARD):
            found = self._handlers.get(key)
            if found is not None:
                return found
        return None

    @staticmethod
    def screened(found: tuple[Handler, Screen | None], context: Context) -> Outcome | None:
        """The outcome of a delivery `find` found a handler for, if it can be told without
        any read or write (its screen gives a reason), else None."""
        screen = found[1]
        reason = screen(context) if screen is not None else None
        return Outcome.ignored(reason) if reason is not None else None

    def dispatch(self, context: Context) -> Outcome:
        found = self.find(context.event)
        if found is None:
            return Outcome.ignored(f"no handler for {context.event.key}")
        return self.screened(found, context) or found[0](context)
