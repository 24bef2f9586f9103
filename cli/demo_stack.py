"""The whole local stack of `bzzz demo`, started in order and stopped in reverse.

local AWS backend -> GitHub stand-in (seeded) -> control plane (supervisor:
HTTP app under uvicorn, reconcile, status sync) -> model (a real Ollama when
OLLAMA_HOST answers with the model, else the Ollama stand-in) -> container
engine and sandbox image -> one runner. Everything runs on loopback and is
stopped by `close()`, also after a failure half-way.

The world is cli.demo_world's: acme/calc, or the user's own repository
imported as local/<name>. The control plane holds a GitHub App key made for
this run (the stand-in's app 4242, installed on the repository's owner) and
vends the runner a token per task; the runner's environment holds no GitHub
secret, as on a real runner host. (Both run in this one process here, so the
key is in its os.environ: the runner reads only the environment it is given.)
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from cli.demo_world import MAINTAINER, DemoInputError, DemoWorld, acme_world

APP_ID = 4242  # the demo seed's GitHub App
RUNNER_SETUP_SETTINGS = (
    "BZZZ_SETUP_NETWORK", "BZZZ_WHEELHOUSE", "BZZZ_MAX_SETUP_SECONDS", "BZZZ_PREP_KEEP",
)  # fmt: skip
CONTROL_PLANE_SECRETS = frozenset(
    {
        "GITHUB_TOKEN",
        "BZZZ_WEBHOOK_SECRET",
        "BZZZ_API_KEY",
        "BZZZ_AUDIT_SIGNING_KEY",
        "GITHUB_APP_CLIENT_SECRET",
        "BZZZ_DASHBOARD_SESSION_KEY",
    }
)
DEFAULT_MODEL = "qwen2.5-coder:7b"
# What alice asks on the demo's pull request (cli/demo_scenario.yaml answers it).
REVIEW_COMMENT = (
    "Please say in a comment why the loop runs to n + 1."  # the model the scripted stand-in plays
)


def ollama_models(host: str) -> list[str] | None:
    """The models of the Ollama at `host`, or None when nothing answers there."""
    try:
        tags = httpx.get(f"{_url(host)}/api/tags", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return None
    models = tags.get("models") if isinstance(tags, dict) else None
    return [str(m.get("name")) for m in models or [] if isinstance(m, dict)]


def _url(host: str) -> str:
    return (host if host.startswith("http") else f"http://{host}").rstrip("/")


def real_ollama(model: str) -> str | None:
    """OLLAMA_HOST when a real Ollama answers there with the model, else None."""
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host or model not in (ollama_models(host) or []):
        return None
    return _url(host)


def require_ollama(model: str) -> str:
    """For `--model`: the real Ollama at OLLAMA_HOST that has it, else DemoInputError."""
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        raise DemoInputError(f"--model {model}: set OLLAMA_HOST to the Ollama that serves it")
    models = ollama_models(host)
    if models is None:
        raise DemoInputError(f"--model {model}: no Ollama answers at OLLAMA_HOST={host}")
    if model not in models:
        having = ", ".join(sorted(models)) or "none"
        raise DemoInputError(f"--model {model}: not on the Ollama at {host} (it has: {having})")
    return _url(host)


def require_openai(url: str, model: str) -> str:
    """For an OpenAI-compatible server: its URL when it serves `model`, else DemoInputError."""
    from runner.agent.model import Model
    from runner.errors import ModelNotFoundError, ModelUnavailableError

    try:
        Model(model, host=url, api="openai").check()
    except (ModelNotFoundError, ModelUnavailableError) as exc:
        raise DemoInputError(f"--model {model}: {exc}") from None
    return url.rstrip("/")


def _app_key() -> str:
    """A GitHub App private key for this run (the stand-in checks JWT claims, not signatures)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _dashboard_env(seed: dict[str, Any], github_url: str) -> dict[str, str]:
    app = next(a for a in seed["apps"] if int(a["id"]) == APP_ID)
    return {
        "GITHUB_WEB_URL": github_url,
        "GITHUB_APP_CLIENT_ID": str(app["client_id"]),
        "GITHUB_APP_CLIENT_SECRET": str(app["client_secret"]),
        "BZZZ_DASHBOARD_SESSION_KEY": secrets.token_hex(32),
    }


