"""The job's own GITHUB_TOKEN as the task's repository token.

Actions mints it per job, scoped to the workflow's repository and to the job's
`permissions:`, and revokes it when the job ends: it is what the control plane
vends to a daemon runner (runner.credentials), made by GitHub instead. A task of
any other repository is refused here, whatever a payload names.
"""

from __future__ import annotations

from bzzz.errors import InputError
from bzzz.tasks.keys import parse_task_key
from runner.credentials import Credentials, RepoToken


class JobCredentials(Credentials):
    def __init__(self, github_api_url: str, repository: str, token: str) -> None:
        super().__init__(github_api_url)
        self._repository = repository
        self._token = token

    def check(self) -> str:
        return f"the job's GITHUB_TOKEN (scoped by Actions to {self._repository})"

    def token_for(self, key: str) -> RepoToken:
        repo, _ = parse_task_key(key)
        if repo.lower() != self._repository.lower():
            raise InputError("task", f"{key} is not of this job's repository {self._repository}")
        token = self._token
        return RepoToken(repo, lambda: (token, None), scoped=True)

    def __repr__(self) -> str:
        return f"JobCredentials(repository={self._repository!r})"
