"""The runner's checks at start: each misconfiguration stops it with one clear message.

Order: the environment (tables, queue, model name), the container engine, its
sandbox image and a real sandbox started from it (runner.engine_check), the
GitHub credentials, Ollama and the model, then the runner's row in the agents
table (which proves the tables answer). The first failure raises
RunnerStartError, whose message names what is wrong and how to fix it;
`bzzz runner` prints it and exits 2.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from bzzz.audit import (
    AuditError,
    AuditLog,
    Signer,
    audit_listener,
    load_or_create_key,
    publish_public_key,
)
from bzzz.bus import Bus
from bzzz.config import Settings, load_settings
from bzzz.errors import ConfigError
from bzzz.secrets import SecretStore
from bzzz.store.models import bind
from bzzz.tasks.lifecycle import Lifecycle
from runner.agent.model import Model
from runner.config import RunnerSettings, load_runner_settings
from runner.credentials import FORBIDDEN_VARIABLES, Credentials
from runner.engine_check import check_engine
from runner.errors import ModelNotFoundError, ModelUnavailableError, RunnerStartError
from runner.registration import Registration
from runner.worker.context import WorkerContext
from runner.worker.progress import TerminalDisplay

log = logging.getLogger(__name__)


@dataclass
class StartedParts:
    context: WorkerContext
    bus: Bus
    registration: Registration


def _model(runner: RunnerSettings) -> Model:
    model = Model(
        runner.model, host=runner.ollama_host, num_ctx=runner.num_ctx,
        max_num_ctx=runner.repo_limits.num_ctx, api=runner.model_api,
        api_key=runner.model_api_key, tools=runner.model_tools,
    )  # fmt: skip
    openai = runner.model_api == "openai"
    try:
        model.check()
    except ModelUnavailableError as exc:
        if openai:
            raise RunnerStartError(
                f"no OpenAI-compatible server at {runner.ollama_host}: start it there or set "
                f"BZZZ_MODEL_URL ({exc})"
            ) from exc
        raise RunnerStartError(
            f"no Ollama at {runner.ollama_host}: start Ollama there or set OLLAMA_HOST ({exc})"
        ) from exc
    except ModelNotFoundError as exc:
        if openai:
            raise RunnerStartError(f"{exc}: set BZZZ_MODEL to a model it serves") from exc
        raise RunnerStartError(
            f"unknown model {runner.model!r} on Ollama at {runner.ollama_host}: "
            f"run `ollama pull {runner.model}` there or set BZZZ_MODEL to one it has"
        ) from exc
    return model


def _credentials(
    settings: Settings,
    runner: RunnerSettings,
    env: Mapping[str, str],
    given: Credentials | None = None,
) -> tuple[Credentials, Signer]:
    """The runner's key (audit entries, token requests) and where its GitHub tokens come from."""
    for variable in FORBIDDEN_VARIABLES:
        if env.get(variable, "").strip():
            raise RunnerStartError(
                f"{variable} is set on the runner host: the GitHub App key belongs to the "
                "control plane only; remove it and set BZZZ_CONTROL_PLANE_URL"
            )
    # The runner signs its audit entries and its token requests with its own key,
    # made at first start.
    try:
        signer = load_or_create_key(runner.state_dir / "audit-key.pem", runner.runner_id)
    except AuditError as exc:
        raise RunnerStartError(f"audit key: {exc}") from exc
    if given is not None:  # Actions mode: the job's own GITHUB_TOKEN (runner.actions)
        credentials = given
    else:
        # A development token is read only when there is no control plane to ask.
        dev_token = (
            None if runner.control_plane_url else SecretStore(settings, env).get("github_token")
        )
        credentials = Credentials(
            settings.github_api_url,
            control_plane_url=runner.control_plane_url,
            signer=signer,
            dev_token=dev_token,
        )
    try:
        credentials.check()
    except ConfigError as exc:
        raise RunnerStartError(f"GitHub credentials: {exc}") from exc
    return credentials, signer


def _decision_readers(settings: Settings, env: Mapping[str, str]) -> None:
    """Decision records: the recipients file must parse, and no age identity may be here.

    The runner encrypts to public keys only (docs/decisions.md); an identity on its
    host would open every record it wrote.
    """
    for variable, value in env.items():
        if value.strip().upper().startswith("AGE-SECRET-KEY-"):
            raise RunnerStartError(
                f"{variable} holds an age identity (a secret key): a runner holds only the "
                "recipients of decision records (BZZZ_DECISION_RECIPIENTS); remove it"
            )
    if settings.decision_recipients is None:
        return  # optional: the runner's ready line says they are off (runner.process)
    from bzzz.decisions import RecipientsError, load_recipients

    try:
        load_recipients(settings.decision_recipients)
    except RecipientsError as exc:
        raise RunnerStartError(f"decision recipients: {exc}") from exc
    if not settings.decisions_bucket:
        log.warning("decision records off: BZZZ_DECISIONS_BUCKET is not set")


def start_parts(
    environ: Mapping[str, str] | None = None,
    *,
    settings: Settings | None = None,
    runner: RunnerSettings | None = None,
    credentials: Credentials | None = None,
) -> StartedParts:
    """Check everything the runner needs and build its parts; RunnerStartError on the first gap."""
    env = os.environ if environ is None else environ
    try:
        settings = settings or load_settings(env)
        settings.queue_url("work")
        runner = runner or load_runner_settings(env)
    except ConfigError as exc:
        raise RunnerStartError(f"configuration: {exc}") from exc
    _decision_readers(settings, env)
    client = check_engine(runner, env)
    credentials, signer = _credentials(settings, runner, env, credentials)
    model = _model(runner)
    bind(settings)
    bus = Bus(settings)
    audit = AuditLog(settings, signer)
    lifecycle = Lifecycle(settings, publisher=bus, listeners=[audit_listener(audit)])
    display = TerminalDisplay(enabled=runner.terminal_progress)
    context = WorkerContext(settings, runner, lifecycle, bus, credentials, client, model, display)
    context.audit = audit
    registration = Registration(
        runner.runner_id,
        capabilities=runner.capabilities,
        models={runner.model},
        capacity=runner.capacity,
        heartbeat_seconds=runner.heartbeat_every(settings.lease_seconds),
    )
    try:
        registration.register()  # also proves the control plane's tables answer
    except Exception as exc:
        raise RunnerStartError(
            f"cannot register in the agents table {settings.agents_table}: {exc}"
        ) from exc
    try:
        publish_public_key(settings, signer)  # after the row exists: it shows the key too
    except AuditError as exc:
        raise RunnerStartError(f"audit key of {runner.runner_id}: {exc}") from exc
    if runner.hmmm:  # after the agent row: a sweep must not take the queue for an orphan
        from runner.hmmm import start_participant

        try:
            context.participant = start_participant(
                settings, runner.runner_id, bus, model, wait_seconds=runner.hmmm_wait_seconds
            )
        except Exception as exc:
            registration.deregister()
            raise RunnerStartError(f"cannot create the HMMM peer queue: {exc}") from exc
    return StartedParts(context, bus, registration)
