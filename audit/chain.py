"""How an audit row's hash is computed. Shared by the writer and the verifier."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(*, prev_hash: str, fields: dict[str, Any]) -> str:
    payload = dict(fields)
    payload["at"] = _at(payload["at"])
    payload["prev"] = prev_hash
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


HASHED_FIELDS = (
    "stream",
    "seq",
    "at",
    "kind",
    "action",
    "actor_id",
    "actor_name",
    "unit_id_value",
    "object_type",
    "object_id",
    "record_id_value",
    "changes",
    "reason",
    "ip",
)
