"""Evaluation instances in SWE-bench's format, read strictly.

One JSON object per line (or a JSON list), with SWE-bench's fields:

    instance_id, repo ("owner/name"), base_commit, problem_statement,
    FAIL_TO_PASS, PASS_TO_PASS   lists of pytest node ids (SWE-bench stores them as
                                 JSON-encoded strings; both forms are accepted),
    test_patch, patch            unified diffs (the hidden tests; the gold fix)

and, optionally, `test_command` (Bzzz's extension: how the judge runs the tests, with
pytest's `-rA` summary; default: `python -m pytest` on the listed node ids) and
`setup` (commands run in the sandbox before the tests). Unknown fields (version,
created_at, hints_text, ...) are kept but unused. A bad instance raises
InstanceError naming the instance, the field and what is wrong with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bzzz.errors import BzzzError

DEFAULT_TEST_COMMAND = "python -m pytest -q"
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
MAX_INSTANCE_BYTES = 5_000_000


class InstanceError(BzzzError):
    def __init__(self, where: str, field_name: str, problem: str) -> None:
        super().__init__(f"{where}: field {field_name!r}: {problem}")
        self.where, self.field, self.problem = where, field_name, problem


@dataclass(frozen=True)
class Instance:
    instance_id: str
    repo: str
    base_commit: str
    problem_statement: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    test_patch: str
    patch: str
    test_command: str | None = None  # how the judge runs the tests; None: the ids, by pytest
    setup: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def title(self) -> str:
        """The issue's title: the problem statement's first line, as a user would write it."""
        first = self.problem_statement.strip().splitlines()[0] if self.problem_statement else ""
        return first.lstrip("#").strip()[:256] or self.instance_id

    @property
    def body(self) -> str:
        return self.problem_statement.strip().partition("\n")[2].strip()


def _text(raw: dict[str, Any], name: str, where: str, *, empty: bool = False) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise InstanceError(where, name, f"must be a string ({got})")
    if not empty and not value.strip():
        raise InstanceError(where, name, "is empty")
    return value


def _tests(raw: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = raw.get(name, [])
    if isinstance(value, str):  # SWE-bench's own files: a JSON-encoded list
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise InstanceError(where, name, "is a string but not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise InstanceError(where, name, "must be a list of test ids")
    return tuple(value)


def parse_instance(raw: Any, where: str) -> Instance:
    if not isinstance(raw, dict):
        raise InstanceError(where, "(instance)", "must be a JSON object")
    ident = _text(raw, "instance_id", where)
    if not _ID.match(ident):
        raise InstanceError(where, "instance_id", "letters, digits, '.', '_', '-' only")
    where = f"{where} ({ident})"
    repo = _text(raw, "repo", where)
    if not _REPO.match(repo):
        raise InstanceError(where, "repo", f"must be owner/name, got {repo[:80]!r}")
    base = _text(raw, "base_commit", where).strip().lower()
    if not _SHA.match(base):
        raise InstanceError(where, "base_commit", "must be a commit id (hex)")
    fail_to_pass = _tests(raw, "FAIL_TO_PASS", where)
    if not fail_to_pass:
        raise InstanceError(where, "FAIL_TO_PASS", "is empty: nothing would show a fix")
    setup = raw.get("setup", [])
    if isinstance(setup, str):
        setup = [setup]
    if not isinstance(setup, list) or not all(isinstance(s, str) for s in setup):
        raise InstanceError(where, "setup", "must be a command or a list of commands")
    known = {
        "instance_id", "repo", "base_commit", "problem_statement", "FAIL_TO_PASS",
        "PASS_TO_PASS", "test_patch", "patch", "test_command", "setup",
    }  # fmt: skip
    return Instance(
        instance_id=ident,
        repo=repo,
        base_commit=base,
        problem_statement=_text(raw, "problem_statement", where),
        fail_to_pass=fail_to_pass,
        pass_to_pass=_tests(raw, "PASS_TO_PASS", where),
        test_patch=_text(raw, "test_patch", where),
        patch=_text(raw, "patch", where, empty=True),
        test_command=str(raw["test_command"]) if raw.get("test_command") else None,
        setup=tuple(setup),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def load_instances(path: Path, only: Iterable[str] = ()) -> list[Instance]:
    """The instances in `path` (JSONL or a JSON list), in order; `only` keeps those ids."""
    if path.stat().st_size > MAX_INSTANCE_BYTES * 100:
        raise InstanceError(str(path), "(file)", "is larger than 500 MB")
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            rows = list(enumerate(json.loads(text), start=1))
        except json.JSONDecodeError as exc:
            raise InstanceError(str(path), "(file)", f"is not JSON: {exc.msg}") from None
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append((number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    where = f"{path}:{number}"
                    raise InstanceError(where, "(line)", f"is not JSON: {exc.msg}") from None
    instances = [parse_instance(raw, f"{path}:{number}") for number, raw in rows]
    seen: set[str] = set()
    for instance in instances:
        if instance.instance_id in seen:
            raise InstanceError(str(path), "instance_id", f"{instance.instance_id} twice")
        seen.add(instance.instance_id)
    wanted = set(only)
    if wanted:
        missing = wanted - seen
        if missing:
            raise InstanceError(
                str(path), "instance_id", f"not found: {', '.join(sorted(missing))}"
            )
        instances = [i for i in instances if i.instance_id in wanted]
    return instances
