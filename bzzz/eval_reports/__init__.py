"""Published `bzzz eval` runs: where they live (`ReportsBucket`, `eval/<run-id>/`), and
what the dashboard reads of them (docs/eval.md, docs/dashboard.md).

The files' format is runner/evaluation/report.py's; this package only stores them and
parses them back, as hostile input, for showing.
"""

from bzzz.eval_reports.runs import Results, Row, Summary, parse_results, parse_row, run_id
from bzzz.eval_reports.store import LATEST, EvalReportError, latest, publish, read

__all__ = [
    "LATEST",
    "EvalReportError",
    "Results",
    "Row",
    "Summary",
    "latest",
    "parse_results",
    "parse_row",
    "publish",
    "read",
    "run_id",
]
