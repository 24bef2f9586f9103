"""Configuration, read from the environment in exactly one place.

`load_settings()` reads and checks every variable and names the first bad one
in a `ConfigError`; `get_settings()` caches that result for the process.
Nothing is read at import time, so importing any module costs no I/O and tests
can hand in their own `Settings`.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bzzz.errors import ConfigError
from bzzz.tasks.keys import REPO_PATTERN

# Environment variable -> template.yaml output that supplies it. The local
# backend resolves these outputs, so a local stack and a deployed stack are
# configured the same way.
RESOURCE_VARIABLES: dict[str, str] = {
    "BZZZ_TASKS_TABLE": "TasksTableName",
    "BZZZ_AGENTS_TABLE": "AgentsTableName",
    "BZZZ_DELIVERIES_TABLE": "DeliveriesTableName",
    "BZZZ_REPOS_TABLE": "ReposTableName",
    "BZZZ_THREADS_TABLE": "ThreadsTableName",
    "BZZZ_AUDIT_TABLE": "AuditTableName",
    "BZZZ_DECISIONS_BUCKET": "DecisionsBucketName",
    "BZZZ_REPORTS_BUCKET": "ReportsBucketName",
    "BZZZ_TOPIC_ARN": "BusTopicArn",
    "BZZZ_WORK_QUEUE_URL": "WorkQueueUrl",
    "BZZZ_STATUS_QUEUE_URL": "StatusQueueUrl",
    "BZZZ_ESCALATION_QUEUE_URL": "EscalationQueueUrl",
}

# Variables every component needs; queue URLs are required only by the
# component that consumes that queue (see `Settings.queue_url`).
_REQUIRED = (
    "BZZZ_TASKS_TABLE",
    "BZZZ_AGENTS_TABLE",
    "BZZZ_DELIVERIES_TABLE",
    "BZZZ_REPOS_TABLE",
    "BZZZ_THREADS_TABLE",
    "BZZZ_AUDIT_TABLE",
    "BZZZ_TOPIC_ARN",
)

QUEUES: dict[str, str] = {
    "work": "BZZZ_WORK_QUEUE_URL",
    "status": "BZZZ_STATUS_QUEUE_URL",
    "escalation": "BZZZ_ESCALATION_QUEUE_URL",
}


@dataclass(frozen=True)
class Settings:
    tasks_table: str
    agents_table: str
    deliveries_table: str
    repos_table: str
    threads_table: str
    audit_table: str
    topic_arn: str
    region: str
    # Per service ("dynamodb", "sns", "sqs"): AWS_ENDPOINT_URL_<SERVICE>, else
    # AWS_ENDPOINT_URL, else None (the real AWS endpoint). The same variables
    # the AWS SDKs read, so moto, DynamoDB Local and LocalStack can be mixed.
    endpoint_urls: Mapping[str, str | None] = field(default_factory=dict)
    queue_urls: Mapping[str, str] = field(default_factory=dict)
    lease_seconds: int = 300
    max_attempts: int = 3
    summon_label: str = "bzzz-task"
    github_api_url: str = "https://api.github.com"
    github_app_id: int | None = None
    # The dashboard's "Sign in with GitHub": the App's OAuth client id (its secret is in
    # bzzz.secrets) and where github.com's web flow lives (the stand-in's URL locally).
    github_app_client_id: str | None = None
    github_web_url: str = "https://github.com"
    # (owner, login) pairs allowed to summon agents on that owner's repositories
    # besides collaborators with write access; owner "*" is every owner.
    allowed_users: frozenset[tuple[str, str]] = frozenset()
    # Accounts (users or organisations, lower case) whose installations and
    # repositories Bzzz serves; empty serves every account that installs the App.
    allowed_owners: frozenset[str] = frozenset()
    # Repositories (`owner/name` as GitHub spells it: task keys keep its case) the
    # reconcile poll checks besides the registry's. With token auth nothing fills the
    # registry (installation events do, with an App): a missed label is found only here.
    repositories: frozenset[str] = frozenset()
    # Owners (or owner/name) whose tasks are worked by GitHub Actions jobs (docs/actions.md):
    # the control plane sends each queued task a `repository_dispatch` instead of leaving it
    # to runner daemons alone (lower case).
    actions_dispatch: frozenset[str] = frozenset()
    hive_url: str | None = None
    escalation_webhook_url: str | None = None
    # A help request unanswered this long goes to humans; more rounds than this
    # on one task go to humans at once.
    help_timeout_seconds: float = 600.0
    max_help_rounds: int = 3
    # Review rounds (bzzz.review): at most this many per pull request, each fired once
    # the writers' feedback on it has been quiet this long (one round per burst).
    max_review_rounds: int = 3
    review_quiet_seconds: float = 30.0
    # Secrets Manager secret (JSON object) holding the secrets of bzzz.secrets,
    # for deployments; locally the secrets come from the environment.
    secrets_id: str | None = None
    # The control plane's audit public key (`ed25519:...`), pinned at deploy so that
    # any verifier can check its entries; nothing in the tables can override it.
    audit_public_key: str | None = None
    # Decision records (bzzz.decisions): the bucket, and the file of age recipients (public
    # keys only) the runner encrypts to. Either unset: the runner writes no records.
    decisions_bucket: str | None = None
    decision_recipients: str | None = None
    # Published eval runs (bzzz.eval_reports, `bzzz eval --publish`); unset: none are shown.
    reports_bucket: str | None = None

    def queue_url(self, name: str) -> str:
        """The URL of queue `name` ("work", "status", "escalation"), or a ConfigError."""
        variable = QUEUES.get(name)
        if variable is None:
            raise ConfigError(f"queue {name!r}", f"unknown queue; known: {sorted(QUEUES)}")
        url = self.queue_urls.get(name)
        if not url:
            raise ConfigError(variable, "missing: required by the consumer of this queue")
        return url

    def allowed_for(self, repo: str) -> frozenset[str]:
        """The allow-listed logins of `repo`'s owner (an allowance never crosses owners)."""
        owner = repo.partition("/")[0].lower()
        return frozenset(login for scope, login in self.allowed_users if scope in (owner, "*"))

    def endpoint_url(self, service: str) -> str | None:
        return self.endpoint_urls.get(service)

    def dispatches_to_actions(self, repo: str) -> bool:
        """True when `owner/name`'s installation works its tasks as Actions jobs."""
        lowered = repo.strip().lower()
        owner = lowered.partition("/")[0]
        return owner in self.actions_dispatch or lowered in self.actions_dispatch

    def serves(self, repo_or_owner: str) -> bool:
        """True when BZZZ_ALLOWED_OWNERS is unset or names the owner of `owner[/repo]`."""
        owner = repo_or_owner.partition("/")[0].strip().lower()
        return not self.allowed_owners or owner in self.allowed_owners

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


