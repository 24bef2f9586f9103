"""The agent's tools: one registry, from which the schemas, the prompt and the errors come.

Each `Tool` declares its parameters (the JSON schema a tool-capable model is
sent), its help line (the system prompt's list), its text-protocol form (what a
model without tool support does instead, in one fenced command or a marker
line), and how it runs. Adding a tool means adding one entry to `REGISTRY`:
`tool_schemas()`, `prompts.system_prompt()` and every error message that
names tools are generated from it.

Everything runs through `Sandbox.run`, so nothing touches the host: files are
read with `awk`, written from base64 (no quoting pitfalls, any content),
searched with `grep`, and patches applied with `git apply` inside the
container. Paths must resolve (symlinks included, checked by `realpath` inside
the sandbox) under /workspace. A bad call (unknown tool, missing or mistyped
argument, a path outside /workspace) raises FormatError: the model is told,
the loop goes on.
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from runner.agent.model import ToolCall
from runner.agent.types import AskedForHelp, FormatError

if TYPE_CHECKING:
    from runner.sandbox.container import CommandResult, Sandbox

WORKSPACE = "/workspace"
MAX_WRITE_BYTES = 90_000  # base64 grows it by 4/3; one exec argument is limited to 128 KiB
READ_LINES = 400  # lines one read_file shows: a 100 KB file must not flood the context
READ_LINE_CHARS = 2000  # a minified line is cut, not shown whole
SEARCH_MATCHES = 100  # matches one search shows
SEARCH_LINE_CHARS = 300

FINISH = "finish"  # the loop's business: it runs the tests before accepting the summary
# The text protocol's markers (runner.agent.text_protocol): its forms of finish and ask_for_help.
DONE_MARKER = "BZZZ_DONE:"
HELP_MARKER = "BZZZ_HELP:"


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    kind: Literal["string", "integer"] = "string"
    required: bool = True


@dataclass(frozen=True)
class Executed:
    """One tool call that ran in the sandbox: what to record, and what the model sees."""

    action: str
    result: CommandResult
    observation: str


Runner = Callable[["ToolBox", Mapping[str, Any], "float | None"], Executed]


@dataclass(frozen=True)
class Tool:
    name: str
    help: str  # one line: the tool's description in its schema and in the prompt
    params: tuple[Param, ...]
    purpose: str  # "read a file": how the text-protocol prompt names what the tool does
    text_form: str  # how a text-protocol model does the same
    run: Runner | None = None  # None: handled by the loop (finish)

    def schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.help,
                "parameters": {
                    "type": "object",
                    "properties": {
                        p.name: {"type": p.kind, "description": p.description} for p in self.params
                    },
                    "required": [p.name for p in self.params if p.required],
                },
            },
        }

    def arguments(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The call's arguments, checked against the parameters (FormatError naming the bad one).

        Small models often send numbers as strings ("12"): an integer parameter takes both.
        """
        checked: dict[str, Any] = {}
        for param in self.params:
            value = raw.get(param.name)
            if value is None or (value == "" and param.kind == "integer"):
                if param.required:
                    raise FormatError(f"Tool {self.name}: argument {param.name!r} is missing.")
                continue
            if param.kind == "integer":
                number = _integer(value)
                if number is None:
                    raise FormatError(
                        f"Tool {self.name}: argument {param.name!r} must be a whole number "
                        f"(got {value!r:.40})."
                    )
                checked[param.name] = number
            elif isinstance(value, str):
                checked[param.name] = value
            else:
                raise FormatError(
                    f"Tool {self.name}: argument {param.name!r} must be a string "
                    f"(got a {type(value).__name__})."
                )
        return checked


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


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


# ---- how each tool runs -------------------------------------------------------------------


def _run_command(box: ToolBox, args: Mapping[str, Any], timeout: float | None) -> Executed:
    result = box.run(args["command"], timeout)
    return Executed(args["command"], result, result.observation())


# A file that fits is shown as it is (a model copies it into patches); a range, or a file
# too long for one read, is shown with line numbers and says how to read on.
_READ_AWK = r"""
NR >= s && NR <= e {
  line = $0
  if (length(line) > w) line = substr(line, 1, w) "…[line cut]"
  out[NR] = line
  if (length($0) > w) cut = 1
}
END {
  total = NR
  if (total == 0) { print "[empty file]"; exit 0 }
  if (s > total) {
    printf "[the file has %d lines; start_line %d is past its end]\n", total, s
    exit 3
  }
  last = (e < total) ? e : total
  whole = (s == 1 && last == total && !ranged && !cut)
  for (i = s; i <= last; i++) {
    if (whole) print out[i]; else printf "%6d  %s\n", i, out[i]
  }
  if (!whole)
    printf "[lines %d-%d of %d; read_file with start_line/end_line reads others]\n", s, last, total
}
"""


