"""`bzzz eval`: how often Bzzz solves real bugs, measured as SWE-bench measures it.

    bzzz eval eval/instances/bzzz-lite.jsonl --repos ~/src/mirrors [--model NAME]
              [--model-api openai --model-url URL | --model-server local]
              [--scripted gold|none|wrong] [--only ID ...] [--out eval-out/]
              [--iterations N] [--tokens N] [--wall-clock SECONDS] [--publish]

Each instance goes through the real pipeline on the embedded stack, as `bzzz demo
--repo` runs it: its repository at `base_commit` is imported into the GitHub stand-in,
the problem statement filed as the issue, the issue labelled; the control plane
queues it, the runner claims it, plans, works in the sandbox with the model and
pushes a branch (and opens a pull request when it finishes green). Then the judge
(runner.evaluation.judge) applies the instance's hidden `test_patch` to what the
branch holds (the base commit, when nothing was pushed) in a fresh sandbox and runs
FAIL_TO_PASS and PASS_TO_PASS: resolved when all of them pass.

The model: `--model NAME` on the real Ollama at OLLAMA_HOST; with `--model-api openai
--model-url URL`, on that OpenAI-compatible server (llama.cpp's, vLLM, LM Studio); with
`--model-server local`, on a small model this command runs here itself for the whole
run and stops after it (infra/model_server: `--model` picks qwen2.5-coder-0.5b, the
default, or qwen2.5-coder-1.5b). Or a scripted stand-in for calibration: `gold`
applies the instance's own fix (should score 100 %), `none` changes nothing (0 %),
`wrong` applies a fix that breaks the changed module (0 %, and the runner must not
report a green finish). `--iterations`, `--tokens` and `--wall-clock` bound each
instance (the runner's maxima, BZZZ_MAX_*), so a slow model ends in known time.

Repositories: `--repos DIR` holds one git directory per repository, named `name`,
`owner__name` or `name.git`; without it, `https://github.com/OWNER/NAME.git` is
cloned into `.bzzz/eval/repos` (that needs the network). Output under `--out`:
results.jsonl, predictions.jsonl (for SWE-bench's own evaluator), summary.json,
trajectories/<instance_id>/ (the runner's record of each); a line per instance and a
progress bar on the terminal. The files are rewritten after every instance, so an
interrupted run keeps what it measured. `--publish` uploads the finished run to the
reports bucket for the dashboard (cli/eval_publish.py; `bzzz eval-publish DIR` later).
"""

from __future__ import annotations

import argparse
import difflib
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from cli.demo_stack import DemoStack
    from runner.evaluation.instances import Instance
    from runner.evaluation.report import Result

SCRIPTED = ("gold", "none", "wrong")
# (flag, type, what): each bounds an instance as the runner's maximum BZZZ_MAX_<FLAG>.
BUDGET_FLAGS = (
    ("iterations", int, "model calls"),
    ("tokens", int, "tokens (prompt + generated)"),
    ("wall-clock", float, "seconds of the agent's work"),
)
_BUDGET_VARIABLES = {
    "iterations": "BZZZ_MAX_ITERATIONS", "tokens": "BZZZ_MAX_TOKENS",
    "wall_clock": "BZZZ_MAX_WALL_CLOCK_SECONDS",
}  # fmt: skip
WAIT_SCRIPTED = 300.0
WAIT_REAL = 2400.0


