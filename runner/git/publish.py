"""What a finished task leaves behind: a commit, a pushed branch, and a draft pull request.

`branch_name` is `<prefix><number>-<slug of the title>` (prefix `bzzz/` unless
the repository's .bzzz.yml says otherwise). The pull request links the issue
with "Fixes #N" only for a verified fix (runner.worker.verify: its regression
test fails on the base commit and passes on the branch, and the suite is
green); otherwise "Refs #N", so merging an unproven change never closes the
issue silently, and its title says "[unverified]".

Everything else in the body and the commit messages came from the model, the
issue or the repository's output, and is neutralised (bzzz.github.neutralise):
no @mention notifies anyone and no closing keyword closes any issue, this one
included, since only that first line decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bzzz.github.neutralise import fence, neutralise

if TYPE_CHECKING:
    from runner.agent.types import TestRun
    from runner.git.workspace import Workspace
    from runner.worker.verify import Verification

MAX_COMMANDS_SHOWN = 30


def branch_name(prefix: str, number: int, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].rstrip("-")
    return f"{prefix}{number}-{slug}" if slug else f"{prefix}{number}"


def _commands_table(commands: Sequence[Any]) -> str:
    if not commands:
        return "_no commands were run_"
    rows = ["| # | command | exit | seconds |", "| --- | --- | --- | --- |"]
    for index, record in enumerate(commands[-MAX_COMMANDS_SHOWN:], start=1):
        shown = neutralise(str(record.command)).replace("|", "\\|").replace("\n", " ")[:120]
        shown = shown.replace("`", "'")
        code = "" if record.exit_code is None else record.exit_code
        rows.append(f"| {index} | `{shown}` | {code} | {float(record.duration):.1f} |")
    dropped = len(commands) - MAX_COMMANDS_SHOWN
    if dropped > 0:
        rows.append(f"\n_{dropped} earlier commands not shown_")
    return "\n".join(rows)


UNVERIFIED_TITLE = "[unverified] "
UNVERIFIED_LABEL = "bzzz:unverified"


def is_verified_fix(test: TestRun | None, verification: Verification | None) -> bool:
    return test is not None and test.passed and verification is not None and verification.verified


def pull_title(subject: str, number: int, verified: bool) -> str:
    return ("" if verified else UNVERIFIED_TITLE) + commit_message(subject, number)


def _verification(verification: Verification | None) -> str:
    if verification is None:
        return "_not verified: the change was not checked against the base commit_"
    if not verification.verified:
        return f"**Unverified**: {neutralise(verification.reason)}."
    lines = [f"**Verified fix**: {neutralise(verification.reason)}."]
    for name, run in (("base commit", verification.base), ("this branch", verification.branch)):
        if run is not None:
            command = neutralise(run.command).replace("`", "'")
            lines.append(f"On the {name}: `{command}` exit {run.exit_code}")
            lines.append(fence(neutralise(run.output[-1500:].strip())))
    return "\n\n".join(lines)


def pull_body(
    number: int,
    summary: str,
    commands: Sequence[Any],
    test: TestRun | None,
    verification: Verification | None = None,
) -> str:
    verified = is_verified_fix(test, verification)
    link = f"Fixes #{number}" if verified else f"Refs #{number}"
    if test is None:
        tests = "_the repository has no test command (set `test` in .bzzz.yml)_"
    else:
        verdict = "passed" if test.passed else f"failed (exit {test.exit_code})"
        tail = neutralise(test.output[-3000:].strip())
        command = neutralise(test.command).replace("`", "'")
        tests = f"`{command}` {verdict}\n\n{fence(tail)}"
    return (
        f"{link}\n\n## Summary\n\n{neutralise(summary.strip()) or '_no summary_'}\n\n"
        f"## Commands run\n\n{_commands_table(commands)}\n\n## Tests\n\n{tests}\n\n"
        f"## Verification\n\n{_verification(verification)}\n\n"
        "_Opened by Bzzz as a draft: review before merging._\n"
    )


def commit_message(subject: str, number: int, body: str = "") -> str:
    """`subject (#N)` and `body`, neutralised: a merged commit must close nothing either."""
    message = f"{neutralise(subject)} (#{number})"
    return f"{message}\n\n{neutralise(body)}" if body.strip() else message


def publish_branch(workspace: Workspace, branch: str, message: str) -> bool:
    """Commit and push the agent's changes; False (nothing pushed) when there are none."""
    if workspace.commit(message) is None:
        return False
    workspace.push(branch)
    return True
