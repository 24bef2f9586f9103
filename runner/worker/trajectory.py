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
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_DIFF = 1_000_000  # characters of the final diff kept


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


class Trajectory:
    def __init__(self, state_dir: Path, task_key: str, attempt: int) -> None:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", task_key).strip("-")
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

    def keep_diff(self, workdir: Path) -> None:
        """Record the working tree's final diff against the branch it was cloned from.

        Called whatever became of the task (pushed, failed, abandoned, released), so
        the agent's changes outlive the working tree even when nothing was pushed.
        """
        if not (workdir / ".git").is_dir():
            return
        git = ["git", "-c", "safe.directory=*", "-C", str(workdir)]
        try:
            subprocess.run([*git, "add", "--all"], capture_output=True, timeout=60, check=True)
            diff = subprocess.run(
                [*git, "diff", "--cached", "--binary", "@{upstream}"],
                capture_output=True, text=True, timeout=60, check=True,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("%s: the final diff was not saved: %s", self.path.name, exc)
            return
        self.record("final_diff", diff=diff[:MAX_DIFF], truncated=len(diff) > MAX_DIFF)
