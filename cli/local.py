"""`bzzz local ...`: the embedded local AWS backend (filled in by the foundation)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    return None
