"""The `bzzz` console script: one argparse tree, one module per command group.

This package is the composition root: it may import `bzzz/`, `runner/`,
`handlers/` and `infra/`, which is why it is not part of `bzzz/` itself
(`bzzz/` never imports the others). Each command module exposes
`register(subparsers)` and sets `func` on its parsers; the modules are imported
only when the tree is built, and each command imports its heavy dependencies
inside its function, so `bzzz --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules under cli/ that contribute commands, in the order `--help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "cli.demo",
    "cli.eval",
    "cli.eval_publish",
    "cli.local",
    "cli.control_plane",
    "cli.github_emulator",
    "cli.ollama_emulator",
    "cli.runner",
    "cli.action",
    "cli.audit",
    "cli.decisions",
    "cli.agents",
    "cli.dlq",
    "cli.images",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bzzz",
        description="Bzzz: AI agents that turn labelled GitHub issues into draft pull requests.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
