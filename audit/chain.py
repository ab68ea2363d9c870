"""How an audit row's hash is computed. Shared by the writer, the verifier and the anchors.

Each row's hash is an HMAC-SHA256 over its content and the previous row's hash, keyed with
AUDIT_CHAIN_KEY, which lives outside the database (the environment in production; a key file
in development and tests). Someone who can only write to the database can change a row, but
cannot compute the hashes that would make the rows after it follow again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS = "0" * 64

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
    "user_agent",
)

_key_lock = threading.Lock()
_file_keys: dict[Path, bytes] = {}


def chain_key() -> bytes:
    """The HMAC key: AUDIT_CHAIN_KEY, else (development and tests only) the key file, made on first use.

    The key file (AUDIT_CHAIN_KEY_FILE, default DATA_DIR/audit-chain.key) is created with mode
    0600 and never replaced: two processes starting together agree on one key (the file is
    linked into place, which fails for the second).
    """
    configured = getattr(settings, "AUDIT_CHAIN_KEY", "")
    if configured:
        return configured.encode()
    path = Path(settings.AUDIT_CHAIN_KEY_FILE)
    with _key_lock:
        if path not in _file_keys:
            _file_keys[path] = _read_or_create_key_file(path)
        return _file_keys[path]


def _read_or_create_key_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise ImproperlyConfigured(f"The audit chain key file {path} holds no key of 32 characters or more.")
    return key.encode()


def key_id(key: bytes | None = None) -> str:
    """A short public name of the key (not the key): anchors record it, so a wrong key is named as such."""
    return hmac.new(key or chain_key(), b"civreg audit chain key id", hashlib.sha256).hexdigest()[:12]


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(*, prev_hash: str, fields: dict[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of the row's content in canonical JSON, chained on `prev_hash`."""
    payload = dict(fields)
    payload["at"] = _at(payload["at"])
    payload["prev"] = prev_hash
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(key or chain_key(), text.encode(), hashlib.sha256).hexdigest()


def event_hash(event: Any, *, key: bytes | None = None) -> str:
    """The hash `event` (an AuditEvent, saved or not) must carry, chained on its own prev_hash."""
    return row_hash(prev_hash=event.prev_hash, fields={f: getattr(event, f) for f in HASHED_FIELDS}, key=key)
