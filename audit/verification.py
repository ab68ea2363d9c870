"""Checking the audit chains: recompute every hash and compare with what is stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from audit.chain import GENESIS, HASHED_FIELDS, row_hash
from audit.models import AuditEvent, AuditHead


@dataclass(frozen=True)
class ChainBreak:
    stream: int
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"row id {self.event_id}" if self.event_id else "head"
        return f"stream {self.stream}, seq {self.seq} ({where}): {self.problem}"


def verify_chains(*, chunk: int = 5000) -> Iterator[ChainBreak]:
    """Yield the first break of each broken stream, streams in order."""
    heads = {h.stream: h for h in AuditHead.objects.all()}
    streams = sorted(set(heads) | set(AuditEvent.objects.values_list("stream", flat=True).distinct()))
    for stream in streams:
        problem = _verify_stream(stream, heads.get(stream), chunk)
        if problem:
            yield problem


def _verify_stream(stream: int, head: AuditHead | None, chunk: int) -> ChainBreak | None:
    prev_hash = GENESIS
    expected_seq = 1
    rows = AuditEvent.objects.filter(stream=stream).order_by("seq")
    for event in rows.iterator(chunk_size=chunk):
        if event.seq != expected_seq:
            return ChainBreak(
                stream, expected_seq, None, f"row {expected_seq} is missing (next is {event.seq})"
            )
        if event.prev_hash != prev_hash:
            return ChainBreak(stream, event.seq, event.pk, "does not follow the previous row")
        if row_hash(prev_hash=prev_hash, fields={f: getattr(event, f) for f in HASHED_FIELDS}) != event.hash:
            return ChainBreak(stream, event.seq, event.pk, "content was changed after it was written")
        prev_hash = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head is None:
        return ChainBreak(stream, last_seq, None, "the stream has no head row") if last_seq else None
    if head.last_seq != last_seq or head.last_hash != prev_hash:
        return ChainBreak(
            stream, head.last_seq, None, f"the head says {head.last_seq} rows but {last_seq} are there"
        )
    return None
