"""The dry run's cleaned rows, kept on disk for the commit, so that no row is validated twice.

The check writes, batch after batch, the outcomes of the rows it validated (`RowOutcome`, with
the cleaned data of every writable row) to one file per job under `DATA_DIR/import-checked/`,
headed by the SHA-256 of the file it read. The commit reads them back a batch at a time (memory
stays flat) instead of reading and validating the file again: it refuses to go on when the
uploaded file is no longer the one that was checked, and it still checks each batch against the
database (hard duplicates written since the check).

Each batch is pickled and signed with the site's secret key (`salted_hmac`): a spool file that
was not written by this site, or was cut short, is refused rather than unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.crypto import salted_hmac

from imports.checking import RowOutcome

MAGIC = b"civreg-import-spool-1\n"
_SALT = "imports.spool"
_HEAD = struct.Struct(">I32s")  # payload length, its HMAC-SHA256


class SpoolError(Exception):
    """The spool file is missing, cut short or not signed by this site."""


def spool_path(job_id: int) -> Path:
    return Path(settings.DATA_DIR) / "import-checked" / f"job-{job_id}.spool"


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _sign(payload: bytes) -> bytes:
    return salted_hmac(_SALT, payload, algorithm="sha256").digest()


class SpoolWriter:
    """Writes one job's checked batches (a new file; `spool_remove` drops it)."""

    def __init__(self, job_id: int, source_sha256: str):
        self.path = spool_path(job_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = self.path.with_suffix(".partial")
        self._handle: IO[bytes] = self._partial.open("wb")
        self._write(source_sha256.encode())

    def _write(self, payload: bytes) -> None:
        self._handle.write(MAGIC if self._handle.tell() == 0 else b"")
        self._handle.write(_HEAD.pack(len(payload), _sign(payload)))
        self._handle.write(payload)

    def write(self, outcomes: list[RowOutcome]) -> None:
        self._write(pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        """The spool is complete: it replaces any earlier one of the job."""
        self._handle.close()
        self._partial.replace(self.path)

    def discard(self) -> None:
        self._handle.close()
        self._partial.unlink(missing_ok=True)


def spool_remove(job_id: int) -> None:
    spool_path(job_id).unlink(missing_ok=True)


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    if handle.read(len(MAGIC)) != MAGIC:
        raise SpoolError("not a spool file")
    while head := handle.read(_HEAD.size):
        if len(head) != _HEAD.size:
            raise SpoolError("cut short")
        size, signature = _HEAD.unpack(head)
        payload = handle.read(size)
        if len(payload) != size or not hmac.compare_digest(signature, _sign(payload)):
            raise SpoolError("cut short or not signed by this site")
        yield payload


def spool_source_sha256(job_id: int) -> str | None:
    """The SHA-256 of the file the job's spool was checked from; None without a spool."""
    path = spool_path(job_id)
    if not path.exists():
        return None
    with path.open("rb") as handle:
        try:
            return next(_chunks(handle)).decode()
        except (SpoolError, StopIteration):
            return None


def spool_batches(job_id: int) -> Iterator[bytes]:
    """The job's checked batches, each as its signed payload (`spool_load` reads one)."""
    with spool_path(job_id).open("rb") as handle:
        chunks = _chunks(handle)
        next(chunks)  # the source file's hash
        yield from chunks


def spool_load(payload: bytes) -> list[RowOutcome]:
    """A batch's outcomes, fresh objects each call (a batch tried again starts from the dry run's)."""
    outcomes: Any = pickle.loads(payload)  # noqa: S301 - signed by this site (see the module doc)
    return outcomes
