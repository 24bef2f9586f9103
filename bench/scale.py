"""At scale, under faults: N tasks across R runners on the local stack, none lost or done twice.

    .venv/bin/python -m bench.scale [--tasks 10000] [--runners 100] [--dynamodb moto|dynamodb-local]
        [--runner-processes 10] [--rate 300] [--faults kill,cp,storm,github,model,dlq]

Everything real but the agent's work: the local AWS backend (moto, or DynamoDB Local
for the tables), the GitHub stand-in (seeded with N unlabelled issues; it signs and
delivers the `issues.labeled` webhooks from many threads), the control plane in a
process of its own (HTTP app under uvicorn, reconcile poll, status sync), the Ollama
stand-in (each task's first model call goes through the runner's real Model client), and R
real runners (`RunnerProcess`: claim through Lifecycle, lease heartbeat, progress, complete
or fail, release) in --runner-processes processes; their work is bench.scale_work's
stand-in (a delay, then a pull request or a failure). Issues are labelled through the
stand-in at --rate a second; a --poll-only share is labelled without a webhook, so
only the reconcile poll can find them.

Faults, on the schedule printed at the start (seconds after the first label):
runner processes holding 10 % of the runners killed with SIGKILL mid-task and
restarted; the control plane's process killed with SIGKILL and restarted a few seconds
later (webhooks sent meanwhile fail, as GitHub's do when the endpoint is down: only the
reconcile poll finds those issues); SQS redelivery storm (work and status queues at a 1 s
visibility timeout); GitHub answering 502, then a secondary rate limit (429, Retry-After);
the model endpoint cutting its answers off mid-body for a while (runners release their
tasks and take no work until the model answers again); GitHub failing
every comment write, so the status consumer fails every message into its DLQ, then
`bzzz dlq redrive status` brings them back.

It prints what `run()` returns and the tests assert (tests/e2e/test_scale.py): every
task completed at most once, 0 double claims (from each task's audit stream), 0 double
pull requests (from the stand-in's pull list), 0 lost, the DLQs explained; and figures:
time to drain, claims/s, deliveries/s, label->claim p50/p99, the cost per task counted
(AWS requests by operation from botocore hooks in the control plane and runner
processes; GitHub requests from the stand-in; dollars at list prices).
(As a module: run as a script, bench/ would hide the `runner` package... it does not,
but `-m` keeps imports the same as the tests'.)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import scale_counting
from bench.scale_cost import cost_lines
from bench.scale_hosts import MODEL

ROOT = Path(__file__).resolve().parents[1]
REPO, LABEL, TOKEN = "acme/scale", "bzzz-task", "ghp_scale_alice"
TERMINAL = {"completed", "failed", "cancelled"}
CLAIMS = {"task.claim", "task.take_over"}  # audit entry types of a won claim
# Transitions after which nobody holds the lease (a take_over needs no end: it takes an
# expired lease by rule).
LEASE_ENDS = {"task.release", "task.expire", "task.complete", "task.fail", "task.escalate",
              "task.give_up", "task.cancel", "task.create", "task.create_missed",
              "task.revise", "task.resume"}  # fmt: skip


@dataclass
class Config:
    tasks: int = 10_000
    runners: int = 100
    runner_processes: int = 10
    capacity: int = 1
    delay: float = 2.0
    steps: int = 4
    fail_fraction: float = 0.1
    rate: float = 300.0
    label_threads: int = 16
    webhook_senders: int = 16
    poll_only: float = 0.02
    lease_seconds: int = 15
    reconcile_every: float = 5.0
    status_consumers: int = 4
    dynamodb: str = "moto"
    faults: str = "kill,cp,storm,github,model,dlq"  # which faults to inject ("" for none)
    kill_fraction: float = 0.1
    cp_down_seconds: float = 5.0
    model_drop_seconds: float = 8.0
    dlq_seconds: float = 120.0
    dlq_target: int = 20
    fault_span: float = 150.0
    timeout: float = 3600.0


@dataclass
class Fault:
    at: float  # seconds after the first label
    name: str
    action: Any = field(repr=False)
    lasts: float = 0.0  # seconds its window stays open (at most, with `ends`)
    ends: Any = field(default=None, repr=False)  # True once the window may close early
    done: bool = False
    ended: bool = False


def _seed(tasks: int) -> dict[str, Any]:
    issues = [
        {"title": f"scale issue {n}", "body": f"Task {n} of the scale bench.", "user": "alice"}
        for n in range(1, tasks + 1)
    ]
    return {
        "users": [{"login": "alice", "token": TOKEN, "name": "Alice"}],
        "repos": [{
            "name": REPO, "default_branch": "main", "collaborators": {"alice": "admin"},
            "labels": [{"name": LABEL, "color": "7057ff"}], "files": {"README.md": "scale\n"},
            "issues": issues,
        }],
        "rate_limit": {"limit": 10**9, "window_seconds": 10**7},
    }  # fmt: skip


class _NoHooks:
    """A label change that sends no webhook: an issue labelled while deliveries were lost."""

    def emit(self, *args: Any) -> None:
        return None


def _route(path: str) -> str:
    path = path.split("?", 1)[0]
    return re.sub(r"/\d+(?=/|$)", "/{n}", path)


class Stack:
    """The servers and processes of one run; `close()` stops them all, in reverse."""

    def __init__(self, cfg: Config, work: Path, say: Any) -> None:
        self.cfg, self.work, self.say = cfg, work, say
        self._exit = contextlib.ExitStack()
        self.hosts: dict[str, tuple[list[str], subprocess.Popen[bytes]]] = {}
        self._ready: dict[str, Path] = {}
        self.killed_holding: list[str] = []  # tasks the killed runners held
        self.control_plane_kills = 0
        self.model_dropped = 0  # model requests the drop fault cut off
        self.github_requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    def start(self) -> Stack:
        from bzzz.audit import CONTROL_PLANE, Signer
        from bzzz.store.models import bind
        from infra.github_emulator import GitHubEmulator, start_in_thread
        from infra.github_emulator.server import free_port
        from infra.local_backend import LocalBackend
        from infra.local_backend.identify import identify

        cfg = self.cfg
        backend = LocalBackend(
            stack_name="bzzz-scale", dynamodb=cfg.dynamodb, parameters={"MaxReceiveCount": "3"},
            log_dir=self.work,
        )  # fmt: skip
        # Everything below goes into os.environ for the in-process parts: give it back on
        # close, or a test after this one (tests/e2e/test_scale.py) inherits its settings.
        saved = dict(os.environ)
        self._exit.callback(lambda: (os.environ.clear(), os.environ.update(saved)))
        env = backend.start()
        self._exit.callback(backend.stop)
        os.environ.update(env)
        self.emulator = GitHubEmulator.from_seed(
            _seed(cfg.tasks), recorder=self._record, webhook_senders=cfg.webhook_senders
        )
        self.github = start_in_thread(self.emulator)
        self._exit.callback(self.github.stop)
        secret = secrets.token_hex(16)
        signer = Signer.generate(CONTROL_PLANE)
        self.cp_port = free_port()
        self.env = {
            **os.environ, **env, "GITHUB_API_URL": self.github.base_url, "GITHUB_TOKEN": TOKEN,
            "BZZZ_WEBHOOK_SECRET": secret, "BZZZ_API_KEY": secrets.token_hex(8),
            "BZZZ_AUDIT_SIGNING_KEY": signer.pem().decode("ascii"),
            "BZZZ_AUDIT_PUBLIC_KEY": signer.public_key, "BZZZ_REPOSITORIES": REPO,
            "BZZZ_LEASE_SECONDS": str(cfg.lease_seconds), "PYTHONPATH": str(ROOT),
            "POWERTOOLS_LOG_LEVEL": "WARNING", "BZZZ_STATE_DIR": str(self.work / "cp"),
        }  # fmt: skip
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("BZZZ_", "GITHUB_"))})
        self.settings = backend.settings(self.env)
        bind(self.settings)
        with self.emulator.world.lock:
            self.emulator.world.webhook.url = f"http://127.0.0.1:{self.cp_port}/github/webhook"
            self.emulator.world.webhook.secret = secret
        endpoint = self.settings.endpoint_url("dynamodb")
        self.say(f"backend: dynamodb={identify(endpoint)} ({endpoint}), sqs/sns=moto")
        from infra.ollama_emulator import start_in_thread as start_model

        # Every request gets the one reply: what the model says does not matter here.
        self.model = start_model({"models": [{
            "name": MODEL, "capabilities": ["completion", "tools"], "script": [],
            "fallback": "I will read the failing test first.",
        }]})  # fmt: skip
        self._exit.callback(self.model.stop)
        self.start_control_plane()
        per = -(-cfg.runners // cfg.runner_processes)
        ids = [f"scale-runner-{n:03d}" for n in range(cfg.runners)]
        for index in range(0, cfg.runners, per):
            self.start_runners(f"host-{index // per:02d}", ids[index : index + per])
        self.wait_ready(list(self.hosts))
        return self

    def _record(self, exchange: Any) -> None:
        with self._lock:
            self.github_requests[
                f"{exchange.method} {_route(exchange.path)} {exchange.status}"
            ] += 1

    def _spawn(self, name: str, argv: list[str]) -> None:
        from infra.local_backend.lifetime import die_with_parent

        log = (self.work / f"{name}.log").open("ab")
        stamp = time.monotonic_ns()
        ready = self.work / f"ready-{name}-{stamp}"
        command = [sys.executable, "-m", "bench.scale_hosts", *argv, "--ready", str(ready)]
        command += ["--counts", str(self.work / f"counts-{name}-{stamp}.json")]
        # Output to a file, never a pipe: an unread pipe fills and blocks the host.
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )  # fmt: skip
        self.hosts[name] = (argv, process)
        self._ready[name] = ready

    def start_control_plane(self) -> None:
        self._spawn("control-plane", [
            "control-plane", "--port", str(self.cp_port),
            "--reconcile-every", str(self.cfg.reconcile_every),
            "--status-consumers", str(self.cfg.status_consumers),
        ])  # fmt: skip

    def start_runners(self, name: str, ids: list[str]) -> None:
        cfg = self.cfg
        self._spawn(name, [
            "runners", "--ids", ",".join(ids), "--state-dir", str(self.work / "runners"),
            "--capacity", str(cfg.capacity), "--delay", str(cfg.delay),
            "--steps", str(cfg.steps), "--fail-fraction", str(cfg.fail_fraction),
            "--model-url", self.model.base_url,
        ])  # fmt: skip

    def wait_ready(self, names: list[str], timeout: float = 300.0) -> None:
        """Each host touches its ready file once its runners are registered (or its app serves)."""
        end = time.monotonic() + timeout
        for name in names:
            while not self._ready[name].exists():
                if self.hosts[name][1].poll() is not None or time.monotonic() > end:
                    raise RuntimeError(f"{name} did not start; see {self.work / (name + '.log')}")
                time.sleep(0.1)

    def kill(self, name: str) -> list[str]:
        """SIGKILL a runner host once one of its runners holds a task (bounded wait): mid-task.

        Returns the tasks its runners held."""
        ids = set(self.hosts[name][0][2].split(","))
        end = time.monotonic() + 60
        held: list[str] = []
        while not held and time.monotonic() < end:
            rows = _tasks(self.settings).values()
            busy = ("claimed", "running")
            held = [str(r["key"]) for r in rows
                    if r.get("lease_owner") in ids and r["state"] in busy]  # fmt: skip
            if not held:
                time.sleep(0.2)
        self.hosts[name][1].send_signal(signal.SIGKILL)
        self.hosts[name][1].wait()
        self.killed_holding.extend(held)
        return held

    def kill_control_plane(self) -> None:
        """SIGKILL the control plane's process: webhook, reconcile poll, status sync at once."""
        process = self.hosts["control-plane"][1]
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.control_plane_kills += 1

    def model_drop(self, on: bool) -> None:
        """The model endpoint cutting its answers off mid-body (infra/ollama_emulator/faults)."""
        url = f"{self.model.base_url}/_emulator/faults"
        if on:
            httpx.put(url, json={"drop": True, "seconds": 3600}).raise_for_status()
        else:
            reply = httpx.delete(url)
            reply.raise_for_status()
            self.model_dropped += int(reply.json()["dropped"])

    def restart(self, name: str) -> None:
        """Start it again; not waited for (it registers its runners as it comes up)."""
        self._spawn(name, self.hosts[name][0])

    def stop_hosts(self) -> None:
        for _, process in self.hosts.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.hosts.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        self.stop_hosts()
        self._exit.close()

    # ----- acting on the world -----------------------------------------------------

    def label(self, number: int, *, webhook: bool = True) -> None:
        if webhook:  # as alice on github.com: the stand-in sends the signed delivery
            reply = httpx.post(f"{self.github.base_url}/_emulator/act", json={
                "as": "alice", "repo": REPO, "number": number, "action": "label", "label": LABEL,
            }, timeout=60)  # fmt: skip
            reply.raise_for_status()
            return
        from infra.github_emulator import actions

        world = self.emulator.world
        with world.lock:
            repo = world.repo(*REPO.split("/"))
            issue = repo.issues[number]
            actions.add_labels(world, _NoHooks(), repo, issue, [LABEL], "alice")  # type: ignore[arg-type]

    def github_fault(self, body: dict[str, Any]) -> None:
        httpx.put(f"{self.github.base_url}/_emulator/faults", json=body).raise_for_status()

    def github_fault_clear(self) -> None:
        httpx.delete(f"{self.github.base_url}/_emulator/faults").raise_for_status()

    def dlq_depth(self, queue: str) -> int:
        from bzzz.dead_letters import DeadLetters

        return DeadLetters(self.settings).depth(queue)

    def visibility(self, seconds: int | None) -> None:
        """A redelivery storm: the work and status queues at `seconds` (None: the template's)."""
        from bzzz import aws

        sqs = aws.client("sqs", self.settings)
        for queue, default in (("work", 120), ("status", 180)):
            sqs.set_queue_attributes(
                QueueUrl=self.settings.queue_url(queue),
                Attributes={"VisibilityTimeout": str(seconds or default)},
            )


