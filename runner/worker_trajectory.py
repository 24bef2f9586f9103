"""Everything the agent did, on disk under the runner's state dir, written as it happens.

One JSON line per event (the task, each step, each setup or test command, the
outcome, what was done with it), flushed after every line, so a crash of the
runner or a lost lease loses nothing: the file is the record of the attempt.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from pathlib import Path
from typing import Any


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
