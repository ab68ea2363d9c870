"""Audit streams: the chains (lanes) of a unit and how a writer takes the head of one.

A unit's audit rows form up to AUDIT_LANES chains, its lanes, each a stream with its own head
row. Lane 0 is the unit's stream as it always was (stream = unit id, 0 for rows without a unit);
lane l > 0 is stream `l * LANE_STRIDE + unit id`. The unit and lane of any stream are therefore
read off its number (`unit_of`, `lane_of`), nothing maps them in a table, and rows written before
lanes existed are lane 0 unchanged. Every row is in exactly one stream and carries its unit in
`unit_id` as well, so readers of a unit's trail filter on `unit_id` (or on `unit_streams`) and
order by time, not by `seq`, which only orders one lane.

Taking a head FOR UPDATE orders the writers of one stream. Most writers use lane 0
(`head_advance` without `any_lane`): the rows that reports re-read in stream order
(state changes, book registrations, imports) stay in one chain per unit. Writers whose rows
nothing reads in stream order (claims) pass `any_lane`: they take the first of the unit's
lanes 1 … AUDIT_LANES - 1 that no other transaction holds (SKIP LOCKED), so that many of one
commune's claims commit side by side instead of one after the other, and never wait on lane 0.
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
    """Take a head of `unit_id` FOR UPDATE (until the transaction ends) and advance it by `count` rows.

    Returns (stream, the last of the new rows' sequence numbers, the hash the first of them chains
    on). The new rows are seq `last - count + 1` … `last` of that stream; the caller inserts them
    with that stream, its unit in `unit_id`, and sets the head's `last_hash` to the last row's hash
    (`head_finish`) in the same transaction.

    Without `any_lane`: lane 0, created on first use, waiting while another transaction holds it.
    With `any_lane`: the first of the unit's lanes 1 … AUDIT_LANES - 1 that no other transaction
    holds, starting at a lane that depends on the connection (so writers start apart); lane 0 is
    left to the ordered writers, which therefore never wait on these (with AUDIT_LANES = 1 every
    row is in lane 0, as before lanes). A lane
    this transaction already holds is never passed over (SKIP LOCKED skips only others' locks), so
    a writer that holds a lane of the unit never waits here. When every existing lane is held by
    others, a new lane (up to AUDIT_LANES) is created; only when all AUDIT_LANES are held does the
    writer wait, on its starting lane.
    """
    lanes = lane_count() if any_lane else 1
    if lanes == 1:
        cursor.execute(_HEAD_ADVANCE, [stream_of(unit_id), count, GENESIS, count])
        seq, prev_hash = cursor.fetchone()
        return stream_of(unit_id), seq, prev_hash
    start = _connection_number() % (lanes - 1)
    order = [stream_of(unit_id, 1 + (start + i) % (lanes - 1)) for i in range(lanes - 1)]
    cursor.execute(_FREE_LANE_ADVANCE, [count, order, order])
    taken = cursor.fetchone()
    if taken is None:  # every existing lane is held by another transaction (or none exists yet)
        cursor.execute(_NEW_LANE, [count, GENESIS, order])
        taken = cursor.fetchone()
    if taken is None:  # all lanes held, or another writer is creating the one this one tried
        cursor.execute(_HEAD_ADVANCE, [order[0], count, GENESIS, count])
        taken = (order[0], *cursor.fetchone())
    stream, seq, prev_hash = taken
    return int(stream), int(seq), str(prev_hash)


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

# Advances the first existing head of the given streams (in that order) that no other
# transaction holds. Parameters: count, streams, streams.
_FREE_LANE_ADVANCE = (
    "UPDATE audit_audithead h SET last_seq = h.last_seq + %s "
    "FROM (SELECT stream FROM audit_audithead WHERE stream = ANY(%s::bigint[]) "
    "      ORDER BY array_position(%s::bigint[], stream) LIMIT 1 FOR UPDATE SKIP LOCKED) free "
    "WHERE h.stream = free.stream "
    "RETURNING h.stream, h.last_seq, h.last_hash"
)

# Creates the first of the given streams that has no head yet, already advanced by `count`
# rows; nothing when they all exist (or another transaction is creating it: this waits for
# that one, then does nothing). Parameters: count, genesis hash, streams.
_NEW_LANE = (
    "INSERT INTO audit_audithead (stream, last_seq, last_hash) "
    "SELECT o.stream, %s, %s FROM unnest(%s::bigint[]) WITH ORDINALITY AS o(stream, n) "
    "WHERE NOT EXISTS (SELECT 1 FROM audit_audithead h WHERE h.stream = o.stream) "
    "ORDER BY o.n LIMIT 1 "
    "ON CONFLICT (stream) DO NOTHING "
    "RETURNING stream, last_seq, last_hash"
)
