"""`.bzzz.yml` (or `.github/bzzz.yml`): the per-repository settings of a task (docs/bzzz-yml.md).

    config = load_repo_config(workspace_path)
    config.problems   # one line per bad field; the runner posts them as an issue comment
    config.source     # the file that was read (FILENAMES, the first that exists), or None

`.github/bzzz.yml` is there for repositories whose `.gitignore` ignores every
dotfile (`.*`); when both exist, `.bzzz.yml` is read and the other ignored.

Never raises for the file's content: a missing file gives the defaults; a bad
file gives the defaults for every bad field (the good fields still apply),
and `problems` names each bad field and why. A file that is not YAML, or not
a mapping, gives all the defaults and one problem.

The repository is hostile, and `problems` are posted on a public issue:
- the file is opened without following a symbolic link (a link to a host
  file is refused, never read; so is a `.github` folder that is a link), must
  be a regular file, and is never read past `MAX_BYTES`;
- a problem names the field and what is wrong with its type or range, never
  what the file says (no value, no unknown key: those are named by line);
- a budget, a command timeout or `num_ctx` above the runner's maximum is
  lowered to it, and an image the operator did not allow is refused
  (runner.repo_limits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from runner.agent.budgets import Budgets
from runner.errors import RepoFileError
from runner.repo_file import read_no_follow
from runner.repo_limits import RepoLimits, clamp

FILENAME = ".bzzz.yml"
FILENAMES = (FILENAME, ".github/bzzz.yml")  # the first that exists is read
MAX_BYTES = 64_000
_BRANCH_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_IMAGE = re.compile(r"^\S+$")
_BUDGET_KEYS = {"iterations": int, "wall_clock_seconds": float, "tokens": int}


@dataclass(frozen=True)
class RepoConfig:
    image: str | None = None  # None: the runner's default sandbox image
    setup: tuple[str, ...] = ()
    test_command: str | None = None
    budgets: Budgets = field(default_factory=Budgets)
    branch_prefix: str = "bzzz/"
    model: str | None = None  # None: the runner's model
    num_ctx: int | None = None  # None: the runner's context length
    command_timeout: float | None = None  # None: the sandbox default
    problems: tuple[str, ...] = ()
    source: str | None = None  # the file read (one of FILENAMES); None: no file


def load_repo_config(
    root: Path, defaults: RepoConfig | None = None, limits: RepoLimits | None = None
) -> RepoConfig:
    base = defaults or RepoConfig()
    for name in FILENAMES:
        try:
            raw = read_no_follow(Path(root), name, MAX_BYTES)
        except RepoFileError as exc:
            problem = replace(base, problems=(f"{name}: {exc}",), source=name)
            return clamp(problem, limits, base.image)
        if raw is not None:
            text = raw.decode("utf-8", errors="replace")
            return replace(parse_repo_config(text, defaults, limits, name=name), source=name)
    return clamp(base, limits, base.image)


def parse_repo_config(
    text: str,
    defaults: RepoConfig | None = None,
    limits: RepoLimits | None = None,
    *,
    name: str = FILENAME,
) -> RepoConfig:
    base = defaults or RepoConfig()
    return clamp(_parse(text, base, name), limits, base.image)


def _parse(text: str, base: RepoConfig, name: str) -> RepoConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        return replace(base, problems=(f"{name}: not valid YAML{line}",))
    if data is None:
        return base
    if not isinstance(data, dict):
        return replace(base, problems=(f"{name}: must be a mapping of settings",))
    values: dict[str, Any] = {}
    problems: list[str] = []
    known = {"image", "setup", "test", "budgets", "branch_prefix", "model", "num_ctx"}
    known |= {"command_timeout"}
    for key, value in data.items():
        if key not in known:
            where = _line_of(text, key)
            problems.append(f"an unknown field{where} (known: {', '.join(sorted(known))})")
            continue
        try:
            if key == "budgets":
                values["budgets"] = _budgets(value, base.budgets, problems, text)
            elif key == "test":
                values["test_command"] = _text(value)
            elif key == "setup":
                values["setup"] = _commands(value)
            elif key == "image":
                values["image"] = _matching(value, _IMAGE, "an image reference without spaces")
            elif key == "branch_prefix":
                prefix = _matching(value, _BRANCH_PREFIX, "letters, digits and . _ / -")
                if ".." in prefix or "//" in prefix:
                    raise ValueError("must be a valid git branch prefix")
                values["branch_prefix"] = prefix
            elif key == "model":
                values["model"] = _text(value)
            elif key == "num_ctx":
                values["num_ctx"] = _positive(value, int)
            elif key == "command_timeout":
                values["command_timeout"] = _positive(value, float)
        except ValueError as exc:
            problems.append(f"`{key}`: {exc}; the default is used")
    return replace(base, **values, problems=tuple(problems))


def _budgets(value: Any, base: Budgets, problems: list[str], text: str) -> Budgets:
    if not isinstance(value, dict):
        raise ValueError(f"must be a mapping of {', '.join(_BUDGET_KEYS)}")
    chosen: dict[str, Any] = {}
    for key, item in value.items():
        kind = _BUDGET_KEYS.get(key)
        if kind is None:
            where = _line_of(text, key)
            problems.append(
                f"`budgets`: an unknown field{where} (known: {', '.join(_BUDGET_KEYS)})"
            )
            continue
        try:
            chosen[key] = _positive(item, kind)
        except ValueError as exc:
            problems.append(f"`budgets.{key}`: {exc}; the default is used")
    return replace(base, **chosen)


def _positive(value: Any, kind: type) -> Any:
    numeric = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, numeric):
        raise ValueError(f"must be a {'whole ' if kind is int else ''}number, not {_show(value)}")
    if value <= 0:
        raise ValueError("must be positive")
    return kind(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, not {_show(value)}")
    return value.strip()


def _matching(value: Any, pattern: re.Pattern[str], what: str) -> str:
    text = _text(value)
    if not pattern.match(text):
        raise ValueError(f"must be {what}")
    return text


def _commands(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_text(value),)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"must be a command or a list of commands, not {_show(value)}")
    return tuple(v.strip() for v in value)


def _show(value: Any) -> str:
    """What kind of value the file gave: its type, never the value (it goes in public)."""
    kinds = {bool: "true/false", int: "number", float: "number", str: "string"}
    kinds |= {list: "list", dict: "mapping"}
    return "nothing" if value is None else f"a {kinds.get(type(value), 'value')}"


def _line_of(text: str, key: Any) -> str:
    """` on line N` for a top-level or budgets key, found by composing the YAML again."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return ""
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == str(key):
                    return f" on line {key_node.start_mark.line + 1}"
                pending.append(value_node)
    return ""
