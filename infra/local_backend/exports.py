"""Shell `export` lines for an environment mapping (what `bzzz local up|env` print)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping


def export_lines(env: Mapping[str, str]) -> list[str]:
    """`export NAME=value` lines, shell-quoted, sorted by name."""
    return [f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]
