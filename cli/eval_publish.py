"""`bzzz eval-publish DIR` (and `bzzz eval ... --publish`): a finished run on the dashboard.

    bzzz eval-publish eval-out/

Checks that DIR holds what `bzzz eval` wrote (runner.evaluation.report.written: the
files are byte for byte what it makes of their rows), then uploads its summary.json
and results.jsonl to `eval/<run-id>/` in the reports bucket (BZZZ_REPORTS_BUCKET, the
stack's ReportsBucketName), run id = the UTC time summary.json was last written, then
the model (bzzz.eval_reports). It runs with your AWS credentials; the dashboard only
reads the bucket.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bzzz.config import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("eval-publish", help="show a finished eval run on the dashboard")
    parser.add_argument("out", metavar="DIR", help="the run's --out folder")
    parser.set_defaults(func=_publish)


def publish_settings() -> Settings:
    """The settings to publish with; BzzzError (ConfigError, EvalReportError) if it cannot."""
    from bzzz.config import get_settings
    from bzzz.eval_reports import EvalReportError

    settings = get_settings()
    if not settings.reports_bucket:
        raise EvalReportError("BZZZ_REPORTS_BUCKET is not set (the stack's ReportsBucketName)")
    return settings


def publish_run(settings: Settings, out: Path) -> str:
    """Check and upload the run in `out`; where it went (s3://bucket/eval/<run-id>/)."""
    from bzzz.eval_reports import publish, run_id
    from runner.evaluation.report import written

    model, _ = written(out)  # ReportError if it is not bzzz eval's own output
    summary, results = out / "summary.json", out / "results.jsonl"
    ident = run_id(model, summary.stat().st_mtime)
    return publish(settings, ident, summary.read_bytes(), results.read_bytes())


def _publish(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from bzzz.errors import BzzzError
    from runner.evaluation.report import ReportError

    try:
        where = publish_run(publish_settings(), Path(args.out))
    except (BzzzError, ReportError, OSError) as exc:
        print(f"bzzz eval-publish: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"bzzz eval-publish: S3 refused the upload: {exc}", file=sys.stderr)
        return 1
    print(f"published to {where}")
    return 0
