"""The escalation handler: help requests that peers cannot answer go to humans.

    escalations = build_escalations(settings)
    escalations.handle(envelope)   # each hmmm.help / hmmm.feedback of the escalation queue
    escalations.sweep()            # on a schedule: help requests past their deadline

A `hmmm.help` opens the thread's next help round (counted in DynamoDB,
bzzz.escalation.store). A peer's `hmmm.feedback` in reply to it answers it,
and the task, escalated by its runner, goes back to the queue with the answer
in its thread. A help request escalates to humans when the rounds pass
`max_rounds`, or when it is still unanswered at its deadline: `sweep()`
re-sends the help message to the escalation queue, whose handler escalates
(so retries, backoff and the dead-letter queue are SQS's, as for any message).
Escalating = claim the round (a conditional write), then each step once:
the signed webhook, the issue comment mentioning the maintainers, the
`bzzz:escalated` label, `hmmm.escalated` on the bus.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bzzz import aws, threads
from bzzz.audit.wiring import control_plane_listeners
from bzzz.config import Settings
from bzzz.errors import TransitionError
from bzzz.escalation.notify import ESCALATED_LABEL, comment_body, maintainers, post_webhook
from bzzz.escalation.payload import build_payload, round_id
from bzzz.escalation.policy import EscalationPolicy
from bzzz.escalation.store import EscalationStore
from bzzz.messages import Envelope, MessageType
from bzzz.tasks.lifecycle import Lifecycle, Publisher

if TYPE_CHECKING:
    from bzzz.github import GitHubApi
    from bzzz.secrets import SecretStore

log = logging.getLogger(__name__)

CONTROL_PLANE = "control-plane"


class Escalations:
    def __init__(
        self,
        settings: Settings,
        *,
        github: Callable[[str], GitHubApi],
        publisher: Publisher,
        secrets: SecretStore,
        policy: EscalationPolicy | None = None,
        store: EscalationStore | None = None,
        clock: Callable[[], float] = time.time,
        sqs: Any = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or EscalationPolicy()
        self._github = github
        self._publisher = publisher
        self._secrets = secrets
        self._store = store or EscalationStore(settings)
        self._clock = clock
        self._sqs = sqs
        self._lifecycle = Lifecycle(
            settings, publisher=publisher, listeners=control_plane_listeners(settings, secrets)
        )

    # ----- messages ---------------------------------------------------------------

    def handle(self, envelope: Envelope) -> str:
        """Act on one message of the escalation queue; return what happened (logs, tests)."""
        if envelope.type is MessageType.HMMM_HELP:
            return self._help(envelope)
        if envelope.type is MessageType.HMMM_FEEDBACK:
            return self._feedback(envelope)
        return "ignored"

    def _help(self, envelope: Envelope) -> str:
        now = self._clock()
        deadline = now + self.policy.help_timeout_seconds
        number, item, fresh = self._store.open_help(
            envelope.task, envelope.id, envelope.to_json(), now, deadline
        )
        if fresh:  # the runner publishes help without writing the thread: we write it, once
            threads.record(self.settings, envelope)
        state = item.get("state", {}).get("S")
        if number > self.policy.max_rounds:
            reason = f"{number} help requests on this task (more than {self.policy.max_rounds})"
            return self._escalate(envelope, number, reason)
        if state == "open" and now >= float(item["deadline"]["N"]):
            reason = f"no peer answered within {self.policy.help_timeout_seconds:.0f}s"
            return self._escalate(envelope, number, reason)
        return f"help round {number} open"

    def _feedback(self, envelope: Envelope) -> str:
        help_id = str(envelope.data.get("in_reply_to") or "")
        if not help_id or not self._store.answer_help(envelope.task, help_id, envelope.sender):
            return "ignored"
        try:
            self._lifecycle.resume(envelope.task, f"{envelope.sender} answered the help request")
        except TransitionError as exc:  # not escalated (still running, cancelled): keep it
            log.info("%s: answered, not requeued: %s", envelope.task, exc.reason)
            return "answered"
        return "answered, requeued"

    # ----- the clock ------------------------------------------------------------------

    def sweep(self) -> list[str]:
        """Re-send help requests past their deadline to the escalation queue; their ids."""
        now = self._clock()
        sent = []
        for seq, task, help_id in self._store.due(now):
            item = self._store.help_item(task, help_id)
            if item and item.get("state", {}).get("S") == "open":
                self._requeue_message(task, help_id, item["envelope"]["S"])
                sent.append(help_id)
            self._store.forget_due(seq)
        return sent

    def _requeue_message(self, task: str, help_id: str, body: str) -> None:
        sqs = self._sqs or aws.client("sqs", self.settings)
        sqs.send_message(
            QueueUrl=self.settings.queue_url("escalation"),
            MessageBody=body,
            MessageGroupId=task,
            MessageDeduplicationId=f"{help_id}-due",
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": str(MessageType.HMMM_HELP)}
            },
        )

    # ----- escalating ---------------------------------------------------------------

    def _escalate(self, help_request: Envelope, number: int, reason: str) -> str:
        task_key = help_request.task
        owner = uuid.uuid4().hex
        done = self._store.claim(task_key, number, owner, self._clock())
        if done is None:
            return f"round {number} already escalated"
        try:
            self._steps(help_request, number, reason, done)
        except BaseException:
            self._store.release(task_key, number)
            raise
        self._store.finish(task_key, number, self._clock())
        # Humans have it now: a late peer answer must not requeue the task under them.
        self._store.mark_escalated(task_key, help_request.id)
        return f"escalated round {number}"

    def _steps(self, help_request: Envelope, number: int, reason: str, done: set[str]) -> None:
        task_key = help_request.task
        repo, _, issue = task_key.rpartition("#")
        api = self._github(repo)
        info = api.issue(repo, int(issue))
        thread = threads.entries(task_key)
        url = self.settings.escalation_webhook_url
        if "webhook" not in done and url:
            payload = build_payload(info, task_key, help_request, number, reason, thread)
            status = post_webhook(
                url, payload,
                secret=self._secrets.require("escalation_secret"),
                idempotency_key=round_id(task_key, number),
                attempts=self.policy.webhook_attempts,
                backoff=self.policy.webhook_backoff_seconds,
            )  # fmt: skip
            self._store.step_done(task_key, number, "webhook", status)
        if "comment" not in done:
            mention = maintainers(api, repo)
            body = comment_body(reason, str(help_request.data.get("text", "")), mention, thread)
            comment = api.comment(repo, int(issue), body)
            self._store.step_done(task_key, number, "comment", comment.id)
        if "label" not in done:
            api.add_labels(repo, int(issue), [ESCALATED_LABEL])
            self._store.step_done(task_key, number, "label")
        if "published" not in done:
            escalated = Envelope(
                MessageType.HMMM_ESCALATED, CONTROL_PLANE, task_key,
                {"round": number, "text": reason, "in_reply_to": help_request.id,
                 "trigger": str(help_request.data.get("trigger") or "help")[:200]},
                id=round_id(task_key, number),
            )  # fmt: skip
            threads.record(self.settings, escalated)
            self._publisher.publish(escalated)
            self._store.step_done(task_key, number, "published")


def build_escalations(
    settings: Settings,
    secrets: SecretStore | None = None,
    policy: EscalationPolicy | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], float] = time.time,
) -> Escalations:
    """Escalations wired to the settings' tables, bus and GitHub credentials."""
    from bzzz.bus import Bus
    from bzzz.reconcile.credentials import GitHubPicker
    from bzzz.secrets import SecretStore
    from bzzz.store.models import bind

    bind(settings)
    store = secrets or SecretStore(settings)
    return Escalations(
        settings,
        github=GitHubPicker(settings, store),
        publisher=publisher or Bus(settings),
        secrets=store,
        policy=policy or EscalationPolicy.from_settings(settings),
        clock=clock,
    )
