"""`bzzz audit show|verify|keygen`: read a task's audit stream, check every chain and signature.

Exit status of `verify`: 0 when every checked stream verifies; 1 when any has
a finding (the first bad entry and why is printed) or the stream is empty;
2 when nothing could be checked (configuration, unreachable table), with one
line on stderr and no traceback. The control plane's key is pinned from the
secret `audit_signing_key` when this process can read it (see docs/audit.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bzzz.audit import KeyRegistry, StreamReport
    from bzzz.audit.store import Entry

_Command = Callable[[argparse.Namespace], int]
_SUMMARY_WIDTH = 90


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser("audit", help="the tamper-evident audit log")
    commands = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    show = commands.add_parser("show", help="print a task's audit stream")
    show.add_argument("task", help="task key owner/repo#number (or a stream such as bzzz:keys)")
    show.set_defaults(func=_guarded(_show))
    verify = commands.add_parser("verify", help="check chains and signatures; non-zero if bad")
    target = verify.add_mutually_exclusive_group(required=True)
    target.add_argument("task", nargs="?", help="task key owner/repo#number")
    target.add_argument("--all", action="store_true", help="every stream in the table")
    verify.set_defaults(func=_guarded(_verify))
    keygen = commands.add_parser(
        "keygen", help="make a control-plane signing key (for BZZZ_AUDIT_SIGNING_KEY)"
    )
    keygen.set_defaults(func=_guarded(_keygen))


def _keygen(args: argparse.Namespace) -> int:
    """Print a new Ed25519 key as PKCS#8 PEM on stdout and its public key on stderr."""
    from bzzz.audit import CONTROL_PLANE, Signer

    signer = Signer.generate(CONTROL_PLANE)
    sys.stdout.write(signer.pem().decode("ascii"))
    print(f"# public key: {signer.public_key}", file=sys.stderr)
    return 0


def _guarded(command: _Command) -> _Command:
    """Our errors become one line on stderr and exit status 2: nothing was verified."""

    def run(args: argparse.Namespace) -> int:
        from bzzz.errors import BzzzError

        try:
            return command(args)
        except BzzzError as exc:
            print(f"bzzz audit: {exc}", file=sys.stderr)
            return 2

    return run


def _registry() -> KeyRegistry:
    from bzzz.audit import CONTROL_PLANE, load_registry
    from bzzz.config import get_settings

    registry = load_registry(get_settings())
    source = registry.sources.get(CONTROL_PLANE, "nowhere (its entries cannot be checked)")
    print(f"control-plane key: from {source}")
    return registry


def _show(args: argparse.Namespace) -> int:
    from bzzz.audit import verify_entries
    from bzzz.audit.store import AuditStore
    from bzzz.config import get_settings

    entries, head = AuditStore(get_settings()).read(args.task)
    if not entries and head is None:
        print(f"bzzz audit: no entries for {args.task}", file=sys.stderr)
        return 1
    print(f"{'seq':>5}  {'time (UTC)':23}  {'author':16}  {'type':16}  {'hash':12}  data")
    for entry in entries:
        print(_line(entry))
    report = verify_entries(args.task, entries, _registry(), head)
    print(_verdict(report))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from bzzz.audit import verify_all, verify_entries
    from bzzz.audit.store import AuditStore
    from bzzz.config import get_settings

    settings = get_settings()
    if args.all:
        reports = verify_all(settings)
        if not reports:
            print("no audit streams")
            return 0
    else:
        entries, head = AuditStore(settings).read(args.task)
        if not entries and head is None:
            print(f"{args.task}: no entries (deleted, or never written)")
            return 1
        reports = [verify_entries(args.task, entries, _registry(), head)]
    for report in reports:
        print(_verdict(report))
    bad = [report for report in reports if not report.ok]
    print(f"{len(reports) - len(bad)} of {len(reports)} streams verify")
    return 1 if bad else 0


def _verdict(report: StreamReport) -> str:
    if report.finding is None:
        head = (report.head or "")[:12]
        return f"ok   {report.stream}: {report.entries} entries, head {head}"
    return f"BAD  {report.finding}"


def _line(entry: Entry) -> str:
    when = datetime.fromtimestamp(entry.ts / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return (
        f"{entry.seq_text or entry.seq:>5}  {when:23}  {entry.author[:16]:16}  "
        f"{entry.type[:16]:16}  {entry.hash[:12]:12}  {_summary(entry.data)}"
    )


def _summary(data: dict[str, Any]) -> str:
    """`key=value` pairs on one line, cut to the terminal's usual width."""
    parts = [
        f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in data.items()
    ]
    text = " ".join(parts).replace("\n", "\\n")
    return text if len(text) <= _SUMMARY_WIDTH else text[: _SUMMARY_WIDTH - 1] + "…"
