"""The webhook's domain: de-duplicate a verified delivery, route it, record the outcome.

Only what must happen before GitHub gets its answer happens here: the
de-duplicating write, the permission check, the task write and its message.
Reactions, labels and status comments are status sync's, from the message;
the one exception is the polite refusal to a summoner without write access.

Failure policy. A payload we cannot use is the sender's problem (4xx/202,
with the reason). GitHub failing during a permission check decides nothing:
202, the delivery left redeliverable, and the reconcile poll decides on its
next run. Our own infrastructure failing (DynamoDB, SNS, configuration) raises,
the delivery record is removed so a redelivery is handled anew, and the HTTP
layer answers 503.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bzzz import aws
from bzzz.audit.wiring import control_plane_listeners
from bzzz.config import Settings
from bzzz.errors import ConfigError, InputError
from bzzz.intake.comments import CommentEvents
from bzzz.intake.deliveries import HANDLER_SECONDS, Claim, Deliveries
from bzzz.intake.installations import InstallationEvents
from bzzz.intake.issues import IssueEvents
from bzzz.intake.reviews import ReviewEvents
from bzzz.messages import Envelope, MessageType
from bzzz.store.models import Task
from bzzz.tasks.lifecycle import CONTROL_PLANE, Lifecycle, Publisher
from bzzz.tasks.writes import snapshot
from bzzz.threads import Threads
from bzzz.webhooks import Context, GitHubFactory, Outcome, Router, WebhookEvent

if TYPE_CHECKING:
    from bzzz.github import GitHubApi
    from bzzz.secrets import SecretStore

log = logging.getLogger(__name__)
# What a handler raises on a payload of a shape it did not foresee.
_SHAPE_ERRORS = (KeyError, TypeError, AttributeError, ValueError)


class Intake:
    def __init__(
        self,
        settings: Settings,
        *,
        publisher: Publisher,
        github_factory: GitHubFactory,
        lifecycle: Lifecycle | None = None,
        dynamodb: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        db = dynamodb or aws.client("dynamodb", settings)
        self._settings = settings
        self._publisher = publisher
        self._github_factory = github_factory
        self.lifecycle = lifecycle or Lifecycle(
            settings,
            publisher=publisher,
            dynamodb=db,
            clock=clock,
            listeners=control_plane_listeners(settings),
        )
        self.deliveries = Deliveries(settings, db, clock)
        self.router = Router()
        IssueEvents(settings, self.lifecycle, self.announce, db).register(self.router)
        threads = Threads(settings, db, clock)
        reviews = ReviewEvents(settings, self.lifecycle, db, clock)
        reviews.register(self.router)
        CommentEvents(
            settings, self.lifecycle, threads, db, on_pull=reviews.conversation_comment
        ).register(self.router)
        InstallationEvents(settings, db, clock).register(self.router)

    def announce(self, task: Task) -> None:
        """Publish `task.available` for a queued task again (claims stay exactly-once)."""
        self._publisher.publish(
            Envelope(
                type=MessageType.TASK_AVAILABLE,
                sender=CONTROL_PLANE,
                task=task.key,
                data=snapshot(task),
            )
        )

    def handle(self, event: WebhookEvent, handler_seconds: float = HANDLER_SECONDS) -> Outcome:
        """Handle one verified delivery exactly once; `handler_seconds`: this call's deadline."""
        if event.name == "ping":
            return Outcome.done("pong")
        found = self.router.find(event)
        if found is None:
            return Outcome.ignored(f"Bzzz does not act on {event.key} events")
        owner = owner_of(event.payload)
        if owner is not None and not self._settings.serves(owner):
            # Anyone can install a public App: only the operator's accounts are served.
            log.warning("delivery %s from %s, not an allowed owner: ignored", event.id, owner)
            return Outcome.ignored(f"{owner} is not an account this Bzzz serves")
        context = Context(event, self._github_factory)
        try:
            screened = self.router.screened(found, context)
        except _SHAPE_ERRORS as exc:
            log.exception("delivery %s (%s): payload not understood", event.id, event.key)
            raise InputError("payload", f"not understood ({type(exc).__name__}: {exc})") from exc
        if screened is not None:  # it changes nothing: no claim needed to do it only once
            return screened
        handler = found[0]
        begun = self.deliveries.begin(event.id, event.key, handler_seconds)
        if begun.claim is Claim.HANDLED:
            return Outcome.done("replay of a delivery already handled: nothing changed")
        if begun.claim is Claim.IN_PROGRESS:
            wait = math.ceil(begun.retry_after)
            return Outcome(
                409,
                f"this delivery is being handled right now; redeliver in {wait} s or later",
                retry_after=wait,
            )
        try:
            outcome = handler(context)
        except _SHAPE_ERRORS as exc:
            # A payload shape no handler expected: the sender's problem (400), never
            # a 5xx; logged with its traceback, since it may also be our bug.
            self.deliveries.forget(event.id)
            log.exception("delivery %s (%s): payload not understood", event.id, event.key)
            raise InputError("payload", f"not understood ({type(exc).__name__}: {exc})") from exc
        except BaseException:
            self.deliveries.forget(event.id)
            raise
        if outcome.final:
            self.deliveries.finish(event.id, outcome.reason)
        else:
            self.deliveries.forget(event.id)
        return outcome


def owner_of(payload: dict[str, Any]) -> str | None:
    """The account a delivery is about: the repository's owner, else the installation's."""
    repository = payload.get("repository")
    if isinstance(repository, dict) and isinstance(repository.get("full_name"), str):
        return str(repository["full_name"]).partition("/")[0]
    installation = payload.get("installation")
    account = installation.get("account") if isinstance(installation, dict) else None
    login = account.get("login") if isinstance(account, dict) else None
    return login if isinstance(login, str) else None


def github_factory(settings: Settings, secrets: SecretStore) -> GitHubFactory:
    """GitHub clients per installation (GitHub App), or one for the configured token; cached."""
    clients: dict[int | None, GitHubApi] = {}
    lock = threading.Lock()

    def make(installation_id: int | None) -> GitHubApi:
        from bzzz.github import GitHubApi

        private_key = secrets.get("github_app_private_key") if settings.github_app_id else None
        use_app = bool(private_key and installation_id)
        cache_key = installation_id if use_app else None
        with lock:
            if cache_key in clients:
                return clients[cache_key]
            if use_app:
                client = GitHubApi(
                    settings.github_api_url,
                    app_id=settings.github_app_id,
                    private_key=private_key,
                    installation_id=installation_id,
                )
            else:
                token = secrets.get("github_token")
                if token is None:
                    raise ConfigError(
                        "GITHUB_TOKEN", "no GitHub credential: set it, or GITHUB_APP_ID and a key"
                    )
                client = GitHubApi(settings.github_api_url, token=token)
            clients[cache_key] = client
            return client

    return make
