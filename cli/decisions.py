"""`bzzz decisions split|recover|list|show|reencrypt`: the admin key's shares, and reading records.

Keys never reach a disk here: `split` makes a new admin identity in memory (or
splits one from --identity FILE) and prints only its recipient and the shares;
`--recover` on list/show/reencrypt reads K shares (stdin, or prompted without
echo), combines them in this process and forgets them when it exits; `recover`
alone checks a set of shares. Exit status: 0 done; 1 a record is unreadable
or does not match its audit stream; 2 nothing could be done (one line, no
traceback).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cli.decision_text import render, safe, when

if TYPE_CHECKING:
    from bzzz.config import Settings

_Command = Callable[[argparse.Namespace], int]
_RECORD_COMMANDS = (
    ("list", "records under bzzz://OWNER[/REPO[/ISSUE]]"),
    ("show", "decrypt one record and check it against its audit stream"),
    ("reencrypt", "encrypt records again to the readers configured now"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    top = subparsers.add_parser("decisions", help="encrypted decision records (docs/decisions.md)")
    commands = top.add_subparsers(dest="decisions_command", metavar="COMMAND", required=True)
    split = commands.add_parser("split", help="make the admin identity's SLIP-39 shares")
    split.add_argument("--threshold", "-k", type=int, required=True, help="shares that recover")
    split.add_argument("--shares", "-n", type=int, required=True, help="shares made (<= 16)")
    split.add_argument("--identity", type=Path, help="split this identity file, not a new one")
    split.add_argument("--passphrase", action="store_true", help="ask for a SLIP-39 passphrase")
    split.set_defaults(func=_guarded(_split))
    recover = commands.add_parser("recover", help="check that K shares recover the admin key")
    recover.add_argument("--passphrase", action="store_true", help="ask for the passphrase")
    recover.set_defaults(func=_guarded(_recover))
    for name, about in _RECORD_COMMANDS:
        command = commands.add_parser(name, help=about)
        command.add_argument("address", nargs="?" if name != "show" else None, default="")
        keys = command.add_mutually_exclusive_group(required=name != "list")
        keys.add_argument("--identity", "-i", type=Path, action="append", help="age identity file")
        keys.add_argument("--recover", action="store_true", help="read K admin shares on stdin")
        command.add_argument("--passphrase", action="store_true", help="the shares' passphrase")
        if name == "show":
            command.add_argument("--json", action="store_true", help="the record as JSON")
        command.set_defaults(func=_guarded({"list": _list, "show": _show,
                                            "reencrypt": _reencrypt}[name]))  # fmt: skip


def _guarded(command: _Command) -> _Command:
    def run(args: argparse.Namespace) -> int:
        from bzzz.errors import BzzzError

        try:
            return command(args)
        except BzzzError as exc:
            print(f"bzzz decisions: {exc}", file=sys.stderr)
            return 2

    return run


# ----- keys -------------------------------------------------------------------------


def _split(args: argparse.Namespace) -> int:
    from bzzz.decisions import generate_identity, recipient_of, split_identity

    _no_core_dump()
    identity = _identities([args.identity])[0] if args.identity else generate_identity()
    passphrase = _passphrase(args, confirm=True)
    shares = split_identity(identity, args.threshold, args.shares, passphrase)
    print(f"# admin recipient (put it in BZZZ_DECISION_RECIPIENTS as `admin`): "
          f"{recipient_of(identity)}", file=sys.stderr)  # fmt: skip
    print(f"# {args.threshold} of these {args.shares} shares recover it; give one to each "
          "trustee and keep none together", file=sys.stderr)  # fmt: skip
    for number, share in enumerate(shares, 1):
        print(f"share {number}/{args.shares}: {share}")
    return 0


def _recover(args: argparse.Namespace) -> int:
    from bzzz.decisions import recipient_of

    identity = _recovered(args)
    print(f"the shares recover the admin identity of {recipient_of(identity)} "
          "(held in this process only; nothing was written)")  # fmt: skip
    return 0


def _recovered(args: argparse.Namespace) -> str:
    from bzzz.decisions import load_recipients, recover_identity

    _no_core_dump()
    settings = _maybe_settings()
    expected = None
    if settings is not None and settings.decision_recipients:
        expected = load_recipients(settings.decision_recipients).admin
    if sys.stdin.isatty():
        print("type the shares, one per line; an empty line ends", file=sys.stderr)
        shares = list(iter(lambda: getpass.getpass("share: "), ""))
    else:
        shares = sys.stdin.read().splitlines()
    return recover_identity(shares, _passphrase(args), expected_recipient=expected)


def _no_core_dump() -> None:
    """A crash while the admin key is in memory must not write it out as a core file."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _passphrase(args: argparse.Namespace, *, confirm: bool = False) -> str:
    if not getattr(args, "passphrase", False):
        return ""
    text = getpass.getpass("SLIP-39 passphrase: ")
    if confirm and getpass.getpass("again: ") != text:
        from bzzz.decisions import SharesError

        raise SharesError("passphrase", "the two entries differ")
    return text


