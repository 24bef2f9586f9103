"""Build a `World` from a seed: a YAML file (or the same structure as a dict).

```yaml
users:          # login, optional token (a personal token), name, email, type
  - {login: alice, token: ghp_alice, name: Alice}
apps:           # GitHub Apps; installations of them mint tokens
  - {id: 1, slug: bzzz, owner: bzzz-dev}
installations:
  - {id: 100, app_id: 1, account: acme, repos: [acme/calc],
     permissions: {issues: write, contents: write, pull_requests: write, metadata: read}}
repos:
  - name: acme/calc          # owner/name; an owner not in `users` becomes an Organization
    private: false
    description: A calculator
    default_branch: main
    files: {calc.py: "...", test_calc.py: "..."}   # the initial commit
    # or, instead of files: an existing local repository's last commits (git_import)
    # import: {path: /home/me/src/mylib, ref: HEAD, depth: 50}   # depth 0: all history
    collaborators: {alice: admin, bob: write}      # read|triage|write|maintain|admin
    labels: [{name: bug, color: d73a4a, description: Something is wrong}]
    issues:
      - {title: ..., body: ..., user: alice, labels: [bug], assignees: [], state: open,
         comments: [{user: bob, body: ...}]}
webhook: {url: http://127.0.0.1:9000/hook, secret: s3cret}
rate_limit: {limit: 5000, window_seconds: 3600, status: 403}   # per caller; 403 or 429
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.github_emulator import gitrepo
from infra.github_emulator.errors import SeedError
from infra.github_emulator.git_import import DEFAULT_DEPTH, import_repository
from infra.github_emulator.state import (
    ROLES,
    App,
    Comment,
    Installation,
    Issue,
    Label,
    Repo,
    Token,
    User,
    World,
    now,
)

DEFAULT_PERMISSIONS = {
    "metadata": "read",
    "contents": "write",
    "issues": "write",
    "pull_requests": "write",
}
DEFAULT_EVENTS = ["issues", "issue_comment", "pull_request", "pull_request_review"]


def load_seed(source: str | Path | dict[str, Any]) -> dict[str, Any]:
    if isinstance(source, dict):
        return source
    try:
        data = yaml.safe_load(Path(source).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"cannot read seed {source}: {exc}") from exc
    if not isinstance(data, dict):
        raise SeedError(f"seed {source} is not a mapping")
    return data


def build_world(seed: dict[str, Any], root: Path, *, allow_import: bool = True) -> World:
    """The world the seed describes; `allow_import=False` refuses `import` (host paths)."""
    world = World(root=root)
    for spec in seed.get("users", []):
        user = User(
            login=spec["login"],
            id=world.new_id(),
            type=spec.get("type", "User"),
            name=spec.get("name"),
            email=spec.get("email"),
        )
        world.users[user.login.lower()] = user
        if spec.get("token"):
            world.tokens[spec["token"]] = Token(value=spec["token"], login=user.login)
    for spec in seed.get("repos", []):
        if "import" in spec and not allow_import:
            raise SeedError(f"{spec.get('name')}: `import` reads the host; not accepted here")
        _add_repo(world, spec)
    for spec in seed.get("apps", []):
        app = App(
            id=int(spec["id"]),
            slug=spec.get("slug", f"app-{spec['id']}"),
            owner=spec.get("owner", "github"),
            name=spec.get("name", spec.get("slug", f"app-{spec['id']}")),
        )
        world.user(app.owner)
        world.apps[app.id] = app
    for spec in seed.get("installations", []):
        add_installation(world, spec)
    hook = seed.get("webhook") or {}
    world.webhook.url = hook.get("url")
    world.webhook.secret = hook.get("secret")
    return world


def add_installation(world: World, spec: dict[str, Any]) -> Installation:
    app_id = int(spec.get("app_id", next(iter(world.apps), 0)))
    if app_id not in world.apps:
        raise SeedError(f"installation {spec.get('id')} names unknown app {app_id}")
    account = world.user(spec["account"]).login
    for full in spec.get("repos", []):
        if world.repos.get(full.lower()) is None:
            raise SeedError(f"installation names unknown repo {full}")
    inst = Installation(
        id=int(spec.get("id") or world.new_id()),
        app_id=app_id,
        account=account,
        repos=list(spec.get("repos", [])),
        permissions=dict(spec.get("permissions") or DEFAULT_PERMISSIONS),
        events=list(spec.get("events") or DEFAULT_EVENTS),
    )
    world.installations[inst.id] = inst
    return inst


def _add_repo(world: World, spec: dict[str, Any]) -> None:
    full = spec["name"]
    if full.count("/") != 1:
        raise SeedError(f"repo name {full!r} is not owner/name")
    owner_login, name = full.split("/")
    owner = world.users.get(owner_login.lower())
    if owner is None:
        owner = world.user(owner_login)
        owner.type = "Organization"
    repo = Repo(
        id=world.new_id(),
        owner=owner.login,
        name=name,
        git_dir=world.root / owner.login / f"{name}.git",
        private=bool(spec.get("private", False)),
        description=spec.get("description"),
        default_branch=spec.get("default_branch", "main"),
    )
    for login, role in (spec.get("collaborators") or {}).items():
        if role not in ROLES:
            raise SeedError(f"{full}: collaborator {login} has unknown role {role!r}")
        world.user(login)
        repo.collaborators[login] = role
    for label in spec.get("labels", []):
        item = label if isinstance(label, dict) else {"name": label}
        repo.labels[item["name"].lower()] = Label(
            id=world.new_id(),
            name=item["name"],
            color=item.get("color", "ededed"),
            description=item.get("description"),
        )
    if "import" in spec:
        repo.default_branch = _import(repo, spec)
    else:
        gitrepo.init_bare(
            repo.git_dir, repo.default_branch, dict(spec.get("files") or {}), "Initial commit"
        )
    world.repos[full.lower()] = repo
    for item in spec.get("issues", []):
        _add_issue(world, repo, item)


def _import(repo: Repo, spec: dict[str, Any]) -> str:
    """Fill the repo from a local repository (`import: {path, ref, depth}`); its branch."""
    item = spec["import"]
    if not isinstance(item, dict) or not item.get("path"):
        raise SeedError(f"{spec['name']}: `import` needs a `path`")
    if spec.get("files"):
        raise SeedError(f"{spec['name']}: give `files` or `import`, not both")
    gitrepo.init_bare(repo.git_dir, repo.default_branch, {}, "")
    return import_repository(
        repo.git_dir,
        Path(str(item["path"])).expanduser(),
        ref=str(item.get("ref", "HEAD")),
        depth=item.get("depth", DEFAULT_DEPTH),
        branch=spec.get("default_branch"),
    )


def _add_issue(world: World, repo: Repo, spec: dict[str, Any]) -> None:
    author = world.user(spec.get("user", repo.owner)).login
    issue = Issue(
        id=world.new_id(),
        number=int(spec.get("number") or repo.next_number()),
        title=spec["title"],
        body=spec.get("body"),
        user=author,
        state=spec.get("state", "open"),
        assignees=[world.user(a).login for a in spec.get("assignees", [])],
    )
    if issue.state == "closed":
        issue.closed_at, issue.state_reason = now(), "completed"
    for label_name in spec.get("labels", []):
        if label_name.lower() not in repo.labels:
            repo.labels[label_name.lower()] = Label(id=world.new_id(), name=label_name)
        issue.labels.append(repo.labels[label_name.lower()].name)
    repo.issues[issue.number] = issue
    for item in spec.get("comments", []):
        comment = Comment(
            id=world.new_id(),
            repo=repo.full_name,
            issue_number=issue.number,
            user=world.user(item.get("user", author)).login,
            body=item["body"],
        )
        world.comments[comment.id] = comment