def _read_file(box: ToolBox, args: Mapping[str, Any], timeout: float | None) -> Executed:
    path = workspace_path(args["path"])
    ranged = "start_line" in args or "end_line" in args
    start = max(1, args.get("start_line", 1))
    end = args.get("end_line", start + READ_LINES - 1)
    if end < start:
        raise FormatError(f"read_file: end_line {end} is before start_line {start}.")
    end = min(end, start + READ_LINES - 1)
    q = shlex.quote(path)
    command = (
        _inside(path)
        + f"if [ -d {q} ]; then echo 'refused: {args['path']} is a directory; "
        + "use run_command with ls'; exit 2; fi; "
        + f"awk -v s={start} -v e={end} -v w={READ_LINE_CHARS} -v ranged={int(ranged)} "
        + f"{shlex.quote(_READ_AWK)} < {q}"
    )
    result = box.run(command, timeout)
    text = result.output if result.ok else result.observation()
    shown = f"read_file {args['path']}" + (f" {start}-{end}" if ranged else "")
    return Executed(shown, result, text)


def _write_file(box: ToolBox, args: Mapping[str, Any], timeout: float | None) -> Executed:
    path, content = workspace_path(args["path"]), args["content"]
    if len(content.encode()) > MAX_WRITE_BYTES:
        raise FormatError(f"write_file: content over {MAX_WRITE_BYTES} bytes; split it.")
    q = shlex.quote(path)
    command = (
        _inside(path)
        + f'mkdir -p -- "$(dirname -- {q})" && printf %s {_b64(content)} | base64 -d > {q}'
        + f' && echo "wrote $(wc -c < {q}) bytes to {args["path"]}"'
    )
    result = box.run(command, timeout)
    return Executed(f"write_file {args['path']}", result, result.observation())


def _apply_patch(box: ToolBox, args: Mapping[str, Any], timeout: float | None) -> Executed:
    patch = args["patch"] if args["patch"].endswith("\n") else args["patch"] + "\n"
    command = (
        "p=$(mktemp) && printf %s " + _b64(patch) + ' | base64 -d > "$p" && '
        "git -c safe.directory='*' apply --verbose --recount --whitespace=nowarn "
        '"$p"; s=$?; rm -f "$p"; exit $s'
    )
    result = box.run(command, timeout)
    lines = patch.count("\n")
    return Executed(f"apply_patch ({lines} lines)", result, result.observation())


_SEARCH_AWK = r"""
{ n++; if (n <= max) { if (length($0) > w) print substr($0, 1, w) "…"; else print } }
END {
  if (n == 0) print "no matches"
  else if (n > max)
    printf "[%d matching lines, the first %d shown; narrow the pattern or path]\n", n, max
}
"""


def _search(box: ToolBox, args: Mapping[str, Any], timeout: float | None) -> Executed:
    where = args.get("path") or "."
    path = workspace_path(where)
    relative = posixpath.relpath(path, WORKSPACE)
    command = (
        _inside(path)
        + f"cd {WORKSPACE} && grep -rnIE --exclude-dir=.git -e {shlex.quote(args['pattern'])} "
        # No operand searches the working directory and names files without "./".
        + (f"-- {shlex.quote(relative)}" if relative != "." else "")
        + " 2>&1 | "
        + f"awk -v max={SEARCH_MATCHES} -v w={SEARCH_LINE_CHARS} {shlex.quote(_SEARCH_AWK)}"
    )
    result = box.run(command, timeout)
    text = result.output if result.ok else result.observation()
    return Executed(f"search {args['pattern']!r} in {where}", result, text)


def _ask_for_help(box: ToolBox, args: Mapping[str, Any], timeout: float | None) -> Executed:
    raise AskedForHelp(args["question"])


_PATH = Param("path", "path, relative to /workspace")