def _identities(files: list[Path]) -> list[str]:
    """Identities from age identity files (`AGE-SECRET-KEY-1…` lines, `#` comments)."""
    from bzzz.decisions import IdentityError

    found: list[str] = []
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise IdentityError("--identity", f"cannot read {path}: {exc}") from None
        found += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not found:
        raise IdentityError("--identity", "no identity in the file(s)")
    return found


def _keys(args: argparse.Namespace) -> list[str]:
    return [_recovered(args)] if args.recover else _identities(args.identity or [])


# ----- records ----------------------------------------------------------------------


def _settings() -> Settings:
    from bzzz.config import get_settings
    from bzzz.store.models import bind

    settings = get_settings()
    bind(settings)
    return settings


def _maybe_settings() -> Settings | None:
    from bzzz.errors import ConfigError

    try:
        return _settings()
    except ConfigError:
        return None


def _list(args: argparse.Namespace) -> int:
    from bzzz.decisions import DecisionError, DecisionStore, open_record

    settings = _settings()
    store = DecisionStore(settings)
    keys = _keys(args) if (args.identity or args.recover) else []
    count = 0
    for address in store.addresses(args.address):
        meta = store.head(address)
        line = f"{address}  {when(meta.written_at)}  roles: {', '.join(meta.roles) or '-'}"
        if keys:
            try:
                record = open_record(settings, address, keys, store=store).record
                line += f"  {record.outcome.result} ({record.outcome.kind})"
            except DecisionError as exc:
                line += f"  unreadable: {exc}"
        print(safe(line))
        count += 1
    print(f"{count} record(s)", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from bzzz.decisions import BindingError, check_binding, open_record, parse_address

    settings = _settings()
    address = parse_address(args.address)
    opened = open_record(settings, address, _keys(args))
    try:
        verdict = "ok: " + check_binding(settings, opened.record, opened.plaintext).describe()
    except BindingError as exc:
        verdict = f"NOT BOUND: {exc}"
    if args.json:
        print(safe(json.dumps(opened.record.to_dict(), indent=2, ensure_ascii=False)))
    else:
        print(safe(render(opened.record)))
    print(f"audit: {verdict}", file=sys.stderr)
    return 0 if verdict.startswith("ok") else 1


def _reencrypt(args: argparse.Namespace) -> int:
    from bzzz.decisions import DecisionStore, load_recipients, parse_address, reencrypt
    from bzzz.decisions.address import SCHEME
    from bzzz.errors import ConfigError

    settings = _settings()
    if not settings.decision_recipients:
        raise ConfigError("BZZZ_DECISION_RECIPIENTS", "missing: the readers to encrypt to")
    recipients = load_recipients(settings.decision_recipients)
    keys, store = _keys(args), DecisionStore(settings)
    parts = args.address.removeprefix(SCHEME).strip("/").split("/")
    if len(parts) >= 4:  # one record's address, else a prefix
        addresses = [parse_address(args.address)]
    else:
        addresses = list(store.addresses(args.address))
    for address in addresses:
        done = reencrypt(settings, address, keys, recipients, store=store)
        print(f"{address}: encrypted again for admin, {', '.join(done.roles) or 'no roles'}")
    print(f"{len(addresses)} record(s) re-encrypted", file=sys.stderr)
    return 0
