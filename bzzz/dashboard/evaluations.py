"""The eval pages' content: published `bzzz eval` runs (bzzz.eval_reports).

Any signed-in viewer sees them, operators and GitHub users alike: a run measures
Bzzz on benchmark instances, not a repository's tasks, so no repository's
permission applies; and the page shows no patch, branch or pull request, only
ids, verdicts, counts and the run's short note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bzzz.config import Settings


def eval_runs(settings: Settings) -> dict[str, Any]:
    """The newest published runs, newest first; `published` says whether a bucket is set."""
    from bzzz.eval_reports import LATEST, latest

    return {"published": bool(settings.reports_bucket), "runs": latest(settings, LATEST),
            "limit": LATEST}  # fmt: skip


def eval_run(settings: Settings, ident: str) -> dict[str, Any]:
    """One run's summary and per-instance rows; NotFoundError for no such run."""
    from bzzz.eval_reports import read

    summary, results = read(settings, ident)
    return {"summary": summary, "results": results}