REGISTRY: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "run_command",
            "Run a bash command in /workspace.",
            (Param("command", "the command"),),
            "run a command",
            "one ```bash fenced block holding the command",
            _run_command,
        ),
        Tool(
            "read_file",
            f"Read a file under /workspace; at most {READ_LINES} lines at a time, numbered when "
            "a range is given or the file is longer.",
            (
                _PATH,
                Param("start_line", "first line to show (1-based)", "integer", required=False),
                Param("end_line", "last line to show", "integer", required=False),
            ),
            "read a file",
            "`sed -n '120,180p' FILE` or `cat -n FILE` in the block",
            _read_file,
        ),
        Tool(
            "search",
            "Search files under /workspace for a regular expression (grep -E); "
            "shows path:line:text.",
            (
                Param("pattern", "extended regular expression"),
                Param("path", "file or directory to search, default /workspace", required=False),
            ),
            "search the files",
            "`grep -rnE 'PATTERN' .` in the block",
            _search,
        ),
        Tool(
            "write_file",
            "Create or replace a file under /workspace.",
            (_PATH, Param("content", "the whole new content")),
            "write a file",
            "`cat > FILE <<'EOF'` ... `EOF` (or `sed -i`) in the block",
            _write_file,
        ),
        Tool(
            "apply_patch",
            "Apply a unified diff (paths relative to /workspace).",
            (Param("patch", "the diff"),),
            "apply a patch",
            "`git apply <<'EOF'` ... `EOF` in the block",
            _apply_patch,
        ),
        Tool(
            FINISH,
            "The issue is resolved and the tests pass.",
            (Param("summary", "what you changed"),),
            "finish, once the issue is resolved and the tests pass",
            f"a reply with no code block and one line `{DONE_MARKER} <short summary>`",
        ),
        Tool(
            "ask_for_help",
            "Ask a human one precise question.",
            (Param("question", "the question"),),
            "ask a human, if you cannot continue without one",
            f"a reply with one line `{HELP_MARKER} <one precise question>`",
            _ask_for_help,
        ),
    )
}


def tool_schemas() -> list[dict[str, Any]]:
    """What a tool-capable model is sent with every request."""
    return [tool.schema() for tool in REGISTRY.values()]


def tool_names() -> str:
    return ", ".join(REGISTRY)


def lookup(name: str) -> Tool:
    tool = REGISTRY.get(name)
    if tool is None:
        raise FormatError(f"Unknown tool {name!r:.60}. Available tools: {tool_names()}.")
    return tool


_NAMED = re.compile(r'"name"\s*:\s*"([^"\n]{1,100})"')  # a call's name in text that is not JSON
_FENCED = re.compile(r"^```[a-zA-Z]*[ \t]*\n(.*?)\n?```$", re.DOTALL)


def call_in_text(text: str) -> ToolCall | None:
    """A tool call written as JSON in plain text, as small local models often do; else None.

    Only a reply that is exactly one call of a known tool counts (optionally in one fenced
    block): {"name": ..., "arguments": {...}} (or "parameters"), {"function": {...}}, or a
    list of one such object. Anything more, or less, is left to the usual format error.
    """
    body = text.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body.startswith(("{", "[")):
        return None
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        return None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict):
        value = value["function"]
    name = value.get("name") or value.get("tool")
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    if not isinstance(name, str) or name not in REGISTRY or not isinstance(arguments, dict):
        return None
    return ToolCall(name, arguments)


def calls_written(text: str) -> int:
    """How many whole calls of known tools `text` writes as JSON, one per line or as a list:
    what a small model sends when it means several steps at once (none of them is run)."""
    body = text.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, list):
        return sum(call_in_text(json.dumps(item)) is not None for item in value)
    return sum(call_in_text(line) is not None for line in body.splitlines() if line.strip())


def no_tool_call(text: str = "") -> str:
    """What a tool-capable model is told when its reply called none."""
    written = calls_written(text) if text else 0
    if written > 1:
        return (
            f"Your reply wrote {written} tool calls as text, so none of them was run: a call "
            "written as text is taken only when it is the whole reply. Send one call."
        )
    named = _NAMED.findall(text)
    unknown = [name for name in named if name not in REGISTRY]
    if named and len(unknown) == len(named):
        return (
            f"Your reply called no tool: {unknown[0][:60]!r} is not one. Act only through the "
            f"tools ({tool_names()}); to run code, use run_command."
        )
    return f"Your reply called no tool. Act only through the tools: {tool_names()}."


class ToolBox:
    def __init__(self, sandbox: Sandbox, timeout: float | None = None) -> None:
        self.sandbox = sandbox
        self.timeout = timeout

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        return self.sandbox.run(command, timeout=timeout or self.timeout)

    def call(self, name: str, raw: Mapping[str, Any], timeout: float | None = None) -> Executed:
        """Run one sandbox tool. `finish` is the agent's business; ask_for_help raises."""
        tool = lookup(name)
        args = tool.arguments(raw)
        if tool.run is None:
            raise FormatError(f"Tool {name} cannot be called here.")
        return tool.run(self, args, timeout)
