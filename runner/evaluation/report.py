"""What an evaluation prints and writes: one result per instance, the totals, and the
predictions file SWE-bench's own evaluator reads.

    results.jsonl       one Result per line (what the table shows, and more)
    predictions.jsonl   {"instance_id", "model_name_or_path", "model_patch"} per instance
    summary.json        the totals

`written` reads a finished run back for publishing (bzzz.eval_reports) and checks that
its files are byte for byte what `write` makes of their own rows.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Result:
    instance_id: str
    resolved: bool
    outcome: str  # finished | budget | help | error | no-task (the runner's own outcome)
    iterations: int = 0
    tokens: int = 0
    seconds: float = 0.0  # label to the task's end
    commands: int = 0
    repaired: int = 0  # tool calls the model wrote as text, taken as calls (runner.agent.loop)
    pr_url: str | None = None
    branch: str | None = None
    verified: bool | None = None  # the runner's own verdict (runner.worker.verify)
    missing: list[str] = field(default_factory=list)  # listed tests that did not pass
    patch: str = ""  # the branch's diff against the base commit
    note: str = ""  # why it is not resolved, in a few words


def totals(results: Sequence[Result]) -> dict[str, Any]:
    resolved = [r for r in results if r.resolved]
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    share = 100.0 * len(resolved) / len(results) if results else 0.0
    return {
        "instances": len(results),
        "resolved": len(resolved),
        "resolved_percent": round(share, 1),
        "median_seconds_resolved": _median([r.seconds for r in resolved]),
        "median_tokens_resolved": _median([r.tokens for r in resolved]),
        "outcomes": outcomes,
    }


def _median(values: list[float] | list[int]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def write(out: Path, model: str, results: Sequence[Result]) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(asdict(result)) + "\n")
    with (out / "predictions.jsonl").open("w", encoding="utf-8") as handle:
        for result in results:
            row = {
                "instance_id": result.instance_id,
                "model_name_or_path": model,
                "model_patch": result.patch,
            }
            handle.write(json.dumps(row) + "\n")
    summary = {"model": model, **totals(results)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


class ReportError(ValueError):
    """A results folder is not what `write` leaves (missing, edited, or another format)."""


def written(out: Path) -> tuple[str, list[Result]]:
    """The model and rows of the run `write` left in `out`; ReportError if its files differ
    from what `write` makes of those rows (so nothing else is published as a run)."""
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        results = [Result(**json.loads(line)) for line in lines]
        model = summary["model"]
    except (OSError, ValueError, TypeError, KeyError) as exc:  # TypeError: fields differ
        raise ReportError(f"{out}: not a finished `bzzz eval` run: {exc}") from exc
    if not isinstance(model, str):
        raise ReportError(f"{out}/summary.json: model is not a string")
    for number, r in enumerate(results, start=1):
        if not (isinstance(r.instance_id, str) and isinstance(r.resolved, bool)
                and isinstance(r.outcome, str)):  # fmt: skip
            raise ReportError(f"{out}/results.jsonl line {number}: not a result")
    with tempfile.TemporaryDirectory(prefix="bzzz-eval-check-") as again:
        write(Path(again), model, results)
        for name in ("summary.json", "results.jsonl"):  # what is published
            if (Path(again) / name).read_bytes() != (out / name).read_bytes():
                raise ReportError(f"{out}/{name} is not what bzzz eval wrote for its results")
    return model, results


def table(results: Sequence[Result]) -> str:
    head = (f"{'instance':40} {'resolved':8} {'outcome':9} {'iter':>4} {'tokens':>8} "
            f"{'secs':>6} {'cmds':>4} {'rep':>3}")  # fmt: skip
    rows = [head, "-" * len(head)]
    for r in results:
        mark = "yes" if r.resolved else "no"
        rows.append(
            f"{r.instance_id[:40]:40} {mark:8} {r.outcome[:9]:9} {r.iterations:>4} "
            f"{r.tokens:>8} {r.seconds:>6.1f} {r.commands:>4} {r.repaired:>3}"
            + (f"  {r.note}" if r.note else "")
        )
    return "\n".join(rows)
