"""AWS::S3::Bucket: create it, then apply versioning, encryption, public access block, lifecycle.

Bucket names are global and lower case, so a bucket without a BucketName gets
`<stack>-<logical id>` lower-cased and cut to S3's 63 characters (CloudFormation
makes up its own name the same way). Idempotent: a second run re-applies the
settings to the bucket it finds.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

_NAME_LIMIT = 63


def bucket_name(default_name: str) -> str:
    name = re.sub(r"[^a-z0-9.-]+", "-", default_name.lower()).strip("-.")
    return name[:_NAME_LIMIT].rstrip("-.")


def create_bucket(
    client: Any, logical_id: str, props: dict[str, Any], default_name: str
) -> tuple[str, dict[str, str]]:
    name = props.get("BucketName") or bucket_name(default_name)
    region = client.meta.region_name
    request: dict[str, Any] = {"Bucket": name}
    if region and region != "us-east-1":  # us-east-1 refuses its own name as a constraint
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(**request)
    versioning = (props.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    encryption = props.get("BucketEncryption")
    if encryption:
        client.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [_encryption(r) for r in encryption["ServerSideEncryptionConfiguration"]]
            },
        )
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    lifecycle = props.get("LifecycleConfiguration")
    if lifecycle:
        client.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_rule(r) for r in lifecycle["Rules"]]}
        )
    arn = f"arn:aws:s3:::{name}"
    return name, {"Arn": arn, "BucketName": name, "DomainName": f"{name}.s3.amazonaws.com"}


def _encryption(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ServerSideEncryptionByDefault is the API's Apply... spelling."""
    out: dict[str, Any] = {
        "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]
    }
    if "BucketKeyEnabled" in rule:
        out["BucketKeyEnabled"] = rule["BucketKeyEnabled"] in (True, "true", "True")
    return out


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in S3's API spelling (the two differ)."""
    out: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"]}
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(noncurrent["NoncurrentDays"])}
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(abort["DaysAfterInitiation"])
        }
    return out