def _tasks(settings: Any) -> dict[int, dict[str, Any]]:
    from bzzz import aws

    db = aws.client("dynamodb", settings)
    found: dict[int, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"TableName": settings.tasks_table}
    while True:
        page = db.scan(**kwargs)
        for item in page["Items"]:
            if item.get("repo", {}).get("S") != REPO:
                continue
            row = {k: next(iter(v.values())) for k, v in item.items()}
            found[int(row["number"])] = row
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _schedule(cfg: Config, stack: Stack, expected: float) -> list[Fault]:
    """The faults, spread over the labelling period (`expected` seconds)."""
    chosen = {name.strip() for name in cfg.faults.split(",") if name.strip()}
    hosts = sorted(n for n in stack.hosts if n.startswith("host-"))
    victims = hosts[: max(1, round(len(hosts) * cfg.kill_fraction))]
    t = max(expected, cfg.fault_span)  # the faults spread over labelling, at least this long
    kinds = ["kill", "kill", "cp", "cp", "storm", "storm", "github", "github", "model", "model",
             "dlq"]  # fmt: skip
    faults = [
        Fault(0.15 * t, f"SIGKILL runner process(es) {', '.join(victims)} "
              f"({sum(len(stack.hosts[v][0][2].split(',')) for v in victims)} runners) mid-task",
              lambda: [stack.kill(v) for v in victims]),
        Fault(0.15 * t + cfg.lease_seconds + 2, "restart the killed runner process(es)",
              lambda: [stack.restart(v) for v in victims]),
        Fault(0.22 * t, "SIGKILL the control plane (webhook, reconcile poll, status sync)",
              stack.kill_control_plane),
        Fault(0.22 * t + cfg.cp_down_seconds,
              f"restart the control plane ({cfg.cp_down_seconds:g} s down)",
              lambda: stack.restart("control-plane")),
        Fault(0.3 * t, "redelivery storm: work+status visibility timeout 1 s for 15 s",
              lambda: stack.visibility(1), 15),
        Fault(0.3 * t + 15, "visibility timeouts back to the template's",
              lambda: stack.visibility(None)),
        Fault(0.5 * t, "GitHub answers 502 to everything for 4 s",
              lambda: stack.github_fault({"status": 502, "seconds": 4}), 4),
        Fault(0.5 * t + 6, "GitHub secondary rate limit (429, Retry-After 2) for 4 s",
              lambda: stack.github_fault({"status": 429, "seconds": 4, "retry_after": 2}), 4),
        Fault(0.6 * t, f"the model endpoint cuts every answer off mid-body for "
              f"{cfg.model_drop_seconds:g} s", lambda: stack.model_drop(True),
              cfg.model_drop_seconds),
        Fault(0.6 * t + cfg.model_drop_seconds, "the model endpoint answers again",
              lambda: stack.model_drop(False)),
        Fault(0.7 * t, f"GitHub fails every comment write (502) until the status DLQ holds "
              f"{cfg.dlq_target} messages (at most {cfg.dlq_seconds:g} s): the status consumer "
              "fails its messages",
              lambda: stack.github_fault({"status": 502, "seconds": cfg.dlq_seconds,
                                          "methods": ["POST", "PATCH"],
                                          "path_contains": "/comments"}),
              cfg.dlq_seconds, lambda: stack.dlq_depth("status") >= cfg.dlq_target),
    ]  # fmt: skip
    return sorted(
        (f for f, k in zip(faults, kinds, strict=True) if k in chosen), key=lambda f: f.at
    )


