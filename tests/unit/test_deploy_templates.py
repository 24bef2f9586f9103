"""The deploy templates as files: the OIDC role, the workflow and the GitHub App manifest
(their build and lint, which run tools, are in tests/integration/test_deploy.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "infra" / "deploy"


def test_the_deploy_role_trusts_only_main_of_one_repository():
    from infra.local_backend.template import load_template

    role = load_template(DEPLOY / "oidc-role.yaml")["Resources"]["DeployRole"]["Properties"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert condition["token.actions.githubusercontent.com:sub"] == {
        "Fn::Sub": "repo:${GitHubOwner}/${GitHubRepo}:ref:refs/heads/${Branch}"
    }


def test_the_workflow_deploys_with_oidc_and_no_stored_keys():
    text = (DEPLOY / "github-actions" / "deploy.yml").read_text()
    workflow = yaml.safe_load(text)
    assert workflow["permissions"]["id-token"] == "write"
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on:` as True
    steps = workflow["jobs"]["deploy"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "sam build" in runs and "sam deploy" in runs
    assert "--use-container" not in runs
    assert workflow["jobs"]["deploy"]["needs"] == "test"
    for stored in ("aws-access-key-id", "AWS_SECRET_ACCESS_KEY", "secrets."):
        assert stored not in text


def test_the_app_manifest_asks_for_what_bzzz_uses():
    manifest = json.loads((DEPLOY / "github-app-manifest.json").read_text())
    assert manifest["default_permissions"] == {
        "metadata": "read", "issues": "write", "pull_requests": "write", "contents": "write",
    }  # fmt: skip
    assert {"issues", "issue_comment"} <= set(manifest["default_events"])
    assert manifest["hook_attributes"]["url"].endswith("/github/webhook")


def test_functions_run_on_arm64_with_snapstart_on_published_versions():
    """Graviton and SnapStart for every function (docs/deploy.md, "Cold starts and
    SnapStart"); the layer is built for the same architecture the functions run on."""
    from infra.local_backend.template import load_template

    root = DEPLOY.parents[1]
    template = load_template(root / "template.yaml")
    function = template["Globals"]["Function"]
    assert function["Architectures"] == ["arm64"]
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert function["AutoPublishAlias"]  # SnapStart needs a published version
    functions = [r for r in template["Resources"].values()
                 if r["Type"] == "AWS::Serverless::Function"]  # fmt: skip
    assert functions and all("Architectures" not in f["Properties"] for f in functions)
    layer = template["Resources"]["DependenciesLayer"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    makefile = (root / "infra" / "lambda_build" / "Makefile").read_text()
    assert "PLATFORM ?= aarch64-manylinux2014" in makefile


def test_runners_may_only_put_decision_records_and_the_bucket_is_private():
    """docs/decisions.md: a runner writes records under records/ and reads none back."""
    from infra.local_backend.template import load_template

    resources = load_template(DEPLOY.parents[1] / "template.yaml")["Resources"]
    statements = resources["RunnerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    s3 = [s for s in statements if any(str(a).startswith("s3:") for a in _actions(s))]
    assert [(_actions(s), s["Resource"]) for s in s3] == [
        (["s3:PutObject"], {"Fn::Sub": "${DecisionsBucket.Arn}/records/*"})
    ]
    bucket = resources["DecisionsBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"]


def _actions(statement):
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_the_http_function_only_reads_published_eval_runs_and_their_bucket_is_private():
    """docs/eval.md: `bzzz eval --publish` writes with an operator's credentials; the
    dashboard lists and reads eval/ only, and no runner touches the bucket."""
    from infra.local_backend.template import load_template

    resources = load_template(DEPLOY.parents[1] / "template.yaml")["Resources"]
    function = resources["HttpFunction"]["Properties"]
    statements = [s for p in function["Policies"] if "Statement" in p for s in p["Statement"]]
    reports = [s for s in statements if "ReportsBucket" in json.dumps(s["Resource"])]
    assert [(_actions(s), s["Resource"]) for s in reports] == [
        (["s3:ListBucket"], {"Fn::GetAtt": ["ReportsBucket", "Arn"]}),
        (["s3:GetObject"], {"Fn::Sub": "${ReportsBucket.Arn}/eval/*"}),
    ]
    assert reports[0]["Condition"] == {"StringLike": {"s3:prefix": ["eval/*"]}}
    assert function["Environment"]["Variables"]["BZZZ_REPORTS_BUCKET"] == {"Ref": "ReportsBucket"}
    runner = resources["RunnerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert "ReportsBucket" not in json.dumps(runner)
    bucket = resources["ReportsBucket"]["Properties"]
    assert "VersioningConfiguration" not in bucket
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
