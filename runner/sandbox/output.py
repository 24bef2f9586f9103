"""What a sandbox command returns: CommandResult, and the head-and-tail output cap."""

from __future__ import annotations

import signal
from dataclasses import dataclass

TIMEOUT_EXIT_CODE = 124  # what coreutils `timeout` reports; models know its meaning


@dataclass(frozen=True)
class CommandResult:
    """One command's outcome. A failing command is an observation, never an exception."""

    exit_code: int
    output: str
    timed_out: bool
    truncated: bool
    duration: float
    explanation: str = ""  # why it failed, in words a model can act on; "" when exit_code == 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def observation(self) -> str:
        """The text to hand back to the model: output, then the exit code and any explanation."""
        tail = f"[exit code {self.exit_code}]"
        if self.explanation:
            tail += f" {self.explanation}"
        return f"{self.output.rstrip()}\n{tail}" if self.output.strip() else tail


def explain(exit_code: int, *, timed_out: bool, timeout: float, memory: str) -> str:
    if timed_out:
        return f"timed out after {timeout:g}s; the command and all its processes were killed"
    if exit_code == 0:
        return ""
    if exit_code == 137:
        return f"killed by SIGKILL, most likely for exceeding the memory limit ({memory})"
    if exit_code > 128:
        try:
            name = signal.Signals(exit_code - 128).name
        except ValueError:
            name = f"signal {exit_code - 128}"
        return f"killed by {name}"
    if exit_code == 127:
        return "command not found"
    if exit_code == 126:
        return "command found but not executable"
    return f"exited with code {exit_code}"


class OutputCap:
    """Keeps the first and last `limit / 2` bytes of a stream and counts what it drops."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped_bytes = 0
        self.dropped_lines = 0

    def feed(self, data: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        # Trim in batches (at twice the limit) so a flood costs O(n), not O(n²).
        if len(self.tail) > 2 * self.tail_limit:
            self._drop(len(self.tail) - self.tail_limit)

    def _drop(self, count: int) -> None:
        self.dropped_bytes += count
        self.dropped_lines += self.tail.count(b"\n", 0, count)
        del self.tail[:count]

    @property
    def truncated(self) -> bool:
        return self.dropped_bytes > 0 or len(self.tail) > self.tail_limit

    def text(self) -> str:
        if len(self.tail) > self.tail_limit:
            self._drop(len(self.tail) - self.tail_limit)
        head = self.head.decode(errors="replace")
        tail = self.tail.decode(errors="replace")
        if not self.dropped_bytes:
            return head + tail
        marker = (
            f"\n[... output cut: {self.dropped_bytes} bytes "
            f"({self.dropped_lines} lines) dropped from the middle ...]\n"
        )
        return head + marker + tail
