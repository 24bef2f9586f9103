"""Decision records in S3: one object per address, age ciphertext, metadata beside it.

The object's metadata says who may read it (`roles`) and when it was written,
so listing needs no key at all (`bzzz.decisions.summary`). Metadata is not
authenticated; the record itself is (age), and so is its digest (the audit
stream). The bucket is versioned: a put never loses what it replaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from bzzz import aws
from bzzz.decisions.address import Address, address_of_key, prefix_of
from bzzz.decisions.errors import DecisionStoreError

if TYPE_CHECKING:
    from bzzz.config import Settings

CONTENT_TYPE = "application/age"
MAX_RECORD_BYTES = 16 * 1024 * 1024  # far above any record (caps: bzzz.decisions.record)


@dataclass(frozen=True)
class StoredRecord:
    """What the bucket says of a record without opening it: never its content."""

    address: Address
    roles: tuple[str, ...]
    written_at: float
    size: int
    version_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"address": str(self.address), "roles": list(self.roles),
                "written_at": self.written_at, "size": self.size}  # fmt: skip


class DecisionStore:
    def __init__(self, settings: Settings, s3: Any | None = None) -> None:
        if not settings.decisions_bucket:
            raise DecisionStoreError("BZZZ_DECISIONS_BUCKET is not set: no decision records")
        self.bucket = settings.decisions_bucket
        self._s3 = s3 if s3 is not None else aws.client("s3", settings)

    def put(
        self, address: Address, ciphertext: bytes, roles: list[str], written_at: float
    ) -> str | None:
        """Store the ciphertext at the address; the new version's id (None if unversioned)."""
        metadata = {"roles": ",".join(roles), "written-at": f"{written_at:.3f}",
                    "schema": "bzzz.decision/v1"}  # fmt: skip
        reply = self._call(
            "put", address, self._s3.put_object, Bucket=self.bucket, Key=address.object_key,
            Body=ciphertext, ContentType=CONTENT_TYPE, Metadata=metadata,
        )  # fmt: skip
        version: str | None = reply.get("VersionId")
        return version

    def get(self, address: Address) -> tuple[bytes, StoredRecord]:
        reply = self._call("get", address, self._s3.get_object, Bucket=self.bucket,
                           Key=address.object_key)  # fmt: skip
        size = int(reply.get("ContentLength") or 0)
        if size > MAX_RECORD_BYTES:
            raise DecisionStoreError(f"{address}: {size} bytes is too large for a record")
        body: bytes = reply["Body"].read(MAX_RECORD_BYTES + 1)
        return body, _stored(address, reply, size)

    def head(self, address: Address) -> StoredRecord:
        reply = self._call("head", address, self._s3.head_object, Bucket=self.bucket,
                           Key=address.object_key)  # fmt: skip
        return _stored(address, reply, int(reply.get("ContentLength") or 0))

    def addresses(self, prefix: str = "") -> Iterator[Address]:
        """Every record's address under a partial address (`bzzz://OWNER[/REPO[/ISSUE]]`)."""
        key_prefix = prefix_of(prefix)
        pages = self._s3.get_paginator("list_objects_v2")
        try:
            for page in pages.paginate(Bucket=self.bucket, Prefix=key_prefix):
                for item in page.get("Contents") or []:
                    address = address_of_key(str(item["Key"]))
                    if address is not None:
                        yield address
        except (ClientError, BotoCoreError) as exc:
            raise DecisionStoreError(f"listing {prefix or 'records'} failed: {_said(exc)}") from exc

    def _call(self, verb: str, address: Address, call: Any, **kwargs: Any) -> Any:
        try:
            return call(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise DecisionStoreError(f"no decision record at {address}") from None
            raise DecisionStoreError(f"{verb} {address} failed: {_said(exc)}") from exc
        except BotoCoreError as exc:
            raise DecisionStoreError(f"{verb} {address} failed: {_said(exc)}") from exc


def _stored(address: Address, reply: dict[str, Any], size: int) -> StoredRecord:
    metadata = {k.lower(): v for k, v in (reply.get("Metadata") or {}).items()}
    roles = tuple(r for r in str(metadata.get("roles", "")).split(",") if r)
    try:
        written_at = float(metadata.get("written-at", "0"))
    except ValueError:
        written_at = 0.0
    return StoredRecord(address, roles, written_at, size, reply.get("VersionId"))


def _said(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}"[:300]
    return type(exc).__name__
