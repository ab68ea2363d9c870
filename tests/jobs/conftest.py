import itertools

import pytest

from jobs import services


@pytest.fixture
def ticking_clock(monkeypatch):
    """The throttle's clock moves a second at each reading: every progress write and cancel check happens."""
    ticks = itertools.count(start=100)
    monkeypatch.setattr(services, "clock", lambda: float(next(ticks)))


@pytest.fixture
def frozen_clock(monkeypatch):
    """The throttle's clock, set by the test: `frozen_clock.now = 1.2`."""

    class Clock:
        now = 0.0

    clock = Clock()
    monkeypatch.setattr(services, "clock", lambda: clock.now)
    return clock
