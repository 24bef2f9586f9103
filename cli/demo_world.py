"""What `bzzz demo` works on: the seeded acme/calc, or a copy of the user's own repository.

    world = acme_world()                                  # today's demo
    world = imported_world(Path("~/src/mylib"), "Fix the parser\\n\\nIt drops ...")
    world.seed(bot_token)   # the GitHub stand-in's seed, with the bot Bzzz acts as

`imported_world` checks everything the user gave before anything starts and
raises DemoInputError with one line (exit code 2): a path that is not a git
repository, an empty repository, an issue file that cannot be read. The
repository is imported by the GitHub stand-in as `local/<name>` (the
directory's name, sanitised), its HEAD's last commits only
(infra/github_emulator/git_import.py: nothing of it runs on the host).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.github_emulator import DEMO_SEED

BOT = "bzzz-bot"
OWNER = "local"  # the account the user's repository is imported under
MAINTAINER = "alice"  # files and labels the issue, as a maintainer does
MAX_ISSUE_BYTES = 64_000
DEFAULT_ISSUE = (
    "Make the test suite pass\n\n"
    "Run the repository's tests, find what fails and fix it with the smallest change."
)
_HERE = Path(__file__).parent
ACME_SCENARIO = _HERE / "demo_scenario.yaml"
# With the scripted stand-in, a foreign repository gets an honest "I cannot" (help).
IMPORTED_SCENARIO = _HERE / "demo_repo_scenario.yaml"


class DemoInputError(Exception):
    """What the user gave `bzzz demo` cannot be used; the message is one line for them."""


@dataclass(frozen=True)
class DemoWorld:
    repo: str  # owner/name on the stand-in
    issue: int
    scenario: Path  # what the scripted Ollama stand-in answers, when no real Ollama is used
    title: str
    source: Path | None = None  # the user's repository, when imported
    body: str = ""
    ref: str = "HEAD"  # what of `source` is imported (bzzz eval: an instance's base commit)

    def seed(self, bot_token: str) -> dict[str, Any]:
        """The stand-in's world plus the bot account Bzzz acts as."""
        seed: dict[str, Any] = copy.deepcopy(yaml.safe_load(DEMO_SEED.read_text()))
        seed["users"].append({"login": BOT, "token": bot_token, "name": "Bzzz", "type": "User"})
        if self.source is None:
            repo = seed["repos"][0]
            repo["collaborators"][BOT] = "write"
            repo["files"][".bzzz.yml"] = "test: python -m pytest -q\nbudgets: {iterations: 12}\n"
            return seed
        installation = seed["installations"][0]
        installation.update(account=OWNER, repos=[self.repo])
        labels = [label for label in seed["repos"][0]["labels"] if label["name"] == "bzzz-task"]
        seed["repos"] = [
            {
                "name": self.repo,
                "description": f"{self.source.name}, imported by bzzz demo",
                "collaborators": {MAINTAINER: "admin", BOT: "write"},
                "labels": labels,
                "import": {"path": str(self.source), "ref": self.ref},
                "issues": [{"title": self.title, "body": self.body, "user": MAINTAINER}],
            }
        ]
        return seed


def acme_world() -> DemoWorld:
    return DemoWorld("acme/calc", 1, ACME_SCENARIO, "sum_to(n) leaves out n")


def imported_world(path: Path, issue: str | None) -> DemoWorld:
    """The user's repository at `path` and the issue (a file's path, or its text)."""
    from infra.github_emulator import SeedError
    from infra.github_emulator.git_import import check_importable

    source = path.expanduser().absolute()
    try:
        check_importable(source)
    except SeedError as exc:
        raise DemoInputError(f"--repo {exc}") from None
    title, body = _issue_text(issue)
    return DemoWorld(f"{OWNER}/{repo_name(source)}", 1, IMPORTED_SCENARIO, title, source, body)


def repo_name(source: Path) -> str:
    """A GitHub repository name from the directory's: letters, digits, `.`, `-`, `_`."""
    name = source.name.removesuffix(".git")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:100]
    return name or "repo"


def _issue_text(issue: str | None) -> tuple[str, str]:
    """(title, body): the first line is the title (a leading `#` heading mark dropped)."""
    text = DEFAULT_ISSUE if issue is None else issue
    if issue is not None and Path(issue).expanduser().exists():
        text = _read_issue_file(Path(issue).expanduser())
    first, _, rest = text.strip().partition("\n")
    title = first.lstrip("#").strip()
    if not title:
        raise DemoInputError("--issue: the first line (the issue's title) is empty")
    return title[:256], rest.strip()


def _read_issue_file(path: Path) -> str:
    if not path.is_file():
        raise DemoInputError(f"--issue {path}: not a file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ISSUE_BYTES + 1)
    except OSError as exc:
        raise DemoInputError(f"--issue {path}: cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_ISSUE_BYTES:
        raise DemoInputError(f"--issue {path}: larger than {MAX_ISSUE_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DemoInputError(f"--issue {path}: not UTF-8 text") from None
