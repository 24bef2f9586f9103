"""Actions mode: `bzzz action`, one task worked as a job on the owner's self-hosted runner.

    exit_code = main(os.environ)

The job reads what Actions hands a step (runner.actions.environment), decides what
its event asks (runner.actions.event), gets AWS credentials from GitHub's OIDC
provider (runner.actions.identity), and works the task as the daemon's worker does
(runner.actions.job), with the job's own GITHUB_TOKEN (runner.actions.credentials);
the job summary and outputs are runner.actions.summary. docs/actions.md says how
to set it up.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping

from bzzz.errors import BzzzError

log = logging.getLogger(__name__)


def main(env: MutableMapping[str, str]) -> int:
    from runner.actions.environment import read_environment
    from runner.actions.event import Ignored, job_event, read_event
    from runner.actions.job import ActionJob
    from runner.actions.summary import JobReport, write_report

    try:
        action = read_environment(env)
    except BzzzError as exc:
        print(f"bzzz action: {exc}", file=sys.stderr)
        return 2
    try:
        event = job_event(action.event_name, read_event(action.event_path), action.repository)
    except BzzzError as exc:
        print(f"bzzz action: {exc}", file=sys.stderr)
        report = JobReport(headline="the event could not be used", result="refused",
                           reason=str(exc))  # fmt: skip
        write_report(report, action.step_summary, action.output)
        return 2
    if isinstance(event, Ignored):
        write_report(JobReport(headline="nothing to do", result="ignored", reason=event.reason),
                     action.step_summary, action.output)  # fmt: skip
        print(f"bzzz action: nothing to do: {event.reason}", file=sys.stderr)
        return 0
    return ActionJob(action, env).run(event)
