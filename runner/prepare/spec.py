"""The `setup:` field of `.bzzz.yml`: what the preparation container runs (docs/bzzz-yml.md).

Two shapes: a command or a list of commands (the steps), or a mapping

    setup:
      steps: [pip install -r requirements.txt]
      network: true            # default; false: offline, from the runner's wheelhouse
      timeout: 600             # seconds for all the steps; at most BZZZ_MAX_SETUP_SECONDS
      fingerprint_files: [requirements*.txt, pyproject.toml]

`parse_setup` returns the fields for RepoConfig and the problems, in the style
of runner.repo_config: a problem names the field, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# What the dependencies of a repository are made of, when .bzzz.yml does not say.
DEFAULT_FINGERPRINT_FILES = (
    "requirements*.txt",
    "requirements/*.txt",
    "constraints*.txt",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "Pipfile",
    "Pipfile.lock",
    "environment.yml",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Gemfile.lock",
    "go.sum",
    "Cargo.lock",
)
MAX_FINGERPRINT_FILES = 64
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
_LAST = re.compile(r"^[A-Za-z0-9_.\-*?\[\]]+$")
_KEYS = ("steps", "network", "timeout", "fingerprint_files")


def parse_setup(value: Any, line_of: Callable[[Any], str]) -> tuple[dict[str, Any], list[str]]:
    """RepoConfig fields (`setup`, `setup_network`, ...) and the problems found."""
    from runner.repo_config import _commands, _positive, _show

    if not isinstance(value, dict):
        try:
            return {"setup": _commands(value)}, []
        except ValueError as exc:
            return {}, [f"`setup`: {exc}; no setup is run"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, item in value.items():
        if key not in _KEYS:
            known = ", ".join(_KEYS)
            problems.append(f"`setup`: an unknown field{line_of(key)} (known: {known})")
            continue
        try:
            if key == "steps":
                values["setup"] = _commands(item)
            elif key == "network":
                if not isinstance(item, bool):
                    raise ValueError(f"must be true or false, not {_show(item)}")
                values["setup_network"] = item
            elif key == "timeout":
                values["setup_timeout"] = _positive(item, float)
            elif key == "fingerprint_files":
                values["fingerprint_files"] = _patterns(item, _show)
        except ValueError as exc:
            problems.append(f"`setup.{key}`: {exc}; the default is used")
    if "setup" not in values and not problems:
        problems.append("`setup`: a mapping needs `steps` (a command or a list of commands)")
    return values, problems


def _patterns(value: Any, show: Callable[[Any], str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"must be a list of relative paths, not {show(value)}")
    if len(value) > MAX_FINGERPRINT_FILES:
        raise ValueError(f"may list at most {MAX_FINGERPRINT_FILES} paths")
    return tuple(_pattern(v) for v in value)


def _pattern(text: str) -> str:
    """A path under the repository's root; only its last part may hold `*`, `?` or `[...]`."""
    parts = text.strip().split("/")
    where = "relative paths of letters, digits, . _ - (wildcards in the file name only)"
    if not parts[-1] or not _LAST.match(parts[-1]) or parts[-1] in (".", ".."):
        raise ValueError(f"must be {where}")
    for part in parts[:-1]:
        if not _SEGMENT.match(part) or part in (".", ".."):
            raise ValueError(f"must be {where}")
    return "/".join(parts)
