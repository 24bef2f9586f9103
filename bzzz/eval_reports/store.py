"""Published eval runs in S3 (`ReportsBucket`): `eval/<run-id>/summary.json` and
`results.jsonl`, one folder per run.

`publish` writes results first and the summary last, so a run whose summary is
there is whole; `latest` lists the folders (run ids sort by time) and reads the
newest runs' summaries; `read` is one run. Every read is bounded in bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bzzz import aws
from bzzz.errors import BzzzError, NotFoundError
from bzzz.eval_reports.runs import RUN_ID, Results, Summary, parse_results, parse_summary

if TYPE_CHECKING:
    from bzzz.config import Settings

PREFIX = "eval/"
SUMMARY, RESULTS = "summary.json", "results.jsonl"
MAX_SUMMARY_BYTES = 64 * 1024
MAX_RESULTS_BYTES = 16 * 1024 * 1024  # the rest of a larger file is not read (the page says so)
MAX_LISTED = 10_000  # run folders looked at to find the newest (ten list requests)
LATEST = 20


class EvalReportError(BzzzError):
    """Eval runs cannot be published or read here (no bucket, or S3 refused)."""


def _bucket(settings: Settings) -> str:
    if not settings.reports_bucket:
        raise EvalReportError("BZZZ_REPORTS_BUCKET is not set: eval runs are not published")
    return settings.reports_bucket


def _s3(settings: Settings, s3: Any | None) -> Any:
    return s3 if s3 is not None else aws.client("s3", settings)


def publish(
    settings: Settings, ident: str, summary: bytes, results: bytes, *, s3: Any | None = None
) -> str:
    """Upload one run's files under `eval/<ident>/`; the S3 URI of its folder."""
    if not RUN_ID.fullmatch(ident):
        raise EvalReportError(f"not a run id: {ident[:80]!r}")
    bucket, client = _bucket(settings), _s3(settings, s3)
    folder = f"{PREFIX}{ident}/"
    client.put_object(Bucket=bucket, Key=folder + RESULTS, Body=results,
                      ContentType="application/x-ndjson")  # fmt: skip
    client.put_object(Bucket=bucket, Key=folder + SUMMARY, Body=summary,
                      ContentType="application/json")  # fmt: skip
    return f"s3://{bucket}/{folder}"


def latest(settings: Settings, limit: int = LATEST, *, s3: Any | None = None) -> list[Summary]:
    """The newest `limit` runs, newest first ([] with no bucket configured)."""
    if not settings.reports_bucket:
        return []
    client = _s3(settings, s3)
    idents: list[str] = []
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.reports_bucket, Prefix=PREFIX, Delimiter="/"
    )
    for page in pages:
        for common in page.get("CommonPrefixes") or []:
            ident = str(common.get("Prefix", ""))[len(PREFIX) :].rstrip("/")
            if RUN_ID.fullmatch(ident):  # anything else in the prefix is not a run
                idents.append(ident)
        if len(idents) >= MAX_LISTED:
            break
    newest = sorted(idents, reverse=True)[:limit]
    return [parse_summary(i, _get(client, settings.reports_bucket, i, SUMMARY,
                                  MAX_SUMMARY_BYTES)[0]) for i in newest]  # fmt: skip


def read(settings: Settings, ident: str, *, s3: Any | None = None) -> tuple[Summary, Results]:
    """One run's summary and rows; NotFoundError for no such run (or no bucket)."""
    if not settings.reports_bucket or not RUN_ID.fullmatch(ident):
        raise NotFoundError("run", "no such eval run")
    client, bucket = _s3(settings, s3), settings.reports_bucket
    summary, _ = _get(client, bucket, ident, SUMMARY, MAX_SUMMARY_BYTES)
    results, cut = _get(client, bucket, ident, RESULTS, MAX_RESULTS_BYTES)
    if summary is None and results is None:
        raise NotFoundError("run", "no such eval run")
    return parse_summary(ident, summary), parse_results(results or b"", cut=cut)


def _get(client: Any, bucket: str, ident: str, name: str, limit: int) -> tuple[bytes | None, bool]:
    """The object's first `limit` bytes (None if it is not there), and whether it is longer."""
    try:
        reply = client.get_object(Bucket=bucket, Key=f"{PREFIX}{ident}/{name}")
    except client.exceptions.NoSuchKey:
        return None, False
    # No Range request: S3 refuses one on an empty object (a run of no instances). Reading
    # one byte past the limit says whether there is more; closing drops the rest unread.
    with reply["Body"] as stream:
        body: bytes = stream.read(limit + 1)
    return body[:limit], len(body) > limit
