"""`bzzz github_emulator`: placeholder; replaced by the stand-in's own command."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    return None
