"""What GitHub Actions hands the step, read and checked in one place.

    GITHUB_EVENT_NAME, GITHUB_EVENT_PATH   the event that started the workflow and its payload
    GITHUB_REPOSITORY                      owner/name: the only repository this job may touch
    GITHUB_TOKEN                           the job's own token (the step's `env:` passes it)
    GITHUB_API_URL                         the REST API (https://api.github.com on github.com)
    GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB   who this job is (its runner id)
    RUNNER_TEMP                            emptied at each job's start and end: state, keys
    GITHUB_STEP_SUMMARY, GITHUB_OUTPUT     the job summary and the step's outputs (optional)
    ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN  set when the job has `permissions: id-token: write`

and the Action's inputs, which action.yml passes as:

    BZZZ_AWS_ROLE_ARN          the job role (its trust: this repository's workflows only)
    BZZZ_OIDC_AUDIENCE         the ID token's audience (default sts.amazonaws.com)
    BZZZ_JOB_TIMEOUT_MINUTES   the job's `timeout-minutes`: the agent's wall clock fits in it
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bzzz.errors import ConfigError

_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
DEFAULT_AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True)
class ActionsEnvironment:
    event_name: str
    event_path: Path
    repository: str
    token: str
    api_url: str
    run_id: str
    run_attempt: str
    job: str
    runner_temp: Path
    step_summary: Path | None
    output: Path | None
    id_token_url: str | None
    id_token_request_token: str | None
    role_arn: str | None
    audience: str = DEFAULT_AUDIENCE
    job_timeout_minutes: float | None = None

    @property
    def runner_id(self) -> str:
        """The job's agent id: unique per run attempt, so two jobs never share a lease."""
        return f"actions-{self.repository.replace('/', '-')}-{self.run_id}-{self.run_attempt}"

    @property
    def delivery_id(self) -> str:
        """Stands for GitHub's delivery id: a re-run of the same attempt is the same event."""
        return f"actions:{self.repository}:{self.run_id}"

    @property
    def state_dir(self) -> Path:
        return self.runner_temp / "bzzz"

    def __repr__(self) -> str:  # never print a token, not even in a traceback
        return f"ActionsEnvironment(repository={self.repository!r}, run_id={self.run_id!r})"


def _required(env: Mapping[str, str], variable: str, hint: str) -> str:
    value = env.get(variable, "").strip()
    if not value:
        raise ConfigError(variable, f"missing: {hint}")
    return value


def _optional_path(env: Mapping[str, str], variable: str) -> Path | None:
    value = env.get(variable, "").strip()
    return Path(value) if value else None


def read_environment(env: Mapping[str, str]) -> ActionsEnvironment:
    """ActionsEnvironment from the step's environment; ConfigError names the first bad variable."""
    not_actions = "`bzzz action` runs as a step of a GitHub Actions job"
    repository = _required(env, "GITHUB_REPOSITORY", not_actions)
    if not _REPOSITORY.match(repository):
        raise ConfigError("GITHUB_REPOSITORY", f"must be owner/name, got {repository!r}")
    timeout = env.get("BZZZ_JOB_TIMEOUT_MINUTES", "").strip()
    minutes: float | None = None
    if timeout:
        try:
            minutes = float(timeout)
        except ValueError:
            raise ConfigError("BZZZ_JOB_TIMEOUT_MINUTES", f"not a number: {timeout!r}") from None
        if minutes <= 0:
            raise ConfigError("BZZZ_JOB_TIMEOUT_MINUTES", f"must be above 0, got {timeout}")
    return ActionsEnvironment(
        event_name=_required(env, "GITHUB_EVENT_NAME", not_actions),
        event_path=Path(_required(env, "GITHUB_EVENT_PATH", not_actions)),
        repository=repository,
        token=_required(
            env, "GITHUB_TOKEN", "pass the job's token: `env: GITHUB_TOKEN: ${{ github.token }}`"
        ),
        api_url=(env.get("GITHUB_API_URL", "").strip() or "https://api.github.com").rstrip("/"),
        run_id=_required(env, "GITHUB_RUN_ID", not_actions),
        run_attempt=env.get("GITHUB_RUN_ATTEMPT", "").strip() or "1",
        job=env.get("GITHUB_JOB", "").strip() or "bzzz",
        runner_temp=Path(_required(env, "RUNNER_TEMP", not_actions)),
        step_summary=_optional_path(env, "GITHUB_STEP_SUMMARY"),
        output=_optional_path(env, "GITHUB_OUTPUT"),
        id_token_url=env.get("ACTIONS_ID_TOKEN_REQUEST_URL", "").strip() or None,
        id_token_request_token=env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "").strip() or None,
        role_arn=env.get("BZZZ_AWS_ROLE_ARN", "").strip() or None,
        audience=env.get("BZZZ_OIDC_AUDIENCE", "").strip() or DEFAULT_AUDIENCE,
        job_timeout_minutes=minutes,
    )
