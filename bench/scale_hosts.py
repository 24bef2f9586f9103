"""The processes of bench/scale.py: a runner host (several real runners) and the control plane.

    python -m bench.scale_hosts runners --ids r1,r2 --counts FILE [--delay 2 --steps 4 ...]
    python -m bench.scale_hosts control-plane --port P --counts FILE [--status-consumers 4]

Both read the stack's environment (AWS_*, BZZZ_*, GITHUB_*) from their own, count their
AWS requests (bench.scale_counting) into --counts once a second, touch --ready
once they serve, and stop on SIGTERM.
A runner host runs each runner id as its own `RunnerProcess` (the real loop: receive
`task.available`, claim, heartbeat the agents row, release on stop) on a thread of its
own, with the stand-in work of bench.scale_work; killing the host with SIGKILL kills all
of them mid-task, as a crashed runner machine would.

The control plane is cli.supervisor's (HTTP app, reconcile poll, status sync,
escalation), plus `--status-consumers - 1` more threads draining the status queue: in
AWS its Lambda runs one invocation per message group at a time, many groups at once;
one local drain loop would be the bottleneck of 10,000 tasks, not the design.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench import scale_counting
from bzzz.bus import LONG_POLL_SECONDS

MODEL = "stand-in:1b"  # the model the bench's Ollama stand-in serves (bench.scale)


def _stop_on_sigterm(stop: threading.Event) -> None:
    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def runners(args: argparse.Namespace) -> None:
    from bench.scale_work import StandInWork
    from bzzz.audit import AuditLog, audit_listener, load_or_create_key, publish_public_key
    from bzzz.bus import Bus
    from bzzz.config import load_settings
    from bzzz.store.models import bind
    from bzzz.tasks.lifecycle import Lifecycle
    from runner.config import RunnerSettings
    from runner.config_checks import StartedParts
    from runner.credentials import Credentials
    from runner.process import RunnerProcess
    from runner.registration import Registration
    from runner.worker.context import WorkerContext
    from runner.worker.progress import TerminalDisplay

    StandInWork.delay, StandInWork.steps = args.delay, args.steps
    StandInWork.fail_fraction = args.fail_fraction
    settings = load_settings(os.environ)
    bind(settings)
    state = Path(args.state_dir)
    made: list[RunnerProcess] = []
    for runner_id in args.ids.split(","):
        runner = RunnerSettings(
            runner_id=runner_id, ollama_host=args.model_url or "http://127.0.0.1:9", model=MODEL,
            capacity=args.capacity, state_dir=state / runner_id, grace_seconds=1.0,
            progress_seconds=args.progress_seconds, hmmm=False,
        )  # fmt: skip
        runner.state_dir.mkdir(parents=True, exist_ok=True)
        signer = load_or_create_key(runner.state_dir / "audit-key.pem", runner_id)
        bus = Bus(settings)
        audit = AuditLog(settings, signer)
        lifecycle = Lifecycle(settings, publisher=bus, listeners=[audit_listener(audit)])
        credentials = Credentials(settings.github_api_url, dev_token=os.environ["GITHUB_TOKEN"])
        # No engine; a model only with --model-url (the agent's first call, bench.scale_work).
        model: Any = SimpleNamespace(info=None)
        if args.model_url:
            from runner.agent.model import Model

            model = Model(MODEL, host=args.model_url, timeout=30)
        context = WorkerContext(
            settings, runner, lifecycle, bus, credentials, None, model,  # type: ignore[arg-type]
            TerminalDisplay(enabled=False),
        )  # fmt: skip
        context.audit = audit
        registration = Registration(
            runner_id, capabilities=runner.capabilities, models={runner.model},
            capacity=runner.capacity,
            heartbeat_seconds=runner.heartbeat_every(settings.lease_seconds),
        )  # fmt: skip
        registration.register()
        publish_public_key(settings, signer)
        made.append(RunnerProcess(StartedParts(context, bus, registration), work=StandInWork))
    threads = [threading.Thread(target=p.run, name=p.runner_id, daemon=True) for p in made]
    for thread in threads:
        thread.start()
    Path(args.ready).touch()
    stop.wait()
    for process in made:
        process.stop()
    for thread in threads:
        thread.join(timeout=30)


def control_plane(args: argparse.Namespace) -> None:
    from bzzz.config import get_settings
    from bzzz.store.models import bind
    from cli.supervisor import Supervisor

    settings = get_settings()
    bind(settings)
    supervisor = Supervisor(
        settings, port=args.port, reconcile_every=args.reconcile_every, drain_every=0.5
    ).start()
    extra = []
    for n in range(args.status_consumers - 1):
        thread = threading.Thread(target=_drain_status, args=(supervisor,), name=f"status-{n}")
        thread.daemon = True
        thread.start()
        extra.append(thread)
    Path(args.ready).touch()
    stop.wait()
    supervisor.stop()


def _drain_status(supervisor: Any) -> None:
    while not stop.wait(0.5):
        try:
            supervisor.bus.drain_by_task(
                "status", supervisor.status_sync.handle_task, retry_delay_seconds=1,
                wait_seconds=LONG_POLL_SECONDS,  # as Lambda's SQS trigger polls: long
            )  # fmt: skip
        except Exception:
            logging.getLogger(__name__).exception("status drain round failed")


stop = threading.Event()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    r = sub.add_parser("runners")
    r.add_argument("--ids", required=True)
    r.add_argument("--state-dir", required=True)
    r.add_argument("--capacity", type=int, default=1)
    r.add_argument("--delay", type=float, default=2.0)
    r.add_argument("--steps", type=int, default=4)
    r.add_argument("--fail-fraction", type=float, default=0.1)
    r.add_argument("--progress-seconds", type=float, default=1.0)
    r.add_argument("--model-url", default="", help="an Ollama endpoint for the first model call")
    c = sub.add_parser("control-plane")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--reconcile-every", type=float, default=5.0)
    c.add_argument("--status-consumers", type=int, default=4)
    for p in (r, c):
        p.add_argument("--counts", required=True)
        p.add_argument("--ready", required=True, help="touched once the host serves")
    args = parser.parse_args()
    logging.basicConfig(
        level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"), stream=sys.stderr,
        format=f"%(asctime)s {args.role}[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )  # fmt: skip
    scale_counting.install()
    _stop_on_sigterm(stop)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: where it is
    flusher = scale_counting.flush_every(Path(args.counts), 1.0, stop)
    try:
        (runners if args.role == "runners" else control_plane)(args)
    finally:
        stop.set()
        flusher.join(timeout=5)


if __name__ == "__main__":
    main()
