"""The tools a tool-capable model calls, and how each runs inside the sandbox.

Everything goes through `Sandbox.run`, so nothing touches the host: files are
read with `cat`, written from base64 (no quoting pitfalls, any content), and
patches applied with `git apply` inside the container. Paths must resolve
(symlinks included, checked by `realpath` inside the sandbox) under /workspace.
A bad call (unknown tool, missing or mistyped argument, a path outside
/workspace) raises FormatError: the model is told, the loop goes on.
"""

from __future__ import annotations

import base64
import posixpath
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.agent.types import AskedForHelp, FormatError

if TYPE_CHECKING:
    from runner.sandbox.container import CommandResult, Sandbox

WORKSPACE = "/workspace"
MAX_WRITE_BYTES = 90_000  # base64 grows it by 4/3; one exec argument is limited to 128 KiB


def _tool(name: str, description: str, **params: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {p: {"type": "string", "description": d} for p, d in params.items()},
                "required": list(params),
            },
        },
    }


TOOLS: list[dict[str, Any]] = [
    _tool("run_command", "Run a bash command in /workspace.", command="the command"),
    _tool("read_file", "Read a file under /workspace.", path="path, relative to /workspace"),
    _tool(
        "write_file",
        "Create or replace a file under /workspace.",
        path="path, relative to /workspace",
        content="the whole new content",
    ),
    _tool("apply_patch", "Apply a unified diff (paths relative to /workspace).", patch="the diff"),
    _tool("finish", "The issue is resolved and the tests pass.", summary="what you changed"),
    _tool("ask_for_help", "Ask a human one precise question.", question="the question"),
]
_PARAMS = {t["function"]["name"]: t["function"]["parameters"]["required"] for t in TOOLS}


@dataclass(frozen=True)
class Executed:
    """One tool call that ran in the sandbox: what to record, and what the model sees."""

    action: str
    result: CommandResult
    observation: str


def arguments(name: str, args: Mapping[str, Any]) -> dict[str, str]:
    """The call's arguments, checked against the tool's parameters (FormatError if wrong)."""
    if name not in _PARAMS:
        raise FormatError(f"Unknown tool {name!r}. Available tools: {', '.join(_PARAMS)}.")
    checked = {}
    for param in _PARAMS[name]:
        value = args.get(param)
        if not isinstance(value, str):
            got = "missing" if value is None else f"a {type(value).__name__}"
            raise FormatError(f"Tool {name}: argument {param!r} must be a string ({got}).")
        checked[param] = value
    return checked


def workspace_path(path: str) -> str:
    """The absolute path under /workspace; FormatError for anything that leaves it."""
    if not path.strip() or "\0" in path:
        raise FormatError("The path is empty or invalid.")
    full = posixpath.normpath(posixpath.join(WORKSPACE, path))
    if full != WORKSPACE and not full.startswith(WORKSPACE + "/"):
        raise FormatError(f"Refused: {path!r} is outside {WORKSPACE}; only files there exist.")
    return full


def _inside(path: str) -> str:
    """Shell that refuses a path resolving outside /workspace (e.g. through a symlink)."""
    q = shlex.quote(path)
    return (
        f'case "$(realpath -m -- {q})" in {WORKSPACE}|{WORKSPACE}/*) ;; '
        f"*) echo 'refused: the path resolves outside {WORKSPACE}'; exit 2;; esac; "
    )


def _b64(text: str) -> str:
    return shlex.quote(base64.b64encode(text.encode()).decode())


class ToolBox:
    def __init__(self, sandbox: Sandbox, timeout: float | None = None) -> None:
        self.sandbox = sandbox
        self.timeout = timeout

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        return self.sandbox.run(command, timeout=timeout or self.timeout)

    def call(self, name: str, raw: Mapping[str, Any], timeout: float | None = None) -> Executed:
        """Run one sandbox tool. `finish` is the agent's business; ask_for_help raises."""
        args = arguments(name, raw)
        if name == "ask_for_help":
            raise AskedForHelp(args["question"])
        if name == "run_command":
            result = self.run(args["command"], timeout)
            return Executed(args["command"], result, result.observation())
        if name == "read_file":
            path = workspace_path(args["path"])
            result = self.run(_inside(path) + f"cat -- {shlex.quote(path)}", timeout)
            text = result.output if result.ok else result.observation()
            return Executed(f"read_file {args['path']}", result, text)
        if name == "write_file":
            path, content = workspace_path(args["path"]), args["content"]
            if len(content.encode()) > MAX_WRITE_BYTES:
                raise FormatError(f"write_file: content over {MAX_WRITE_BYTES} bytes; split it.")
            q = shlex.quote(path)
            cmd = (
                _inside(path)
                + f'mkdir -p -- "$(dirname -- {q})" && printf %s {_b64(content)} | base64 -d > {q}'
                + f' && echo "wrote $(wc -c < {q}) bytes to {args["path"]}"'
            )
            result = self.run(cmd, timeout)
            return Executed(f"write_file {args['path']}", result, result.observation())
        if name == "apply_patch":
            patch = args["patch"] if args["patch"].endswith("\n") else args["patch"] + "\n"
            cmd = (
                "p=$(mktemp) && printf %s " + _b64(patch) + ' | base64 -d > "$p" && '
                "git -c safe.directory='*' apply --verbose --recount --whitespace=nowarn "
                '"$p"; s=$?; rm -f "$p"; exit $s'
            )
            result = self.run(cmd, timeout)
            lines = patch.count("\n")
            return Executed(f"apply_patch ({lines} lines)", result, result.observation())
        raise FormatError(f"Tool {name} cannot be called here.")
