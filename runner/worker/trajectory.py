"""Everything the agent did, on disk under the runner's state dir, written as it happens.

One JSON line per event (the task, each step, each setup or test command, the
outcome, what was done with it, the final diff), flushed after every line, so
a crash of the runner or a lost lease loses nothing: the file is the record
of the attempt.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.git.host_git import GitError
from runner.git.workspace import workspace_name

if TYPE_CHECKING:
    from runner.git.workspace import Workspace

log = logging.getLogger(__name__)

MAX_DIFF = 1_000_000  # bytes of the final diff kept


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


class Trajectory:
    def __init__(self, state_dir: Path, task_key: str, attempt: int) -> None:
        slug = workspace_name(task_key)  # distinct for distinct keys
        folder = Path(state_dir) / "trajectories"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{slug}-attempt{attempt}-{int(time.time())}.jsonl"
        self._lock = threading.Lock()

    def record(self, event: str, **data: Any) -> None:
        line = {"ts": round(time.time(), 3), "event": event}
        line.update({key: _plain(value) for key, value in data.items()})
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str) + "\n")

    def events(self) -> list[dict[str, Any]]:
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def keep_diff(self, workspace: Workspace | None) -> None:
        """Record the working tree's final diff against the commit it was cloned at.

        Called whatever became of the task (pushed, failed, abandoned, released), so
        the agent's changes outlive the working tree even when nothing was pushed.
        The diff is read from git in chunks and cut at MAX_DIFF bytes, so a huge
        one is never held whole; an over-quota tree keeps no diff at all.
        """
        if workspace is None or not workspace.base:
            return
        try:
            diff, truncated = workspace.diff(MAX_DIFF)
        except (GitError, OSError, subprocess.SubprocessError) as exc:
            log.warning("%s: the final diff was not saved: %s", self.path.name, exc)
            self.record("final_diff", diff="", truncated=False, error=str(exc)[:500])
            return
        self.record("final_diff", diff=diff, truncated=truncated)
