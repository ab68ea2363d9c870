"""Audit streams: the chains (lanes) of a unit and how a writer takes the head of one.

A unit's audit rows form up to AUDIT_LANES chains, its lanes, each a stream with its own head
row. Lane 0 is the unit's stream as it always was (stream = unit id, 0 for rows without a unit);
lane l > 0 is stream `l * LANE_STRIDE + unit id`. The unit and lane of any stream are therefore
read off its number (`unit_of`, `lane_of`), nothing maps them in a table, and rows written before
lanes existed are lane 0 unchanged. Every row is in exactly one stream and carries its unit in
`unit_id` as well, so readers of a unit's trail filter on `unit_id` (or on `unit_streams`) and
order by time, not by `seq`, which only orders one lane.

Locking a head row (FOR NO KEY UPDATE, until the transaction ends) orders the writers of one
stream. Most writers use lane 0 (`head_advance` without `any_lane`): the rows that reports re-read
in stream order (state changes, book registrations, imports) stay in one chain per unit. Writers
whose rows nothing reads in stream order (claims) pass `any_lane`: they take the first of the
unit's lanes 1 … AUDIT_LANES - 1 that no other transaction holds (SKIP LOCKED), so that many of one
commune's claims commit side by side instead of one after the other. They never wait on a lane:
only when others hold every lane do they queue on lane 0, as every claim did before lanes, so a
claim lane is never what a transaction holding lane 0 waits for (no deadlock between the two).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from audit.chain import GENESIS

GLOBAL_STREAM = 0
# Unit ids stay far below 2**40; lanes run up to MAX_LANES, so a stream stays within a bigint.
LANE_STRIDE = 2**40
MAX_LANES = 64
DEFAULT_LANES = 8


def lane_count() -> int:
    """AUDIT_LANES (default 8): how many chains one unit's `any_lane` writers spread over."""
    lanes = int(getattr(settings, "AUDIT_LANES", DEFAULT_LANES))
    if not 1 <= lanes <= MAX_LANES:
        raise ImproperlyConfigured(f"AUDIT_LANES must be between 1 and {MAX_LANES}, not {lanes}.")
    return lanes


def stream_of(unit_id: int | None, lane: int = 0) -> int:
    """The stream of `unit_id`'s lane `lane` (lane 0: the unit id itself; 0 without a unit)."""
    unit = unit_id or GLOBAL_STREAM
    if not 0 <= unit < LANE_STRIDE or not 0 <= lane < MAX_LANES:
        raise ValueError(f"No audit stream for unit {unit_id} lane {lane}.")
    return lane * LANE_STRIDE + unit


def unit_of(stream: int) -> int | None:
    """The unit whose rows `stream` holds (None for the global stream's lanes)."""
    return stream % LANE_STRIDE or None


def lane_of(stream: int) -> int:
    return stream // LANE_STRIDE


def unit_streams(unit_id: int | None) -> list[int]:
    """Every stream the rows of `unit_id` can be in (all possible lanes, lane 0 first)."""
    return [stream_of(unit_id, lane) for lane in range(MAX_LANES)]


def describe(stream: int) -> str:
    """How a report names a stream: 'stream 12', or 'stream 1099511627788 (unit 12, lane 1)'."""
    lane = lane_of(stream)
    return f"stream {stream}" if lane == 0 else f"stream {stream} (unit {unit_of(stream) or 0}, lane {lane})"


def head_advance(
    cursor: Any, *, unit_id: int | None, count: int, any_lane: bool = False
) -> tuple[int, int, str]:
    """Take a head of `unit_id` (locked FOR NO KEY UPDATE until the transaction ends) and advance it
    by `count` rows.

    Returns (stream, the last of the new rows' sequence numbers, the hash the first of them chains
    on). The new rows are seq `last - count + 1` … `last` of that stream; the caller inserts them
    with that stream, its unit in `unit_id`, and sets the head's `last_hash` to the last row's hash
    (`head_finish`) in the same transaction.

    Without `any_lane`: lane 0, created on first use, waiting while another transaction holds it.
    With `any_lane`: a lane the writer can have without waiting (`_free_lane`); when another
    transaction holds every lane 1 … AUDIT_LANES - 1 of the unit, lane 0, as every writer before
    lanes (with AUDIT_LANES = 1 every row is in lane 0).
    """
    if any_lane and lane_count() > 1:
        taken = _free_lane(cursor, unit_id=unit_id, count=count)
        if taken is not None:
            return taken
    stream = stream_of(unit_id)
    cursor.execute(_HEAD_ADVANCE, [stream, count, GENESIS, count])
    seq, prev_hash = cursor.fetchone()
    return stream, int(seq), str(prev_hash)


