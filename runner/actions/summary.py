"""The job summary ($GITHUB_STEP_SUMMARY) and the step's outputs ($GITHUB_OUTPUT).

The summary shows what became of the task, the pull request, the commands the agent
ran and their exit codes, and the verification. Issue titles, commands and reasons
are the repository's or the model's words: they are shown inside code spans or
escaped, never as Markdown of their own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_COMMANDS = 50  # rows of the commands table; the trajectory keeps them all


def _code(text: str, limit: int = 200) -> str:
    """`text` as one inline code span (backticks and line breaks cannot end it)."""
    flat = " ".join(str(text).split())[:limit].replace("`", "ˋ").replace("|", "¦")
    return f"`{flat}`" if flat else "` `"


@dataclass
class JobReport:
    key: str | None = None
    result: str = ""  # completed, failed, escalated, released, not claimed, ignored, ...
    headline: str = ""
    pr_url: str | None = None
    branch: str | None = None
    reason: str | None = None
    verification: str | None = None
    assumed_role: str | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## Bzzz: {self.headline}", ""]
        rows = [("task", _code(self.key) if self.key else "-"), ("result", self.result or "-")]
        if self.pr_url:
            rows.append(("pull request", self.pr_url))
        if self.branch:
            rows.append(("branch", _code(self.branch)))
        if self.verification:
            rows.append(("verification", _code(self.verification, 300)))
        if self.reason:
            rows.append(("reason", _code(self.reason, 500)))
        if self.assumed_role:
            rows.append(("AWS role (OIDC)", _code(self.assumed_role)))
        lines += ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows), ""]
        if self.commands:
            lines += ["### Commands", "", "| exit | command |", "| --- | --- |"]
            for command in self.commands[:MAX_COMMANDS]:
                text = _code(command.get("command", ""))
                lines.append(f"| {command.get('exit_code')} | {text} |")
            if len(self.commands) > MAX_COMMANDS:
                lines.append(f"| | … {len(self.commands) - MAX_COMMANDS} more in the trajectory |")
            lines.append("")
        return "\n".join(lines) + "\n"

    def outputs(self) -> dict[str, str]:
        return {"task": self.key or "", "result": self.result, "pr-url": self.pr_url or ""}


def write_report(report: JobReport, summary: Path | None, output: Path | None) -> None:
    """Append the summary and the outputs (Actions' file protocol; both files may be absent)."""
    if summary is not None:
        with summary.open("a", encoding="utf-8") as out:
            out.write(report.markdown())
    if output is not None:
        with output.open("a", encoding="utf-8") as out:
            for name, value in report.outputs().items():
                # The heredoc form with a random delimiter: no value can end it early.
                delimiter = f"bzzz_{secrets.token_hex(8)}"
                out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