SERVICES = ("dynamodb", "sns", "sqs", "s3", "secretsmanager", "ssm", "scheduler", "sts")


def _endpoint(env: Mapping[str, str], service: str) -> str | None:
    for variable in (f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_ENDPOINT_URL"):
        value = _url(env, variable)
        if value:
            return value
    return None


def positive_number(env: Mapping[str, str], variable: str, default: float) -> float:
    """`variable` as a number above 0, `default` when unset; ConfigError naming it otherwise."""
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(variable, f"must be a number, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(variable, f"must be above 0, got {raw}")
    return value


def _positive_int(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(variable, f"must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(variable, f"must be at least 1, got {value}")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check the environment; raise ConfigError naming the first bad variable."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for variable in _REQUIRED:
        value = env.get(variable, "").strip()
        if not value:
            raise ConfigError(variable, "missing (run `bzzz local env` for a local stack)")
        values[variable] = value
    if not values["BZZZ_TOPIC_ARN"].startswith("arn:"):
        raise ConfigError(
            "BZZZ_TOPIC_ARN", f"must be an SNS topic ARN, got {values['BZZZ_TOPIC_ARN']!r}"
        )
    region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()
    if not region:
        raise ConfigError("AWS_REGION", "missing (also accepted: AWS_DEFAULT_REGION)")
    endpoints = {service: _endpoint(env, service) for service in SERVICES}
    summon_label = env.get("BZZZ_SUMMON_LABEL", "").strip() or "bzzz-task"
    app_id = env.get("GITHUB_APP_ID", "").strip()
    return Settings(
        tasks_table=values["BZZZ_TASKS_TABLE"],
        agents_table=values["BZZZ_AGENTS_TABLE"],
        deliveries_table=values["BZZZ_DELIVERIES_TABLE"],
        repos_table=values["BZZZ_REPOS_TABLE"],
        threads_table=values["BZZZ_THREADS_TABLE"],
        audit_table=values["BZZZ_AUDIT_TABLE"],
        topic_arn=values["BZZZ_TOPIC_ARN"],
        region=region,
        endpoint_urls=endpoints,
        queue_urls={
            name: env[variable].strip()
            for name, variable in QUEUES.items()
            if env.get(variable, "").strip()
        },
        lease_seconds=_positive_int(env, "BZZZ_LEASE_SECONDS", 300),
        max_attempts=_positive_int(env, "BZZZ_MAX_ATTEMPTS", 3),
        summon_label=summon_label,
        github_api_url=_url(env, "GITHUB_API_URL") or "https://api.github.com",
        github_app_id=_positive_int(env, "GITHUB_APP_ID", 0) if app_id else None,
        github_app_client_id=env.get("GITHUB_APP_CLIENT_ID", "").strip() or None,
        github_web_url=_url(env, "GITHUB_WEB_URL") or "https://github.com",
        allowed_users=_allowed_users(env.get("BZZZ_ALLOWED_USERS", "")),
        allowed_owners=frozenset(
            owner.strip().lower()
            for owner in env.get("BZZZ_ALLOWED_OWNERS", "").split(",")
            if owner.strip()
        ),
        repositories=_repositories(env.get("BZZZ_REPOSITORIES", "")),
        actions_dispatch=frozenset(
            entry.strip().lower()
            for entry in env.get("BZZZ_ACTIONS_DISPATCH", "").split(",")
            if entry.strip()
        ),
        hive_url=_url(env, "HIVE_URL"),
        escalation_webhook_url=_url(env, "ESCALATION_WEBHOOK_URL"),
        secrets_id=env.get("BZZZ_SECRETS_ID", "").strip() or None,
        help_timeout_seconds=positive_number(env, "BZZZ_HELP_TIMEOUT_SECONDS", 600.0),
        max_help_rounds=_positive_int(env, "BZZZ_MAX_HELP_ROUNDS", 3),
        max_review_rounds=_positive_int(env, "BZZZ_MAX_REVIEW_ROUNDS", 3),
        review_quiet_seconds=positive_number(env, "BZZZ_REVIEW_QUIET_SECONDS", 30.0),
        audit_public_key=_ed25519_key(env, "BZZZ_AUDIT_PUBLIC_KEY"),
        decisions_bucket=env.get("BZZZ_DECISIONS_BUCKET", "").strip() or None,
        decision_recipients=env.get("BZZZ_DECISION_RECIPIENTS", "").strip() or None,
        reports_bucket=env.get("BZZZ_REPORTS_BUCKET", "").strip() or None,
    )


def _repositories(raw: str) -> frozenset[str]:
    """`owner/name` entries (comma-separated), as GitHub spells repository names."""
    names: set[str] = set()
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        if not REPO_PATTERN.fullmatch(entry) or entry.endswith(("/.", "/..")):
            raise ConfigError("BZZZ_REPOSITORIES", f"entry {entry!r} must be owner/name")
        names.add(entry)
    return frozenset(names)


def _allowed_users(raw: str) -> frozenset[tuple[str, str]]:
    """`owner:login` entries (comma-separated); `*:login` for every owner, said explicitly."""
    pairs: set[tuple[str, str]] = set()
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        owner, colon, login = (part.strip().lower() for part in entry.partition(":"))
        if not colon or not owner or not login:
            raise ConfigError(
                "BZZZ_ALLOWED_USERS",
                f"entry {entry!r} must be owner:login (or *:login for every owner)",
            )
        pairs.add((owner, login))
    return frozenset(pairs)


def _ed25519_key(env: Mapping[str, str], variable: str) -> str | None:
    """`ed25519:` + base64 of 32 bytes (what `bzzz audit keygen` prints), or None if unset."""
    value = env.get(variable, "").strip()
    if not value:
        return None
    prefix = "ed25519:"
    try:
        raw = base64.b64decode(value.removeprefix(prefix), validate=True)
    except binascii.Error:
        raw = b""
    if not value.startswith(prefix) or len(raw) != 32:
        raise ConfigError(variable, "must be ed25519: and the base64 of a 32-byte public key")
    return value


def _url(env: Mapping[str, str], variable: str) -> str | None:
    value = env.get(variable, "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigError(variable, f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once on first use."""
    return load_settings()
