"""PynamoDB models: the one definition of every table's items (template.yaml declares the same).

The persistence style (docs/architecture.md, "Persistence"): these models define
the tables and serve reads and whole-row writes (an agent's heartbeat row, a
repository's registry row). Conditional writes - the transitions, delivery
claims, thread appends, status-comment rights - go through the low-level client,
because they need `ReturnValuesOnConditionCheckFailure`, which PynamoDB lacks;
they write the attribute layout declared here, and `bzzz.store.conditions` is
their one refusal check. The audit table has no model on purpose: its verifier
must read tampered items exactly as stored, which a model would coerce or reject.

Table names and the endpoint are not known at import time, so the models are
bound to a `Settings` by `bind()` once per process, by whatever composes that
process (a Lambda function's `build_*`, the runner's start checks, a CLI command).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from bzzz.config import Settings


class _ByState(GlobalSecondaryIndex["Task"]):
    class Meta:
        index_name = "by-state"
        projection = AllProjection()

    state = UnicodeAttribute(hash_key=True)
    lease_expires_at = NumberAttribute(range_key=True)


class _ByRepo(GlobalSecondaryIndex["Task"]):
    class Meta:
        index_name = "by-repo"
        projection = AllProjection()

    repo = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)


class Task(Model):
    """One issue's task. Its key is `owner/repo#number`."""

    class Meta:
        table_name = "unbound-tasks"

    key = UnicodeAttribute(hash_key=True)
    repo = UnicodeAttribute()
    number = NumberAttribute()
    title = UnicodeAttribute(default="")
    state = UnicodeAttribute()
    lease_owner = UnicodeAttribute(null=True)
    # Epoch seconds; 0 when nobody holds a lease, so every task is in by-state.
    lease_expires_at = NumberAttribute(default=0)
    attempt = NumberAttribute(default=1)
    version = NumberAttribute(default=0)
    created_at = NumberAttribute()
    # When the event that made it happened, by GitHub's clock (the labelling, the
    # `/bzzz retry`); None when the poll or a command made it. Guard.EVENT_NEWER.
    summoned_at = NumberAttribute(null=True)
    summoned_by = UnicodeAttribute(null=True)  # the delivery id of that event
    updated_at = NumberAttribute()
    pr_url = UnicodeAttribute(null=True)
    branch = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    # The issue text a writer approved (bzzz.intake.approval), and who: an agent
    # is briefed on that text only.
    approved_digest = UnicodeAttribute(null=True)
    approved_by = UnicodeAttribute(null=True)
    # Status sync's mirror on the issue (bzzz.status.sync): the id of the one
    # status comment (negative while a sync holds the right to post it), and
    # what the comment, labels and reaction show, so a replay changes nothing.
    status_comment_id = NumberAttribute(null=True)
    status_shown = JSONAttribute(null=True)
    # Review rounds (bzzz.review): the round this attempt answers (0: the issue itself);
    # feedback writers left on the pull request since, waiting for its quiet period
    # (`kind:id` of reviews and comments); what the current round answers (a JSON
    # list of the same); set once the pull request is merged or closed.
    round = NumberAttribute(default=0)
    feedback = UnicodeSetAttribute(null=True)
    feedback_first_at = NumberAttribute(null=True)
    feedback_last_at = NumberAttribute(null=True)
    round_feedback = UnicodeAttribute(null=True)
    pr_closed = NumberAttribute(null=True)
    # Every piece of feedback ever taken (so the reconcile poll adds none twice).
    feedback_seen = UnicodeSetAttribute(null=True)
    # The pull request's settled `updated_at` (GitHub's text) when its feedback was last
    # read, or as the runner left it: the reconcile poll reads nothing more while it holds.
    review_updated_at = UnicodeAttribute(null=True)
    # Every state the task entered, `[epoch seconds, state]`, oldest first: appended by the
    # very write that changes the state (bzzz.tasks.writes), reset when a finished task is
    # made again. A few dozen entries at most (attempts and review rounds are bounded).
    history: ListAttribute[list[Any]] = ListAttribute(null=True)

    by_state = _ByState()
    by_repo = _ByRepo()


class Agent(Model):
    """A live runner; the row expires by TTL when its heartbeats stop."""

    class Meta:
        table_name = "unbound-agents"

    agent_id = UnicodeAttribute(hash_key=True)
    capabilities = UnicodeSetAttribute(default=set)
    models = UnicodeSetAttribute(default=set)
    capacity = NumberAttribute(default=1)
    current_tasks = ListAttribute(of=UnicodeAttribute, default=list)
    public_key = UnicodeAttribute(null=True)
    last_seen = NumberAttribute()
    expires_at = TTLAttribute()


class WebhookDelivery(Model):
    """A webhook delivery being or already handled, kept for de-duplication until its TTL.

    Written by `bzzz.intake.deliveries` (conditional claims); `status` is
    `in_progress` or `handled`, `outcome` what handling it did.
    """

    class Meta:
        table_name = "unbound-deliveries"

    delivery_id = UnicodeAttribute(hash_key=True)
    event = UnicodeAttribute()
    received_at = NumberAttribute()
    stale_at = NumberAttribute(null=True)  # the first handler's deadline: after it, nobody's
    status = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class _ByProjectId(GlobalSecondaryIndex["Repo"]):
    class Meta:
        index_name = "by-project-id"
        projection = AllProjection()

    project_id = NumberAttribute(hash_key=True)


class Repo(Model):
    """A repository Bzzz serves: the registry behind the Hive-compatible API."""

    class Meta:
        table_name = "unbound-repos"

    full_name = UnicodeAttribute(hash_key=True)
    project_id = NumberAttribute()
    owner = UnicodeAttribute()
    name = UnicodeAttribute()
    git_url = UnicodeAttribute()
    default_branch = UnicodeAttribute(default="main")
    enabled = NumberAttribute(default=1)
    private = NumberAttribute(default=0)
    installation_id = NumberAttribute(null=True)
    # ETag of the last summon-label issue listing, for conditional polling.
    issues_etag = UnicodeAttribute(null=True)
    updated_at = NumberAttribute()

    by_project_id = _ByProjectId()


class ThreadMessage(Model):
    """One message of a task's discussion thread (HMMM), in order."""

    class Meta:
        table_name = "unbound-threads"

    thread = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    ts = NumberAttribute()
    sender = UnicodeAttribute()
    type = UnicodeAttribute()
    data = JSONAttribute(default=dict)


ALL_MODELS: dict[str, type[Model]] = {
    "tasks_table": Task,
    "agents_table": Agent,
    "deliveries_table": WebhookDelivery,
    "repos_table": Repo,
    "threads_table": ThreadMessage,
}


def bind(settings: Settings) -> None:
    """Point every model at the settings' tables, region and endpoint (again: no-op)."""
    for attribute, model in ALL_MODELS.items():
        if (model.Meta.table_name, getattr(model.Meta, "host", None)) == (
            getattr(settings, attribute),
            settings.endpoint_url("dynamodb"),
        ) and getattr(model.Meta, "region", None) == settings.region:
            continue
        meta = model.Meta
        meta.table_name = getattr(settings, attribute)
        meta.region = settings.region
        meta.host = settings.endpoint_url("dynamodb")
        meta.max_pool_connections = 64
        # PynamoDB caches its connection on the class; drop it so the new
        # endpoint and table name take effect.
        model._connection = None