def run(cfg: Config, say: Any = print) -> dict[str, Any]:
    """One run; returns the figures and the checks (the test asserts the checks)."""
    from bzzz.audit.view import read_stream
    from bzzz.dead_letters import dead_letters

    work = Path(tempfile.mkdtemp(prefix="bzzz-scale-"))
    stack = Stack(cfg, work, say)
    try:
        stack.start()
        say(f"{cfg.tasks} tasks, {cfg.runners} runners in {cfg.runner_processes} processes "
            f"(capacity {cfg.capacity}), stand-in work {cfg.delay}s, {cfg.fail_fraction:.0%} "
            f"fail; lease {cfg.lease_seconds}s; labels at {cfg.rate:g}/s, "
            f"{cfg.poll_only:.0%} without a webhook (reconcile poll only)")  # fmt: skip
        expected = cfg.tasks / cfg.rate
        faults = _schedule(cfg, stack, expected)
        say("fault schedule (s after the first label):")
        for fault in faults:
            say(f"  t={fault.at:7.1f}  {fault.name}")
        poll_only = (
            set(range(1, cfg.tasks + 1, max(1, round(1 / cfg.poll_only))))
            if cfg.poll_only
            else set()
        )
        labelled_at: dict[int, float] = {}
        started = time.time()

        def labeller(numbers: list[int]) -> None:
            for number in numbers:
                due = started + (number - 1) / cfg.rate
                if due > time.time():
                    time.sleep(due - time.time())  # the schedule of labels, not a wait for state
                labelled_at[number] = time.time()
                stack.label(number, webhook=number not in poll_only)

        numbers = list(range(1, cfg.tasks + 1))
        pool = ThreadPoolExecutor(cfg.label_threads)
        futures = [pool.submit(labeller, numbers[i :: cfg.label_threads])
                   for i in range(cfg.label_threads)]  # fmt: skip
        dlq_seen: dict[str, list[dict[str, Any]]] = {}
        redriven = 0
        faults_over: float | None = None if faults else started
        deadline = started + cfg.timeout
        while time.time() < deadline:
            now = time.time() - started
            for index, fault in enumerate(faults):
                if not fault.done and now >= fault.at:
                    late = now - fault.at
                    say(f"  t={now:7.1f}  FAULT: {fault.name}")
                    fault.action()
                    fault.done = True
                    # A busy loop is late; the windows after this one keep their lengths.
                    for later in faults[index + 1 :]:
                        later.at += late
                    now = time.time() - started
                closing = fault.done and fault.ends is not None and not fault.ended
                if closing and (fault.ends() or now >= fault.at + fault.lasts):
                    fault.lasts = now - fault.at
                    say(f"  t={now:7.1f}  END: {fault.name} (after {fault.lasts:.0f} s)")
                    stack.github_fault_clear()
                    fault.ended = True
            # After every window, and the receives a failing message needs to reach its
            # DLQ (MaxReceiveCount 3 at 1, 2, 3 s of backoff).
            if (faults and faults_over is None
                    and all(f.done and (f.ends is None or f.ended) for f in faults)
                    and now >= max(f.at + f.lasts for f in faults) + 10):  # fmt: skip
                redriven = _redrive_dead_letters(stack, dlq_seen, say, now, "after the faults")
                faults_over = time.time()
            elif faults and faults_over is not None:
                # A message whose last failure came at the very end of the outage may reach
                # its DLQ after the redrive (its retries are spaced by backoff, and in a FIFO
                # queue behind its task's earlier messages): redrive those too, as an
                # operator would, and count them as seen after the faults.
                redriven += _redrive_dead_letters(stack, dlq_seen, say, now, "late")
            for f in futures:
                if f.done() and f.exception() is not None:
                    raise RuntimeError("labelling failed") from f.exception()
            if all(f.done() for f in futures) and faults_over is not None:
                rows = _tasks(stack.settings)
                if len(rows) == cfg.tasks and all(r["state"] in TERMINAL for r in rows.values()):
                    break
            time.sleep(1.0)
        for f in futures:
            f.result()
        drained_at = time.time()
        rows = _tasks(stack.settings)
        # The status queue empties after the last transition: mirrors on the issue. A
        # message the killed control plane had received stays invisible (and, FIFO, holds
        # its task's group) for the queue's visibility timeout: wait that long and more.
        status_empty = _wait_queue_empty(stack, "status", _visibility(stack, "status") + 60)
        for _ in range(3):  # late arrivals while the queue drained: redrive, drain again
            now = time.time() - started
            late = _redrive_dead_letters(stack, dlq_seen, say, now, "late") if faults else 0
            if not late:
                break
            redriven += late
            status_empty = _wait_queue_empty(stack, "status", _visibility(stack, "status") + 60)
        stack.stop_hosts()
        counts = scale_counting.merge(sorted(work.glob("counts-*.json")))
        with ThreadPoolExecutor(8) as readers:
            numbers = list(rows)
            found = readers.map(lambda n: read_stream(stack.settings, f"{REPO}#{n}"), numbers)
            streams = dict(zip(numbers, found, strict=True))
        letters_end = dead_letters(stack.settings)
        report = _report(cfg, stack, rows, streams, labelled_at, started, drained_at,
                         faults_over, counts, dlq_seen, redriven, letters_end,
                         status_empty)  # fmt: skip
        pool.shutdown()
        return report
    finally:
        stack.close()
        say(f"logs: {work}")