def _restore_environ(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)


class DemoStack:
    """`model`: None for BZZZ_MODEL or the default, on a real Ollama when one has it, else
    on the scripted stand-in; a name given by the user must be on the real Ollama, or, with
    `openai_url`, on that OpenAI-compatible server (BZZZ_MODEL_API=openai for the runner).
    `runner_env`: further runner settings (e.g. the budget maxima BZZZ_MAX_ITERATIONS).
    `runner_id`: the runner's id, which labels its sandboxes; a runner removes every
    container labelled with its id when it starts (its orphans), and all Podman services
    of a machine share one store, so stacks that may run at once need ids of their own."""

    def __init__(
        self,
        state_dir: Path,
        say: Any = print,
        world: DemoWorld | None = None,
        model: str | None = None,
        *,
        openai_url: str | None = None,
        runner_env: Mapping[str, str] | None = None,
        runner_id: str = "demo-runner",
    ) -> None:
        self.state_dir = state_dir
        self.say = say
        self.world = world or acme_world()
        self.model = model or os.environ.get("BZZZ_MODEL") or DEFAULT_MODEL
        self.model_given = model is not None
        self.openai_url = openai_url
        self.runner_extra = dict(runner_env or {})
        self.runner_id = runner_id
        self.scripted = True  # the scripted Ollama stand-in plays the model (until started)
        self._exit = ExitStack()
        self.env: dict[str, str] = {}

    def start(self) -> DemoStack:
        from bzzz.audit import CONTROL_PLANE, Signer
        from bzzz.store.models import bind
        from cli.supervisor import Supervisor
        from infra.github_emulator import GitHubEmulator, start_in_thread
        from infra.local_backend import LocalBackend

        # The stack writes its endpoints and secrets into os.environ (the control plane it
        # hosts reads them there); closing gives the process its environment back, so a
        # next stack in the same process (bzzz eval) starts its own instead of finding these.
        self._exit.callback(_restore_environ, dict(os.environ))
        backend = self._exit.enter_context(LocalBackend(stack_name="bzzz-demo"))
        self.env = backend.start()
        self.say(f"local AWS backend: {', '.join(s.url for s in backend.servers) or 'external'}")
        bot_token = f"ghp_{secrets.token_hex(16)}"
        if self.world.source is not None:
            self.say(f"importing {self.world.source} (HEAD, last commits) as {self.world.repo}")
        seed = self.world.seed(bot_token)
        self.github = start_in_thread(GitHubEmulator.from_seed(seed))
        self._exit.callback(self.github.stop)
        where = f"repo {self.world.repo}, issue #{self.world.issue}"
        self.say(f"GitHub stand-in: {self.github.base_url} ({where})")
        signer = Signer.generate(CONTROL_PLANE)
        self.env.update(
            GITHUB_API_URL=self.github.base_url,
            GITHUB_TOKEN=bot_token,
            BZZZ_WEBHOOK_SECRET=secrets.token_hex(16),
            BZZZ_API_KEY=secrets.token_hex(16),
            BZZZ_AUDIT_SIGNING_KEY=signer.pem().decode("ascii"),
            # Pinned, as a deployment pins it (template parameter AuditPublicKey).
            BZZZ_AUDIT_PUBLIC_KEY=signer.public_key,
            BZZZ_STATE_DIR=str(self.state_dir),
            GITHUB_APP_ID=str(APP_ID),
            # The review round starts one quiet second after the review (the debounce).
            BZZZ_REVIEW_QUIET_SECONDS="1",
            # The dashboard's "Sign in with GitHub": the seed's App is the OAuth client.
            **_dashboard_env(seed, self.github.base_url),
        )
        # The control plane reads its configuration and secrets from the environment;
        # the App key is the control plane's alone, never in the runner's environment.
        os.environ.update(self.env)
        os.environ["GITHUB_APP_PRIVATE_KEY"] = _app_key()
        self.settings = backend.settings(self.env)
        bind(self.settings)
        supervisor = Supervisor(self.settings, reconcile_every=30.0, drain_every=0.5).start()
        self._exit.callback(supervisor.stop)
        self.supervisor = supervisor
        httpx.put(
            f"{self.github.base_url}/_emulator/webhook",
            json={
                "url": f"{supervisor.url}/github/webhook",
                "secret": self.env["BZZZ_WEBHOOK_SECRET"],
            },
        ).raise_for_status()
        self.say(f"control plane: {supervisor.url} (webhook, Hive API, reconcile, status sync)")
        self.say(
            f"dashboard: {self.dashboard_url} (Sign in with GitHub as alice, password "
            f"alice-demo; or the API key {self.env['BZZZ_API_KEY']})"
        )
        self._start_model()
        self._start_runner()
        return self

    def _start_model(self) -> None:
        if self.openai_url is not None:
            url = require_openai(self.openai_url, self.model)
            self.scripted = False
            self.env.update(BZZZ_MODEL_API="openai", BZZZ_MODEL_URL=url, BZZZ_MODEL=self.model)
            self.say(f"model: {self.model} on the OpenAI-compatible server at {url}")
            return
        host = require_ollama(self.model) if self.model_given else real_ollama(self.model)
        if host is None:
            from infra.ollama_emulator import start_in_thread

            stand_in = start_in_thread(self.world.scenario)
            self._exit.callback(stand_in.stop)
            host = stand_in.base_url
            self.say(f"model: {self.model} on the Ollama stand-in {host} (scripted)")
        else:
            self.scripted = False
            self.say(f"model: {self.model} on the real Ollama at {host}")
        self.env.update(OLLAMA_HOST=host, BZZZ_MODEL=self.model)

    def _start_runner(self) -> None:
        from infra.container_engine import container_engine
        from runner.process import RunnerProcess
        from runner.sandbox.images.build import ensure_default_image

        engine = self._exit.enter_context(container_engine())
        image = ensure_default_image(engine.client(), log=self.say)
        self.say(f"container engine: {engine.kind} at {engine.base_url}; sandbox image {image}")
        self.env.update(
            DOCKER_HOST=engine.env()["DOCKER_HOST"],
            BZZZ_SANDBOX_IMAGE=image,
            BZZZ_RUNNER_ID=self.runner_id,
            BZZZ_RUNNER_PROGRESS="off",
            BZZZ_PROGRESS_SECONDS="1",
        )
        # Tokens per task from the control plane: the runner gets none of its secrets.
        runner_env = {k: v for k, v in self.env.items() if k not in CONTROL_PLANE_SECRETS}
        # How the operator prepares dependencies (docs/runner.md) reaches the demo's runner.
        runner_env.update({k: os.environ[k] for k in RUNNER_SETUP_SETTINGS if k in os.environ})
        runner_env.update(self.runner_extra)
        runner_env["BZZZ_CONTROL_PLANE_URL"] = self.supervisor.url
        self.runner = RunnerProcess.from_environment(runner_env)
        thread = threading.Thread(target=self.runner.run, name="runner", daemon=True)
        thread.start()

        def stop_runner() -> None:
            self.runner.stop()
            thread.join(60)

        self._exit.callback(stop_runner)
        self.say(f"runner: {self.runner_id}, capacity 1, repository tokens from the control plane")

    @property
    def dashboard_url(self) -> str:
        return f"{self.supervisor.url}/dashboard/"

    def label(self) -> None:
        """Alice, a maintainer, labels the issue: GitHub sends the webhook."""
        httpx.post(
            f"{self.github.base_url}/_emulator/act",
            json={
                "as": MAINTAINER,
                "repo": self.world.repo,
                "number": self.world.issue,
                "action": "label",
                "label": "bzzz-task",
            },
        ).raise_for_status()

    def review(self, pull: int) -> None:
        """Alice asks for a change on a line of the pull request: a review round follows."""
        httpx.post(
            f"{self.github.base_url}/_emulator/act",
            json={
                "as": MAINTAINER, "repo": self.world.repo, "number": pull, "action": "review",
                "event": "REQUEST_CHANGES", "body": "Nearly there.",
                "comments": [{"path": "calc.py", "line": 7, "body": REVIEW_COMMENT}],
            },
        ).raise_for_status()  # fmt: skip

    def close(self) -> None:
        self._exit.close()
