"""Checking the audit chains: recompute every keyed hash, compare with what is stored and with the anchors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from audit.anchors import Anchor
from audit.chain import GENESIS, chain_key, event_hash, key_id
from audit.models import AuditEvent, AuditHead
from audit.streams import describe


@dataclass(frozen=True)
class ChainBreak:
    stream: int
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"row id {self.event_id}" if self.event_id else "head"
        return f"{describe(self.stream)}, seq {self.seq} ({where}): {self.problem}"


@dataclass(frozen=True)
class _Covered:
    """What one anchor recorded of one stream."""

    anchor: Anchor
    seq: int
    hash: str


def verify_chains(
    *, chunk: int = 5000, anchors: list[Anchor] | None = None, using: str = "default"
) -> Iterator[ChainBreak]:
    """Yield the first break of each broken stream, streams in order.

    Every stream is checked on its own, whatever unit and lane it is (audit.streams): the
    streams are those with a head, with rows, or in an anchor.

    With `anchors`, also a stream whose rows no longer lead to a hash an anchor recorded (a
    rewrite, even with every later hash recomputed with the key), or that lacks rows an anchor
    counted.
    """
    covered: dict[int, list[_Covered]] = defaultdict(list)
    for anchor in anchors or []:
        for stream, (seq, digest) in anchor.streams.items():
            covered[stream].append(_Covered(anchor, seq, digest))
    key = chain_key()
    heads = {h.stream: h for h in AuditHead.objects.using(using).all()}
    events = AuditEvent.objects.using(using)
    streams = sorted(set(heads) | set(events.values_list("stream", flat=True).distinct()) | set(covered))
    for stream in streams:
        problem = _verify_stream(stream, heads.get(stream), covered.get(stream, []), key, chunk, using)
        if problem:
            yield problem


def _verify_stream(
    stream: int, head: AuditHead | None, covered: list[_Covered], key: bytes, chunk: int, using: str
) -> ChainBreak | None:
    prev_hash = GENESIS
    expected_seq = 1
    pending = sorted(covered, key=lambda c: (c.seq, c.anchor.number))
    matched: _Covered | None = None
    rows = AuditEvent.objects.using(using).filter(stream=stream).order_by("seq")
    for event in rows.iterator(chunk_size=chunk):
        if event.seq != expected_seq:
            return ChainBreak(
                stream, expected_seq, None, f"row {expected_seq} is missing (next is {event.seq})"
            )
        if event.prev_hash != prev_hash:
            return ChainBreak(stream, event.seq, event.pk, "does not follow the previous row")
        if event_hash(event, key=key) != event.hash:
            return ChainBreak(stream, event.seq, event.pk, "content was changed after it was written")
        if pending and event.pk > pending[0].anchor.last_id:
            return ChainBreak(
                stream,
                event.seq,
                event.pk,
                f"was inserted after {pending[0].anchor}, which covers this seq and whose last row id is "
                f"{pending[0].anchor.last_id}: the row was replaced",
            )
        while pending and pending[0].seq == event.seq:
            entry = pending.pop(0)
            if entry.hash != event.hash:
                since = f"seq {matched.seq + 1}" if matched else "seq 1"
                return ChainBreak(
                    stream,
                    event.seq,
                    event.pk,
                    f"does not match {entry.anchor} (line {entry.anchor.number}), which recorded hash "
                    f"{entry.hash[:16]}… here: a row between {since} and seq {event.seq} was changed after "
                    "that anchor and the hashes after it recomputed",
                )
            matched = entry
        prev_hash = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if pending:
        entry = pending[-1]
        return ChainBreak(
            stream,
            last_seq + 1,
            None,
            f"rows {last_seq + 1} to {entry.seq} are missing: {entry.anchor} counted {entry.seq} rows "
            f"in this stream, the database holds {last_seq}",
        )
    if head is None:
        return ChainBreak(stream, last_seq, None, "the stream has no head row") if last_seq else None
    if head.last_seq != last_seq or head.last_hash != prev_hash:
        return ChainBreak(
            stream, head.last_seq, None, f"the head says {head.last_seq} rows but {last_seq} are there"
        )
    return None


def anchor_key_problems(anchors: list[Anchor]) -> list[str]:
    """Anchors written with another key than the one configured now (every row would look altered)."""
    current = key_id()
    return [
        f"{anchor} was written with key {anchor.key_id}, but the configured AUDIT_CHAIN_KEY is {current}"
        for anchor in anchors
        if anchor.key_id != current
    ]