class EvalInputError(Exception):
    """What the user gave `bzzz eval` cannot be used; one line, exit code 2."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("eval", help="measure how often Bzzz resolves real bugs")
    parser.add_argument("instances", help="SWE-bench-format instances (JSONL or a JSON list)")
    parser.add_argument("--repos", metavar="DIR", help="local git directories, one per repo")
    parser.add_argument("--model", metavar="NAME", help="the model (on Ollama by default)")
    parser.add_argument("--model-api", choices=("ollama", "openai"),
                        help="the model server's API (openai: with --model-url)")  # fmt: skip
    parser.add_argument("--model-url", metavar="URL", help="the OpenAI-compatible server")
    parser.add_argument("--model-server", choices=("local",),
                        help="run a small model here for the run (infra/model_server)")  # fmt: skip
    for flag, kind, what in BUDGET_FLAGS:
        parser.add_argument(f"--{flag}", type=kind, metavar="N", help=f"most {what} per instance")
    parser.add_argument(
        "--scripted", choices=SCRIPTED, help="calibrate with a scripted model instead"
    )
    parser.add_argument("--only", nargs="+", metavar="ID", default=[], help="these instances")
    parser.add_argument("--out", default="eval-out", help="where the results go")
    parser.add_argument(
        "--publish", action="store_true", help="upload the finished run for the dashboard"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="every component's log")
    parser.set_defaults(func=_eval)


def _eval(args: argparse.Namespace) -> int:
    import logging
    import os
    import signal

    # SIGTERM (and SIGINT, which a shell ignores in a background job) interrupt like Ctrl-C:
    # each instance's stack and the local model server are stopped on the way out, and
    # the results measured so far are already written.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    from bzzz.errors import BzzzError
    from cli.demo_world import DemoInputError
    from cli.eval_publish import publish_settings
    from infra.local_backend.errors import LocalBackendError
    from runner.evaluation.instances import InstanceError, load_instances

    try:
        _check_model_flags(args)
        # Before the run, not after it: an hour's measurement must not end in "not set".
        args.publish_to = publish_settings() if args.publish else None
        instances = load_instances(Path(args.instances), only=args.only)
        repos = {i.repo: _repository(i.repo, args.repos) for i in instances}
    except (InstanceError, EvalInputError, OSError, BzzzError) as exc:
        print(f"bzzz eval: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    if not args.verbose:
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    try:
        with _model_endpoint(args) as (model, openai_url):
            return _run_all(instances, repos, args, model, openai_url)
    except (DemoInputError, LocalBackendError) as exc:
        print(f"bzzz eval: {exc}", file=sys.stderr)
        return 2


def _run_all(
    instances: list[Instance],
    repos: dict[str, Path],
    args: argparse.Namespace,
    model: str | None,
    openai_url: str | None,
) -> int:
    from runner.evaluation.report import table, write

    name = model or f"scripted-{args.scripted or 'gold'}"
    results: list[Result] = []
    bar = Progress(len(instances))
    out = Path(args.out)
    with _judge_engine() as sandbox_for:
        for instance in instances:
            bar.start(instance.instance_id)
            result = run_instance(
                instance, repos[instance.repo], args, sandbox_for, model=model,
                openai_url=openai_url,
            )  # fmt: skip
            results.append(result)
            bar.done(result)
            write(out, name, results)  # after each: an interrupted run keeps what it measured
    summary = write(out, name, results)
    print("\n" + table(results))
    print(
        f"\nresolved {summary['resolved']}/{summary['instances']} "
        f"({summary['resolved_percent']} %); median per resolved instance: "
        f"{summary['median_seconds_resolved']} s, {summary['median_tokens_resolved']} tokens"
    )
    print(f"results in {args.out}/ (results.jsonl, predictions.jsonl, summary.json, "
          "trajectories/)")  # fmt: skip
    publish_to = getattr(args, "publish_to", None)
    if publish_to is not None:
        from cli.eval_publish import publish_run

        try:
            print(f"published to {publish_run(publish_to, out)}")
        except Exception as exc:  # the results stay on disk: `bzzz eval-publish` retries
            print(f"bzzz eval: not published ({type(exc).__name__}: {exc}); "
                  f"retry with `bzzz eval-publish {args.out}`", file=sys.stderr)  # fmt: skip
            return 1
    return 0


def _check_model_flags(args: argparse.Namespace) -> None:
    """The model flags fit together, and each budget is above 0; EvalInputError if not."""
    from infra.model_server import MODELS

    real = [f for f, v in (("--model", args.model), ("--model-url", args.model_url),
                           ("--model-server", args.model_server)) if v]  # fmt: skip
    if args.scripted and real:
        raise EvalInputError(f"--scripted and {real[0]} exclude each other")
    if args.model_server and (args.model_url or args.model_api):
        raise EvalInputError("--model-server local runs its own server: no --model-api/--model-url")
    if args.model_server and args.model and args.model not in MODELS:
        raise EvalInputError(f"--model-server local: --model is one of {', '.join(MODELS)}")
    if args.model_api == "ollama" and args.model_url:
        raise EvalInputError("--model-url is for --model-api openai (Ollama: set OLLAMA_HOST)")
    openai = args.model_api == "openai" or (args.model_api is None and args.model_url)
    if openai and not (args.model_url and args.model):
        raise EvalInputError("--model-api openai needs --model-url URL and --model NAME")
    if args.model_url and not args.model_url.startswith(("http://", "https://")):
        raise EvalInputError(f"--model-url must be an http(s) URL, got {args.model_url!r}")
    for field in _BUDGET_VARIABLES:
        value = getattr(args, field)
        if value is not None and value <= 0:
            raise EvalInputError(f"--{field.replace('_', '-')} must be above 0, got {value}")


@contextmanager
def _model_endpoint(args: argparse.Namespace) -> Iterator[tuple[str | None, str | None]]:
    """(the model's name, the OpenAI-compatible URL or None for Ollama); (None, None) when a
    script plays it. A local model server started here stops when the run ends."""
    from cli.demo_stack import require_ollama, require_openai

    if args.model_server:
        from infra.model_server import DEFAULT_MODEL, start_model_server

        which = args.model or DEFAULT_MODEL
        print(f"bzzz eval: starting {which} on the local model server (first run: ~0.5 GB)")
        server = start_model_server(which, tied=True)
        try:
            print(f"bzzz eval: {server.alias} at {server.url}")
            yield server.alias, server.url
        finally:
            server.stop()
    elif args.model_url:
        yield args.model, require_openai(args.model_url, args.model)
    else:
        if args.model:
            require_ollama(args.model)
        yield args.model, None


def _runner_budgets(args: argparse.Namespace) -> dict[str, str]:
    """The runner's maxima that bound one instance, from --iterations, --tokens, --wall-clock."""
    chosen = {v: getattr(args, f) for f, v in _BUDGET_VARIABLES.items()}
    return {v: f"{value:g}" for v, value in chosen.items() if value is not None}


def _wait_limit(args: argparse.Namespace, real: bool) -> float:
    """How long the harness waits for a task's end: the wall-clock budget and room for what
    follows it (one last model call, verification, pushing), else the defaults."""
    if not real:
        return WAIT_SCRIPTED
    return WAIT_REAL if args.wall_clock is None else float(args.wall_clock) * 1.5 + 600.0


class Progress:
    """One line per instance; on a terminal, a bar that redraws in place."""

    def __init__(self, total: int) -> None:
        self.total, self.finished, self.resolved = total, 0, 0
        self.tty = sys.stdout.isatty()

    def start(self, ident: str) -> None:
        if self.tty:
            filled = int(20 * self.finished / max(self.total, 1))
            bar = "#" * filled + "." * (20 - filled)
            print(f"\r[{bar}] {self.finished}/{self.total} {ident[:40]:40}", end="", flush=True)

    def done(self, result: Result) -> None:
        self.finished += 1
        self.resolved += result.resolved
        mark = "resolved" if result.resolved else f"not resolved ({result.note})"
        prefix = "\r" if self.tty else ""
        print(f"{prefix}[{self.finished}/{self.total}] {result.instance_id}: {mark}, "
              f"{result.outcome}, {result.seconds:.0f} s" + " " * 10, flush=True)  # fmt: skip


def _repository(repo: str, repos: str | None) -> Path:
    """The local git directory holding `repo` (owner/name)."""
    owner, name = repo.split("/", 1)
    if repos:
        root = Path(repos).expanduser()
        for candidate in (f"{owner}__{name}", name, f"{name}.git", f"{owner}+{name}/repo"):
            path = root / candidate
            if path.is_dir():
                return path
        raise EvalInputError(
            f"--repos {root}: no git directory for {repo} ({name} or {owner}__{name})"
        )
    cache = Path(".bzzz/eval/repos") / f"{owner}__{name}.git"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        url = f"https://github.com/{repo}.git"
        done = subprocess.run(["git", "clone", "--bare", "--quiet", url, str(cache)],
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise EvalInputError(f"cannot clone {url}: {done.stderr.strip()[:200]}")
    return cache


@contextmanager
def _judge_engine() -> Iterator[Any]:
    """A sandbox factory for the judge, on the same engine and image as the runner's."""
    from infra.container_engine import container_engine
    from runner.sandbox.container import Sandbox, SandboxConfig
    from runner.sandbox.images.build import ensure_default_image

    with container_engine() as engine:
        client = engine.client()
        image = ensure_default_image(client)

        @contextmanager
        def sandbox_for(directory: Path) -> Iterator[Sandbox]:
            # The whole -rA summary is read: no head-and-tail cut of a long test report.
            config = SandboxConfig(image=image, command_timeout=600, output_limit=16_000_000)
            with Sandbox(client, directory, runner_id="bzzz-eval-judge", task_key="eval",
                         config=config) as box:  # fmt: skip
                yield box

        try:
            yield sandbox_for
        finally:
            client.close()


def scripted_scenario(instance: Instance, mode: str, base_files: dict[str, str]) -> dict[str, Any]:
    """The Ollama stand-in's scenario that plays a calibration model for `instance`."""

    def call(name: str, **arguments: Any) -> dict[str, Any]:
        return {"tool_calls": [{"name": name, "arguments": arguments}]}

    if mode == "gold":
        script = [call("apply_patch", patch=instance.patch),
                  call("finish", summary="Applied the fix.")]  # fmt: skip
        fallback = call("finish", summary="Applied the fix.")
    elif mode == "none":
        script = [call("finish", summary="Nothing needs to change.")]
        fallback = call("finish", summary="Nothing needs to change.")
    else:
        script = [call("apply_patch", patch=wrong_patch(base_files)),
                  call("finish", summary="Fixed it.")]  # fmt: skip
        fallback = call("finish", summary="Fixed it.")
    return {
        "version": "0.12.6",
        "context_overflow": "truncate",
        "models": [{
            "name": "qwen2.5-coder:7b", "family": "qwen2", "parameter_size": "7.6B",
            "context_length": 32768, "default_num_ctx": 8192,
            "capabilities": ["completion", "tools"],
            "rules": [{"when": {"system_contains": "numbered plan"},
                       "reply": {"text": "1. Change the code.\n2. Run the tests."}}],
            "script": script, "fallback": fallback,
        }],
    }  # fmt: skip


def wrong_patch(base_files: dict[str, str]) -> str:
    """A change that breaks what the fix touches: its first module raises on import."""
    path, text = next(iter(base_files.items()))
    broken = 'raise RuntimeError("a wrong fix")\n' + text
    lines = difflib.unified_diff(
        text.splitlines(keepends=True), broken.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    )  # fmt: skip
    return "".join(lines)


def _patched_sources(instance: Instance, source: Path) -> dict[str, str]:
    """The files the gold patch changes, at the base commit: the wrong fix breaks the first."""
    files: dict[str, str] = {}
    for line in instance.patch.splitlines():
        if line.startswith("--- a/") and line.endswith(".py"):
            path = line[len("--- a/") :]
            shown = subprocess.run(
                ["git", "--git-dir", str(_git_dir(source)), "show",
                 f"{instance.base_commit}:{path}"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if shown.returncode == 0:
                files[path] = shown.stdout
    if not files:
        raise EvalInputError(f"{instance.instance_id}: its patch changes no Python file")
    return files


def _git_dir(source: Path) -> Path:
    return source / ".git" if (source / ".git").exists() else source


def run_instance(
    instance: Instance,
    source: Path,
    args: argparse.Namespace,
    sandbox_for: Any,
    *,
    model: str | None = None,
    openai_url: str | None = None,
) -> Result:
    from cli.demo_stack import DemoStack
    from cli.demo_world import DemoWorld
    from runner.evaluation.report import Result

    with tempfile.TemporaryDirectory(prefix="bzzz-eval-") as temp:
        state = Path(temp)
        scenario = state / "scenario.yaml"
        mode = None if model else (args.scripted or "gold")
        if mode:
            base = _patched_sources(instance, source) if mode == "wrong" else {}
            scenario.write_text(yaml.safe_dump(scripted_scenario(instance, mode, base)))
        name = instance.repo.split("/", 1)[1]
        world = DemoWorld(
            f"local/{name}",
            1,
            scenario,
            instance.title,
            source,
            instance.body,
            ref=instance.base_commit,
        )
        # A runner id of its own: a `bzzz demo` started meanwhile on this machine reaps
        # every sandbox labelled demo-runner, and would take this instance's.
        stack = DemoStack(state / "stack", say=lambda _line: None, world=world, model=model,
                          openai_url=openai_url, runner_env=_runner_budgets(args),
                          runner_id=f"eval-runner-{secrets.token_hex(4)}")  # fmt: skip
        try:
            stack.start()
            began = time.monotonic()
            stack.label()
            task = _wait_for_end(stack, _wait_limit(args, real=mode is None))
            seconds = round(time.monotonic() - began, 1)
            stack.supervisor.drain_now()
            return _judged(instance, stack, task, seconds, state, sandbox_for)
        except Exception as exc:  # one instance failing must not lose the others
            return Result(
                instance.instance_id, False, "error", note=f"{type(exc).__name__}: {exc}"[:200]
            )
        finally:
            stack.close()
            _keep_trajectories(stack.state_dir / "trajectories", Path(args.out), instance)


def _keep_trajectories(source: Path, out: Path, instance: Instance) -> None:
    """The runner's trajectories of `instance` (what the model said and ran), kept under
    `out/trajectories/<instance_id>/` once its stack, which held them in a temporary
    folder, has stopped."""
    if not source.is_dir():
        return
    target = out / "trajectories" / instance.instance_id
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)


def _wait_for_end(stack: DemoStack, limit: float) -> Any:
    from bzzz.tasks.lifecycle import Lifecycle
    from bzzz.tasks.states import TERMINAL, State

    lifecycle = Lifecycle(stack.settings)
    key = f"{stack.world.repo}#{stack.world.issue}"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        task = lifecycle.get(key)
        if task is not None and State(task.state) in TERMINAL | {State.ESCALATED}:
            return task
        time.sleep(0.2)
    return lifecycle.get(key)


def _agent_record(stack: DemoStack) -> tuple[dict[str, Any], int]:
    """The agent's outcome, and how many of its tool calls came as text and were repaired."""
    for path in sorted((stack.state_dir / "trajectories").glob("*.agent.json")):
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        steps = [s for s in data.get("steps") or [] if isinstance(s, dict)]
        repaired = sum(str(s.get("action", "")).startswith("repaired: ") for s in steps)
        return data.get("outcome") or {}, repaired
    return {}, 0


def _judged(
    instance: Instance, stack: DemoStack, task: Any, seconds: float, state: Path, sandbox_for: Any
) -> Result:
    import httpx

    from runner.evaluation.judge import judge
    from runner.evaluation.report import Result
    from runner.git.remote_tree import diff_refs, fetch_tree

    outcome, repaired = _agent_record(stack)
    branch = getattr(task, "branch", None)
    api = f"{stack.github.base_url}/repos/{stack.world.repo}"
    default = f"refs/heads/{httpx.get(api, timeout=10).json()['default_branch']}"
    url = f"{stack.github.base_url}/{stack.world.repo}.git"
    ref = f"refs/heads/{branch}" if branch else default  # nothing pushed: the base itself
    root = state / "judge"
    fetch_tree(url, ref, root / "tree", state / "fetch")
    verdict = judge(instance, root, sandbox_for)
    patch = diff_refs(url, default, ref, state / "diff") if branch else ""
    kind = outcome.get("kind") or (str(task.state) if task is not None else "no-task")
    if verdict.resolved:
        note = ""
    elif not verdict.applied:
        note = "the hidden tests did not apply"
    else:
        note = f"{len(verdict.missing)} listed tests did not pass"
    reason = getattr(task, "reason", None) or ""
    if kind not in ("finished", "completed") and (why := outcome.get("reason") or reason):
        note = f"{note}; {why}" if note else str(why)  # why the runner stopped
    shutil.rmtree(root, ignore_errors=True)
    return Result(
        instance.instance_id, verdict.resolved, str(kind),
        iterations=int(outcome.get("iterations") or 0), tokens=int(outcome.get("tokens") or 0),
        seconds=seconds, commands=len(outcome.get("commands") or []), repaired=repaired,
        pr_url=getattr(task, "pr_url", None), branch=branch,
        verified=reason.startswith("verified fix") if task and task.state == "completed" else None,
        missing=verdict.missing, patch=patch, note=note[:300],
    )  # fmt: skip
