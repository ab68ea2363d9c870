"""Timing and summary helpers: percentiles over repeated calls, and an optional profiler."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def time_calls(fn: Callable[[int], Any], *, samples: int, warmup: int = 2) -> list[float]:
    """Call fn(i) warmup + samples times; return the sample durations in milliseconds."""
    for i in range(warmup):
        fn(i)
    out = []
    for i in range(samples):
        started = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(prefix: str, durations_ms: list[float]) -> dict[str, float]:
    return {
        f"{prefix}_p50_ms": round(percentile(durations_ms, 50), 2),
        f"{prefix}_p95_ms": round(percentile(durations_ms, 95), 2),
    }


@contextlib.contextmanager
def profiled(name: str, out_dir: Path | None) -> Iterator[None]:
    """Profile the block with pyinstrument into out_dir/profile-<name>.txt (when out_dir is given)."""
    if out_dir is None:
        yield
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("  (pyinstrument is not installed: pip install pyinstrument to get profiles)")
        yield
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"profile-{name}.txt"
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"  profile written to {path}")