def _free_lane(cursor: Any, *, unit_id: int | None, count: int) -> tuple[int, int, str] | None:
    """Advance the first of the unit's lanes 1 … AUDIT_LANES - 1 that no other transaction holds or
    is creating, starting at a lane that depends on the connection (so writers start apart); None
    when there is none. Never waits for another transaction.

    The head is locked first (FOR NO KEY UPDATE SKIP LOCKED: a lane this transaction already holds is
    not skipped, so a writer holding a lane of the unit always gets one), then advanced by its key
    in a statement of its own: that statement reads the head as the last holder committed it, never
    an older version of the row. A missing lane is created under a transaction-level advisory lock
    on its stream, tried without waiting: two writers never create the same lane, so neither waits
    on the other's uncommitted row in the heads' unique index (which would also order them into
    deadlocks with lane 0).
    """
    lanes = lane_count()
    start = _connection_number() % (lanes - 1)
    order = [stream_of(unit_id, 1 + (start + i) % (lanes - 1)) for i in range(lanes - 1)]
    taken = _lock_and_advance(cursor, order, count)
    if taken is not None:
        return taken
    cursor.execute(_EXISTING, [order])
    existing = {int(stream) for (stream,) in cursor.fetchall()}
    for stream in order:
        if stream not in existing:
            cursor.execute(_TRY_CREATE, [stream, count, GENESIS, stream])
            row = cursor.fetchone()
            if row is not None:
                return stream, int(row[0]), str(row[1])
    # Every lane is held or being created by others; one may have been committed meanwhile.
    return _lock_and_advance(cursor, order, count)


def _lock_and_advance(cursor: Any, order: list[int], count: int) -> tuple[int, int, str] | None:
    cursor.execute(_LOCK_FREE_LANE, [order, order])
    row = cursor.fetchone()
    if row is None:
        return None
    stream = int(row[0])
    cursor.execute(_ADVANCE, [count, stream])
    seq, prev_hash = cursor.fetchone()
    return stream, int(seq), str(prev_hash)


def head_finish(cursor: Any, *, stream: int, last_hash: str) -> None:
    """The head of `stream` takes the hash of its last new row (after `head_advance`)."""
    cursor.execute("UPDATE audit_audithead SET last_hash = %s WHERE stream = %s", [last_hash, stream])


def _connection_number() -> int:
    """The database backend's process id: differs between concurrent writers, steady within one."""
    raw = connection.connection
    return int(getattr(getattr(raw, "info", None), "backend_pid", 0) or 0)


# Creates the stream's head or advances it by `count` rows, locking it until the transaction
# ends; returns the last of the new rows' sequence numbers and the hash the first of them chains
# on. Parameters: stream, count, genesis hash, count.
_HEAD_ADVANCE = (
    "INSERT INTO audit_audithead (stream, last_seq, last_hash) VALUES (%s, %s, %s) "
    "ON CONFLICT (stream) DO UPDATE SET last_seq = audit_audithead.last_seq + %s "
    "RETURNING last_seq, last_hash"
)

# Locks the first existing head of the given streams (in that order) that no other transaction
# holds. Parameters: streams, streams.
_LOCK_FREE_LANE = (
    "SELECT stream FROM audit_audithead WHERE stream = ANY(%s::bigint[]) "
    "ORDER BY array_position(%s::bigint[], stream) LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"
)

# Advances a head this transaction holds. Parameters: count, stream.
_ADVANCE = (
    "UPDATE audit_audithead SET last_seq = last_seq + %s WHERE stream = %s RETURNING last_seq, last_hash"
)

# The heads among the given streams. Parameters: streams.
_EXISTING = "SELECT stream FROM audit_audithead WHERE stream = ANY(%s::bigint[])"

# Creates the stream's head, already advanced by `count` rows, if no other transaction is creating
# it (the advisory lock, held until this transaction ends, is tried without waiting) and it does
# not exist; nothing otherwise. Parameters: stream, count, genesis hash, stream.
_TRY_CREATE = (
    "INSERT INTO audit_audithead (stream, last_seq, last_hash) "
    "SELECT %s, %s, %s WHERE pg_try_advisory_xact_lock(%s) "
    "ON CONFLICT (stream) DO NOTHING "
    "RETURNING last_seq, last_hash"
)
