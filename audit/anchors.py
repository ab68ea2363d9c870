"""Anchors: the audit chains' heads written outside the database, once a day.

An anchor is one line of JSON appended to `AUDIT_ANCHOR_DIR/audit-anchors.jsonl` (production
points the folder at the data-centre copy, which the database's administrators cannot write).
It records, as of one database snapshot: the time, the last row id, the number of rows, a
hash over every stream's head, and the head (last sequence number and hash) of each stream
that moved since the previous anchor. Lines are chained (`prev` is the previous line's digest)
and each carries its own `digest`; the daily report prints the first 16 hex digits of it.

`verify_audit` compares the chains with every anchor (audit.verification): a row that was
changed, even with every later hash recomputed with the key, no longer leads to the hash an
anchor recorded; rows an anchor counted and the database lacks are reported missing.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import GENESIS, key_id

ANCHOR_FILE = "audit-anchors.jsonl"
FORMAT = 1


@dataclass(frozen=True)
class Anchor:
    number: int
    at: dt.datetime
    key_id: str
    last_id: int
    rows: int
    head: str
    streams: dict[int, tuple[int, str]]
    prev: str
    digest: str
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def short(self) -> str:
        return short_digest(self.digest)

    def __str__(self) -> str:
        return f"anchor #{self.number} of {timezone.localtime(self.at):%d/%m/%Y %H:%M}"


def short_digest(digest: str) -> str:
    """What the daily report prints: 16 hex digits in groups of four."""
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR) / ANCHOR_FILE


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _line_digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in values.items() if k != "digest"})).hexdigest()


def heads_hash(heads: dict[int, tuple[int, str]]) -> str:
    """One hash over every stream's head (stream, last sequence number, last hash), streams in order."""
    text = "\n".join(f"{stream}:{seq}:{digest}" for stream, (seq, digest) in sorted(heads.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def read_anchors(path: Path | None = None) -> tuple[list[Anchor], list[str]]:
    """The anchors of the file, and what is wrong with the file itself (altered, removed or foreign lines).

    A line whose digest does not match its content, that does not follow the line before it,
    or whose head hash does not match the heads the lines up to it add up to is reported;
    lines that cannot be read at all are left out of the anchors.
    """
    path = path or anchor_path()
    if not path.exists():
        return [], []
    anchors: list[Anchor] = []
    problems: list[str] = []
    prev = GENESIS
    merged: dict[int, tuple[int, str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
            anchor = Anchor(
                number=number,
                at=dt.datetime.fromisoformat(values["at"]),
                key_id=str(values["key_id"]),
                last_id=int(values["last_id"]),
                rows=int(values["rows"]),
                head=str(values["head"]),
                streams={int(s): (int(h[0]), str(h[1])) for s, h in values["streams"].items()},
                prev=str(values["prev"]),
                digest=str(values["digest"]),
                raw=values,
            )
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            problems.append(f"line {number} of {path} cannot be read as an anchor ({exc})")
            continue
        if _line_digest(values) != anchor.digest:
            problems.append(f"{anchor} (line {number} of {path}) was altered: its digest does not match")
        if anchor.prev != prev:
            problems.append(
                f"{anchor} (line {number}) does not follow the anchor before it: a line was removed"
            )
        merged.update(anchor.streams)
        if heads_hash(merged) != anchor.head or sum(seq for seq, _h in merged.values()) != anchor.rows:
            problems.append(f"{anchor} (line {number}): its heads do not add up with the lines before it")
        prev = anchor.digest
        anchors.append(anchor)
    return anchors, problems


def latest_anchor() -> Anchor | None:
    anchors, _problems = read_anchors()
    return anchors[-1] if anchors else None


def anchor_write(*, now: dt.datetime | None = None) -> Anchor:
    """Append an anchor of the current heads to the anchor file and return it.

    Heads, last id and row count are read in one snapshot (REPEATABLE READ when this is the
    outermost transaction); the file is locked while the previous lines are read and the new
    one appended, then synced to disk.
    """
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        anchors, _problems = read_anchors(path)
        heads, last_id = _snapshot()
        merged: dict[int, tuple[int, str]] = {}
        for anchor in anchors:
            merged.update(anchor.streams)
        moved = {stream: head for stream, head in heads.items() if merged.get(stream) != head}
        values: dict[str, Any] = {
            "v": FORMAT,
            "at": (now or timezone.now()).astimezone(dt.UTC).isoformat(),
            "key_id": key_id(),
            "last_id": last_id,
            "rows": sum(seq for seq, _h in heads.values()),
            "head": heads_hash(heads),
            "streams": {str(stream): [seq, digest] for stream, (seq, digest) in sorted(moved.items())},
            "prev": anchors[-1].digest if anchors else GENESIS,
        }
        values["digest"] = _line_digest(values)
        handle.write(_canonical(values).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return Anchor(
        number=len(anchors) + 1,
        at=dt.datetime.fromisoformat(values["at"]),
        key_id=values["key_id"],
        last_id=last_id,
        rows=values["rows"],
        head=values["head"],
        streams=moved,
        prev=values["prev"],
        digest=values["digest"],
        raw=values,
    )


def _snapshot() -> tuple[dict[int, tuple[int, str]], int]:
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT stream, last_seq, last_hash FROM audit_audithead WHERE last_seq > 0")
        heads = {int(stream): (int(seq), str(digest)) for stream, seq, digest in cursor.fetchall()}
        cursor.execute("SELECT coalesce(max(id), 0) FROM audit_auditevent")
        last_id = int(cursor.fetchone()[0])
    return heads, last_id


def daily_anchor_due(*, now: dt.datetime | None = None, at: Iterable[str] = ()) -> Anchor | None:
    """Write today's anchor once the day's anchor time has passed and none was written since; else None.

    The anchor time is the earliest of `at` (HH:MM, local), so the scheduler writes the anchor
    just before the first daily reports are frozen and they print its digest.
    """
    now = now or timezone.now()
    times = sorted(at) or ["00:00"]
    hh, mm = (int(x) for x in times[0].split(":"))
    due = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time(hh, mm)))
    if now < due:
        return None
    last = latest_anchor()
    if last is not None and last.at >= due:
        return None
    return anchor_write(now=now)
