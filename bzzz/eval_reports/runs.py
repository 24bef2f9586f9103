"""A published eval run as the dashboard shows it, parsed from what is stored.

The files are `bzzz eval`'s own (runner/evaluation/report.py writes them; the
publisher checks that), but anyone who can write the bucket can put anything
there, so every field is checked, bounded and stripped of control characters
here, and a bad line is skipped with a note instead of failing the page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bzzz.plain_text import printable

# `20261204T185101Z-qwen2.5-coder-7b`: when the run was measured (UTC), then its model.
RUN_ID = re.compile(r"(\d{8}T\d{6}Z)-([A-Za-z0-9._-]{1,64})")
_STAMP = "%Y%m%dT%H%M%SZ"
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
MAX_TEXT = 200  # characters of any one string shown (model, instance id, outcome, note)
MAX_ROWS = 2000  # result rows shown of one run
MAX_NOTES = 20  # skipped lines named one by one; the rest are counted


def run_id(model: str, measured_at: float) -> str:
    """The run's id: its UTC time, then its model as an S3-key-safe word (sortable by time)."""
    stamp = datetime.fromtimestamp(measured_at, UTC).strftime(_STAMP)
    slug = _SLUG.sub("-", model).strip("-.")[:64].rstrip("-.") or "model"
    return f"{stamp}-{slug}"


def measured_at(ident: str) -> float:
    """The time in a run id (its first part); ValueError if `ident` is no run id."""
    found = RUN_ID.fullmatch(ident)
    if not found:
        raise ValueError(f"not a run id: {ident[:80]!r}")
    return datetime.strptime(found.group(1), _STAMP).replace(tzinfo=UTC).timestamp()


def clean(value: object, limit: int = MAX_TEXT) -> str:
    """A stored string made safe to show: no control characters, at most `limit` long."""
    text = printable(value) if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Summary:
    run_id: str
    measured_at: float
    model: str
    instances: int
    resolved: int
    problem: str = ""  # why the summary could not be read; the numbers are 0 then

    @property
    def percent(self) -> float | None:
        """Resolved over instances, from the counts (never the file's own percentage)."""
        return round(100.0 * self.resolved / self.instances, 1) if self.instances else None


@dataclass(frozen=True)
class Row:
    instance_id: str
    resolved: bool
    outcome: str
    seconds: float | None = None
    iterations: int | None = None
    tokens: int | None = None
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "line N: why", the first MAX_NOTES
    skipped_count: int = 0
    truncated: bool = False  # more rows or bytes than are shown


def parse_summary(ident: str, raw: bytes | None) -> Summary:
    at = measured_at(ident)
    try:
        data = json.loads(raw or b"")
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        instances, resolved = _count(data, "instances"), _count(data, "resolved")
        if resolved > instances:
            raise ValueError("more resolved than instances")
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        why = "no summary.json" if raw is None else f"summary.json unreadable: {clean(str(exc))}"
        return Summary(ident, at, "", 0, 0, problem=why)
    return Summary(ident, at, clean(data.get("model")), instances, resolved)


def _count(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if type(value) is not int or value < 0:  # bool is an int: excluded by `type(...) is`
        raise ValueError(f"{name} is not a whole number >= 0")
    return value


def parse_results(raw: bytes, *, cut: bool = False) -> Results:
    """One Row per good line of results.jsonl; `cut`: the bytes end mid-file (its last,
    partial line is dropped)."""
    lines = raw.split(b"\n")
    if cut:
        lines = lines[:-1]
    out = Results(truncated=cut)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(out.rows) >= MAX_ROWS:
            out.truncated = True
            break
        try:
            out.rows.append(parse_row(line))
        except ValueError as exc:
            out.skipped_count += 1
            if len(out.skipped) < MAX_NOTES:
                out.skipped.append(f"line {number}: {clean(str(exc))}")
    return out


def parse_row(line: bytes) -> Row:
    """One results.jsonl line; ValueError saying what is wrong with it."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    ident, resolved, outcome = data.get("instance_id"), data.get("resolved"), data.get("outcome")
    if not isinstance(ident, str) or not ident.strip():
        raise ValueError("no instance_id")
    if not isinstance(resolved, bool):
        raise ValueError("resolved is not true or false")
    return Row(
        instance_id=clean(ident),
        resolved=resolved,
        outcome=clean(outcome) or "unknown",
        seconds=_number(data.get("seconds")),
        iterations=_whole(data.get("iterations")),
        tokens=_whole(data.get("tokens")),
        note=clean(data.get("note")),
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(float(value), 1) if 0 <= value < 1e9 else None


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):  # a bool is an int to Python
        return None
    return value if 0 <= value < 10**12 else None