def _visibility(stack: Stack, queue: str) -> float:
    from bzzz import aws

    attrs = aws.client("sqs", stack.settings).get_queue_attributes(
        QueueUrl=stack.settings.queue_url(queue), AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    return float(attrs["VisibilityTimeout"])


def _redrive_dead_letters(
    stack: Stack,
    seen: dict[str, list[dict[str, Any]]],
    say: Callable[[str], None],
    now: float,
    when: str,
) -> int:
    """Redrive whatever is in a DLQ, adding it to what was seen there; how many moved.

    The first call, `after the faults`, always reports what it found (every queue, empty
    ones too); later ones (`late`: what a message failed at the very end of an outage
    brings after that) only when they find something."""
    from bzzz.dead_letters import dead_letters, redrive

    letters = dead_letters(stack.settings)
    if when == "late" and not any(letters.values()):
        return 0
    for queue, messages in letters.items():
        seen.setdefault(queue, []).extend(asdict(m) for m in messages)
    say(f"  t={now:7.1f}  DLQs {when}: { {q: len(ms) for q, ms in letters.items()} }")
    moved = sum(redrive(stack.settings, q).moved for q in letters if letters[q])
    say(f"  t={now:7.1f}  redrive: {moved} message(s) back to their queues")
    return moved


def _wait_queue_empty(stack: Stack, queue: str, timeout: float) -> bool:
    from bzzz import aws

    sqs = aws.client("sqs", stack.settings)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        attrs = sqs.get_queue_attributes(
            QueueUrl=stack.settings.queue_url(queue),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if not any(int(v) for v in attrs.values()):
            return True
        time.sleep(0.5)
    return False


def _report(
    cfg,
    stack,
    rows,
    streams,
    labelled_at,
    started,
    drained_at,
    faults_over,
    counts,
    dlq_seen,
    redriven,
    letters_end,
    status_empty,
) -> dict[str, Any]:
    states = Counter(r["state"] for r in rows.values())
    lost = [n for n in range(1, cfg.tasks + 1)
            if n not in rows or (rows[n]["state"] not in TERMINAL and not (
                rows[n]["state"] == "queued" and rows[n].get("reason")))]  # fmt: skip
    double_claims, claim_latency, claims = 0, [], 0
    expired = sum(1 for es in streams.values() if any(e["type"] == "task.expire" for e in es))
    from runner.worker.task_worker import MODEL_DID_NOT_ANSWER

    model_released = sum(
        1 for es in streams.values()
        if any(e["type"] == "task.release" and e["data"].get("reason") == MODEL_DID_NOT_ANSWER
               for e in es)
    )  # fmt: skip
    for number, entries in streams.items():
        won = [e for e in entries if e["type"] in CLAIMS]
        claims += len(won)
        # A claim while the lease is still held (no release, expiry or end since the last
        # claim) is a double claim; a claim after a release (same attempt) is not.
        held = False
        for entry in entries:
            if entry["type"] in CLAIMS:
                double_claims += held and entry["type"] == "task.claim"
                held = True
            elif entry["type"] in LEASE_ENDS:
                held = False
        first = won[0] if won else None
        if first is not None and number in labelled_at:
            claim_latency.append(first["ts"] / 1000 - labelled_at[number])
    world = stack.emulator.world
    with world.lock:
        repo = world.repo(*REPO.split("/"))
        pulls = [i for i in repo.issues.values() if i.pull is not None]
        heads = Counter(int(i.pull.head.split("/")[1].split("-")[0]) for i in pulls)
        limiter_used = sum(w.used for w in stack.emulator.limiter._windows.values())
    double_prs = sum(c - 1 for c in heads.values() if c > 1)
    completed_once = sum(
        1 for n, r in rows.items() if r["state"] == "completed" and heads.get(n) == 1
    )
    completed_without_pr = [
        n for n, r in rows.items() if r["state"] == "completed" and heads.get(n) != 1
    ]
    # The summoning deliveries: status sync's own label changes are deliveries too.
    deliveries = [
        d
        for d in stack.emulator.webhooks.deliveries
        if d.event == "issues"
        and d.action == "labeled"
        and d.payload.get("label", {}).get("name") == LABEL
    ]
    delivered = [d for d in deliveries if d.delivered_at is not None]
    span = (
        (
            max(d.delivered_at for d in delivered) - min(d.delivered_at for d in delivered)
        ).total_seconds()
        if len(delivered) > 1
        else 0
    )
    claim_ts = sorted(e["ts"] / 1000 for es in streams.values() for e in es if e["type"] in CLAIMS)
    claim_span = claim_ts[-1] - claim_ts[0] if len(claim_ts) > 1 else 0
    github_total = sum(stack.github_requests.values())
    return {
        "tasks": cfg.tasks, "states": dict(states), "lost": lost, "requeued_by_expiry": expired,
        "killed_holding": sorted(stack.killed_holding),
        "control_plane_kills": stack.control_plane_kills,
        "model_answers_cut_off": stack.model_dropped, "released_for_the_model": model_released,
        "killed_tasks_end": {k: rows[int(k.rsplit("#", 1)[1])]["state"]
                             for k in stack.killed_holding},
        "double_claims": double_claims, "double_prs": double_prs,
        "completed_exactly_once": completed_once, "completed_without_one_pr": completed_without_pr,
        "claims": claims, "claims_per_s": claims / claim_span if claim_span else 0.0,
        "deliveries": len(deliveries),
        "delivery_statuses": dict(Counter(d.status_code for d in deliveries)),
        "deliveries_per_s": len(delivered) / span if span else 0.0,
        "label_to_claim_p50": _pct(claim_latency, 0.5),
        "label_to_claim_p99": _pct(claim_latency, 0.99),
        "run_seconds": drained_at - started,
        "drain_after_faults_s": drained_at - faults_over if faults_over else None,
        "dlq_after_faults": {q: len(m) for q, m in dlq_seen.items()},
        "dlq_explained": {q: dict(Counter(f"{m['type']}: {m['reason']}" for m in ms))
                          for q, ms in dlq_seen.items()},
        "redriven": redriven, "dlq_at_end": {q: len(m) for q, m in letters_end.items()},
        "dlq_at_end_explained": {q: dict(Counter(f"{m.type}: {m.reason}" for m in ms))
                                 for q, ms in letters_end.items()},
        "status_queue_empty": status_empty,
        "aws_requests": {k: v for k, v in counts.items() if ":" not in k},
        "dynamodb_by_table": {k[6:]: v for k, v in counts.items() if k.startswith("table:")},
        "task_writes": {k[5:]: v for k, v in counts.items() if k.startswith("sets:")},
        "idle_receives": counts.get("idle:sqs.ReceiveMessage(empty)", 0),
        "runner_seconds": cfg.runners * (drained_at - started),
        "github_requests": dict(stack.github_requests),
        "github_total": github_total, "github_rate_limited": limiter_used,
    }  # fmt: skip


def show(report: dict[str, Any], say: Any = print) -> None:
    n = report["tasks"]
    say("")
    say(f"tasks: {n}; states {report['states']}")
    say(
        f"completed exactly once (state completed, one PR): {report['completed_exactly_once']}; "
        f"completed without exactly one PR: {len(report['completed_without_one_pr'])}"
    )
    say(f"double claims (a claim while the lease was held, audit): {report['double_claims']}")
    say(f"double pull requests (stand-in's pull list): {report['double_prs']}")
    say(f"lost (no row, or not terminal and not queued with a reason): {len(report['lost'])}")
    ends = dict(Counter(report["killed_tasks_end"].values()))
    say(f"tasks the killed runners held: {report['killed_holding']}, at the end {ends}")
    say(
        f"tasks whose lease expired and were requeued (audit task.expire): "
        f"{report['requeued_by_expiry']}"
    )
    say(
        f"control plane killed and restarted: {report['control_plane_kills']} time(s); "
        f"webhook deliveries by answer: {report['delivery_statuses']}"
    )
    say(
        f"model answers cut off mid-body: {report['model_answers_cut_off']}; tasks released "
        f"because the model did not answer (and finished by a runner later): "
        f"{report['released_for_the_model']}"
    )
    say(f"DLQs after the faults: {report['dlq_after_faults']}")
    for queue, reasons in report["dlq_explained"].items():
        for reason, count in reasons.items():
            say(f"  {queue}: {count} x {reason}")
    say(
        f"redriven: {report['redriven']}; DLQs at the end: {report['dlq_at_end']}; "
        f"status queue empty at the end: {report['status_queue_empty']}"
    )
    for queue, reasons in report["dlq_at_end_explained"].items():
        for reason, count in reasons.items():
            say(f"  {queue} at the end: {count} x {reason}")
    drain = report["drain_after_faults_s"]
    say(
        f"run {report['run_seconds']:.1f}s; drained {drain:.1f}s after the last fault's repair"
        if drain is not None
        else f"run {report['run_seconds']:.1f}s"
    )
    say(
        f"claims: {report['claims']} at {report['claims_per_s']:.1f}/s; webhook deliveries: "
        f"{report['deliveries']} at {report['deliveries_per_s']:.1f}/s "
        f"{report['delivery_statuses']}"
    )
    say(
        f"label -> claim: p50 {report['label_to_claim_p50']:.2f}s  "
        f"p99 {report['label_to_claim_p99']:.2f}s"
    )
    for line in cost_lines(report):
        say(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Config()
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if name == "dynamodb":
            parser.add_argument(flag, choices=["moto", "dynamodb-local"], default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    args = parser.parse_args()
    cfg = Config(**vars(args))
    say = functools.partial(print, flush=True)
    report = run(cfg, say)
    show(report, say)
    out = os.environ.get("BENCH_SCALE_JSON")
    if out:
        Path(out).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
