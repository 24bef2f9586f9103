"""What the dashboard shows, and to whom: the read model behind handlers/http_app/dashboard.

`Access` is who is looking (a GitHub user's readable and writable repositories, or an
operator signed in with the API key); `task_list`, `task_page` and `fleet` assemble
each page from the functions that already read the tables (bzzz.hive, bzzz.threads,
bzzz.audit, bzzz.dead_letters), `eval_runs` and `eval_run` the published eval runs
(bzzz.eval_reports); `cancel`, `retry` and `redrive` are the page's actions,
each one existing rule or command applied on a writer's or operator's word.
"""

from bzzz.dashboard.access import Access, ForbiddenError
from bzzz.dashboard.actions import cancel, redrive, retry
from bzzz.dashboard.evaluations import eval_run, eval_runs
from bzzz.dashboard.pages import TaskList, fleet, task_list, task_page

__all__ = [
    "Access",
    "ForbiddenError",
    "TaskList",
    "cancel",
    "eval_run",
    "eval_runs",
    "fleet",
    "redrive",
    "retry",
    "task_list",
    "task_page",
]
