"""What every scenario gets: the run's options, the seeded units, fresh users, and earlier results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.seed import COMMUNES_PER_DISTRICT, PROVINCE_CODE


@dataclass
class Bench:
    records: int
    cores: int
    workers: int
    samples: int
    duration: float
    clients: int
    database: str
    profile_dir: Path | None
    results: dict[str, Any] = field(default_factory=dict)
    campaign_duration: float = 30.0
    campaign_users: int = 30
    campaign_think: tuple[float, ...] = (5.0, 15.0)
    campaign_pacing: str = "desk"
    campaign_output: Path | None = None
    redis_url: str = "redis://127.0.0.1:6379/13"

    def log(self, message: str) -> None:
        print(message, flush=True)

    @property
    def province(self):
        from registry.models import AdministrativeUnit, UnitLevel

        return AdministrativeUnit.objects.get(code=PROVINCE_CODE, level=UnitLevel.PROVINCE)

    def communes(self) -> list:
        """The seeded communes in order (commune i has users clerk.c<i>, reviewer.c<i>, approver.c<i>)."""
        from registry.models import AdministrativeUnit, UnitLevel

        return list(
            AdministrativeUnit.objects.filter(
                path__startswith=self.province.path, level=UnitLevel.COMMUNE, code__startswith="B"
            ).order_by("code")
        )

    def user(self, username: str):
        """A freshly loaded user, as a request would have it (no cached scopes or permissions)."""
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(username=username)

    def clerk_name(self, commune_index: int) -> str:
        return f"clerk.c{commune_index:03d}"

    @staticmethod
    def district_of(commune_index: int) -> int:
        return commune_index // COMMUNES_PER_DISTRICT
