"""Seeding the bench database with one province of N records, by COPY (not the ORM).

Shape (see bench/README.md): one province, 10 districts, 100 communes; per commune,
books by event type and year (births ~60 %, deaths ~20 %, marriages ~15 %, the
rest ~5 %), at most 500 cases a book; states by digitization phase (the recent
phases mostly approved or transferred, the old ones mostly still collected or
scanned); entered records carry their people (Vietnamese names with name_key and
name_exact_key computed by vietnamese.names), a registration date, and the hard
identity key of births and deaths (by PIN from 2016, else name + birth date + mother).
Every record also gets one viewflow Process of the peer-baseline flow
(bench/flows.py) and its tasks: one finished task, and for open work one task
of its current stage (10 % of those claimed).

Units and users go through the project's services (`unit_create`, `role_grant`);
books, records, parties, processes and tasks go through COPY, in parallel per
commune, with secondary indexes dropped during the load and rebuilt after.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import random
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.utils import timezone

from bench import db
from bench import names_data as nd
from registry.matching import PRIMARY_ROLE, DedupPerson, dedup_keys
from registry.partial_dates import PartialDate

# 2: the project's own workflow processes and tasks (issue 3); 3: progress counters; 4: party unit path
SEED_VERSION = "4"
BENCH_PASSWORD = "bench12345"
PROVINCE_CODE = "B35"
DISTRICTS = 10
COMMUNES_PER_DISTRICT = 10
MAX_CASES_PER_BOOK = 500
FIRST_YEAR, LAST_YEAR = 1955, 2025
CLAIMERS = 16  # extra clerks of commune 0, for the claim race

EVENT_MIX = [
    ("birth", 60.0),
    ("death", 20.0),
    ("marriage", 15.0),
    ("amendment", 1.5),
    ("parentage", 1.0),
    ("marital_status", 1.2),
    ("divorce_note", 0.5),
    ("adoption", 0.3),
    ("guardianship", 0.3),
    ("guardianship_end", 0.2),
]
PARTY_ROLES = {
    "birth": ("subject", "mother", "father"),
    "marriage": ("husband", "wife"),
    "death": ("deceased", "declarant"),
    "parentage": ("parent", "child"),
    "guardianship": ("guardian", "ward"),
    "guardianship_end": ("guardian", "ward"),
    "amendment": ("subject", "requester"),
    "divorce_note": ("husband", "wife"),
    "marital_status": ("subject",),
    "adoption": ("adoptee", "adoptive_father", "adoptive_mother"),
}
# State shares by digitization phase (phase 1 = from 2016, worked first).
STATE_MIX = {
    1: [
        ("transferred", 55),
        ("approved", 20),
        ("reviewed", 6),
        ("attached", 5),
        ("entered", 5),
        ("scanned", 4),
        ("collected", 3),
        ("rejected", 1.5),
        ("duplicate", 0.5),
    ],
    2: [
        ("transferred", 30),
        ("approved", 20),
        ("reviewed", 8),
        ("attached", 8),
        ("entered", 10),
        ("scanned", 10),
        ("collected", 12),
        ("rejected", 1.5),
        ("duplicate", 0.5),
    ],
    3: [
        ("transferred", 5),
        ("approved", 5),
        ("reviewed", 5),
        ("attached", 5),
        ("entered", 10),
        ("scanned", 20),
        ("collected", 48),
        ("rejected", 1.5),
        ("duplicate", 0.5),
    ],
    4: [
        ("collected", 82),
        ("scanned", 12),
        ("entered", 3),
        ("attached", 1),
        ("approved", 1),
        ("rejected", 1),
    ],
    5: [("collected", 88), ("scanned", 9), ("entered", 2), ("rejected", 1)],
}
ENTERED_STATES = {"entered", "attached", "reviewed", "approved", "transferred", "duplicate"}
OPEN_STAGE = {
    "collected": "scan",
    "scanned": "enter",
    "entered": "attach",
    "attached": "review",
    "reviewed": "approve",
}
DONE_STAGE = {
    "scanned": "scan",
    "entered": "enter",
    "attached": "attach",
    "reviewed": "review",
    "approved": "approve",
    "transferred": "approve",
    "rejected": "scan",
    "duplicate": "enter",
    "collected": None,
}
STAGE_PERMISSION = {
    "scan": "registry.scan_record",
    "enter": "registry.enter_record",
    "attach": "registry.attach_record",
    "review": "registry.review_record",
    "approve": "registry.approve_record",
}

RECORD_COLUMNS = (
    "id",
    "book_id",
    "unit_id",
    "unit_path",
    "event_type",
    "entry_no",
    "page_no",
    "reg_year",
    "reg_month",
    "reg_day",
    "registration_type",
    "registration_place",
    "signer_name",
    "signer_title",
    "performer_name",
    "note",
    "event_year",
    "event_month",
    "event_day",
    "event_time",
    "event_place",
    "event_cause",
    "details",
    "state",
    "version",
    "competence",
    "identity_key",
    "dedup_keys",
    "duplicate_of_id",
    "scanned_by_id",
    "entered_by_id",
    "attached_by_id",
    "reviewed_by_id",
    "approved_by_id",
    "approved_at",
    "transferred_at",
    "last_reason",
    "return_remarks",
    "returned_by_id",
    "returned_at",
    "created_at",
    "updated_at",
    "not_in_book",
    "as_written",
)
PARTY_COLUMNS = (
    "record_id",
    "role",
    "full_name",
    "name_key",
    "name_exact_key",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_place",
    "hometown",
    "pin",
    "id_document",
    "ethnicity",
    "nationality",
    "residence",
    "unit_path",
)
BOOK_COLUMNS = (
    "id",
    "custodian_id",
    "authority_as_written",
    "authority_unit_id",
    "event_type",
    "year",
    "book_no",
    "phase",
    "declared_cases",
    "declared_pages",
    "condition",
    "note",
    "created_at",
    "created_by_id",
)
PROCESS_COLUMNS = (
    "id",
    "flow_class",
    "status",
    "created",
    "finished",
    "artifact_content_type_id",
    "artifact_object_id",
    "data",
)
TASK_COLUMNS = (
    "process_id",
    "flow_task",
    "flow_task_type",
    "status",
    "created",
    "assigned",
    "finished",
    "token",
    "owner_permission",
    "owner_permission_content_type_id",
    "owner_permission_obj_pk",
    "owner_id",
    "data",
)
WF_PROCESS_COLUMNS = ("id", "flow_class", "status", "created", "finished", "record_id", "data")
WF_TASK_COLUMNS = (
    "id",
    "flow_task",
    "flow_task_type",
    "status",
    "created",
    "assigned",
    "started",
    "finished",
    "token",
    "owner_id",
    "owner_permission",
    "owner_permission_content_type_id",
    "owner_permission_obj_pk",
    "process_id",
    "data",
    "record_id",
    "stage",
    "unit_id",
    "unit_path",
    "book_id",
    "entry_no",
    "event_type",
    "book_year",
    "phase",
    "min_rank",
    "excluded_user_id",
    "is_return",
    "due_at",
    "last_activity",
)
WF_LINK_COLUMNS = ("from_recordtask_id", "to_recordtask_id")
BULK_TABLES = (
    "registry_civilrecord",
    "registry_party",
    "viewflow_process",
    "viewflow_task",
    "workflows_recordprocess",
    "workflows_recordtask",
    "workflows_recordtask_previous",
)

COUNTER_TABLES = ("reports_bookstatecount", "reports_unitstatecount", "reports_dailycount")


@dataclass(frozen=True)
class Commune:
    index: int
    unit_id: int
    path: str
    name: str
    clerk_id: int
    reviewer_id: int
    approver_id: int


@dataclass(frozen=True)
class BookPlan:
    id: int
    commune: int
    event_type: str
    year: int
    book_no: str
    cases: int
    first_record_id: int


def phase_of(year: int) -> int:
    if year >= 2016:
        return 1
    if year >= 2006:
        return 2
    if year >= 1999:
        return 3
    if year >= 1976:
        return 4
    return 5


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split `total` into integer parts proportional to weights (largest remainder, random ties)."""
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    parts = [int(x) for x in raw]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (raw[i] - parts[i], rng.random()), reverse=True)
    for i in order[:rest]:
        parts[i] += 1
    return parts


def plan_books(n: int, communes: int, rng: random.Random) -> list[BookPlan]:
    """Books per commune by type and year, totalling exactly n records, with record id ranges."""
    per_commune = _split(n, [rng.uniform(0.6, 1.4) for _ in range(communes)], rng)
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    year_weights = [1.0 + (y - FIRST_YEAR) / 35 for y in years]
    books: list[BookPlan] = []
    book_id, record_id = 1, 1
    for c, count in enumerate(per_commune):
        by_year = _split(count, year_weights, rng)
        for year, in_year in zip(years, by_year, strict=True):
            if not in_year:
                continue
            by_type = _split(in_year, [w for _, w in EVENT_MIX], rng)
            for (event_type, _w), cases in zip(EVENT_MIX, by_type, strict=True):
                no = 1
                while cases > 0:
                    size = min(cases, MAX_CASES_PER_BOOK)
                    books.append(BookPlan(book_id, c, event_type, year, str(no), size, record_id))
                    book_id += 1
                    record_id += size
                    cases -= size
                    no += 1
    return books


# --- units and users (through the project's services) ------------------------------------------


def seed_units_and_users() -> dict[str, Any]:
    """One province > 10 districts > 10 communes each; a clerk, reviewer and approver per commune."""
    from permissions.roles import Role
    from permissions.services import role_grant
    from registry.models import UnitEra, UnitLevel
    from registry.services import unit_create

    rng = random.Random(7)
    province = unit_create(
        code=PROVINCE_CODE, name="Tỉnh Hà Nam (bench)", level=UnitLevel.PROVINCE, era=UnitEra.LEGACY
    )
    districts, communes = [], []
    for d in range(DISTRICTS):
        district = unit_create(
            code=f"B{d:03d}",
            name=nd.DISTRICT_NAMES[d % len(nd.DISTRICT_NAMES)],
            level=UnitLevel.DISTRICT,
            parent=province,
            era=UnitEra.LEGACY,
        )
        districts.append(district)
        for c in range(COMMUNES_PER_DISTRICT):
            idx = d * COMMUNES_PER_DISTRICT + c
            words = rng.sample(nd.COMMUNE_WORDS, 2)
            communes.append(
                unit_create(
                    code=f"B{idx:05d}",
                    name=f"Xã {words[0]} {words[1]}",
                    level=UnitLevel.COMMUNE,
                    parent=district,
                    era=UnitEra.LEGACY,
                )
            )

    user_model = get_user_model()
    password = make_password(BENCH_PASSWORD)
    grants: list[tuple[str, Any, str]] = [
        ("admin.tinh", province, Role.PROVINCE_ADMIN),
        ("auditor.tinh", province, Role.AUDITOR),
    ]
    for d, district in enumerate(districts):
        grants += [
            (f"approver.d{d:02d}", district, Role.APPROVER),
            (f"reviewer.d{d:02d}", district, Role.REVIEWER),
        ]
    for c, commune in enumerate(communes):
        grants += [
            (f"clerk.c{c:03d}", commune, Role.CLERK),
            (f"reviewer.c{c:03d}", commune, Role.REVIEWER),
            (f"approver.c{c:03d}", commune, Role.APPROVER),
        ]
    grants += [(f"claimer.{k:02d}", communes[0], Role.CLERK) for k in range(CLAIMERS)]
    user_model.objects.bulk_create(
        [user_model(username=name, password=password, first_name=name) for name, _u, _r in grants]
    )
    users = {u.username: u for u in user_model.objects.all()}
    for name, unit, role in grants:
        role_grant(user=users[name], unit=unit, role=role)

    result = [
        Commune(
            c,
            u.pk,
            u.path,
            u.name,
            users[f"clerk.c{c:03d}"].pk,
            users[f"reviewer.c{c:03d}"].pk,
            users[f"approver.c{c:03d}"].pk,
        )
        for c, u in enumerate(communes)
    ]
    return {"province": province, "districts": districts, "communes": result, "admin": users["admin.tinh"]}


# --- rows ---------------------------------------------------------------------------------------


def _weighted(pairs: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], [float(p[1]) for p in pairs]


class NameMaker:
    """Draws Vietnamese names and caches their keys (a few thousand distinct names)."""

    def __init__(self, rng: random.Random):
        from vietnamese.names import name_exact_key, name_key

        self.rng = rng
        self._key, self._exact = name_key, name_exact_key
        self.family = _weighted(nd.FAMILY)
        self.middle_m = _weighted(nd.MIDDLE_MALE)
        self.middle_f = _weighted(nd.MIDDLE_FEMALE)
        self.cache: dict[str, tuple[str, str]] = {}

    def family_name(self) -> str:
        return self.rng.choices(*self.family)[0]

    def person(self, sex: int, family: str | None = None) -> tuple[str, str, str]:
        rng = self.rng
        family = family or self.family_name()
        if sex == 1:
            name = f"{family} {rng.choices(*self.middle_m)[0]} {rng.choice(nd.GIVEN_MALE)}"
        else:
            name = f"{family} {rng.choices(*self.middle_f)[0]} {rng.choice(nd.GIVEN_FEMALE)}"
        keys = self.cache.get(name)
        if keys is None:
            keys = self.cache[name] = (self._key(name), self._exact(name))
        return name, keys[0], keys[1]


def _n(value: Any) -> str:
    return "\\N" if value is None else str(value)


def _ts(value: dt.datetime | None) -> str:
    return "\\N" if value is None else value.isoformat()


class CommuneRows:
    """Generates the COPY text of one commune's records, parties, processes and tasks."""

    def __init__(self, commune: Commune, books: list[BookPlan], ctx: dict[str, Any]):
        self.c = commune
        self.books = books
        self.ctx = ctx
        self.rng = random.Random(ctx["seed"] * 1000 + commune.index)
        self.names = NameMaker(self.rng)
        self.records = io.StringIO()
        self.parties = io.StringIO()
        self.processes = io.StringIO()
        self.tasks = io.StringIO()
        self.wf_processes = io.StringIO()
        self.wf_tasks = io.StringIO()
        self.wf_links = io.StringIO()
        self.state_mix = {p: _weighted(m) for p, m in STATE_MIX.items()}
        self.ethnic = _weighted(nd.ETHNICITIES)

    def build(self) -> None:
        for book in self.books:
            for i in range(book.cases):
                self.record(book, book.first_record_id + i, i + 1)

    def record(self, book: BookPlan, rid: int, entry_no: int) -> None:
        rng, c, ctx = self.rng, self.c, self.ctx
        state = rng.choices(*self.state_mix[phase_of(book.year)])[0]
        now: dt.datetime = ctx["now"]
        created = now - dt.timedelta(days=90, seconds=rng.randint(0, 86400 * 30))
        updated = created
        entered = state in ENTERED_STATES
        reg_month = reg_day = None
        text = ["", "", "", "", ""]  # place, signer, title, performer, note
        event = [None, None, None, "", "", ""]  # y, m, d, time, place, cause
        identity = None
        keys: list[str] = []  # the likely-duplicate blocking keys (registry.matching)
        approved_at = transferred_at = None
        if entered:
            reg = dt.date(book.year, rng.randint(1, 12), rng.randint(1, 28))
            reg_month, reg_day = reg.month, reg.day
            text = [f"UBND {c.name}", rng.choice(nd.SIGNERS), rng.choice(nd.SIGNER_TITLES), "", ""]
            identity, keys = self.people(book, rid, reg, event)
            updated = created + dt.timedelta(days=rng.randint(1, 30))
        if state in ("approved", "transferred"):
            # 2 % approved today: the daily report has something to count.
            if rng.random() < 0.02:
                approved_at = now - dt.timedelta(seconds=rng.randint(0, 3600 * 8))
            else:
                approved_at = now - dt.timedelta(days=rng.randint(1, 60), seconds=rng.randint(0, 86400))
            updated = approved_at
            if state == "transferred":
                transferred_at = approved_at + dt.timedelta(hours=rng.randint(1, 11))
                updated = transferred_at
        by = {
            "scanned": c.clerk_id if state not in ("collected",) else None,
            "entered": c.clerk_id if entered else None,
            "attached": c.clerk_id if state in ("attached", "reviewed", "approved", "transferred") else None,
            "reviewed": c.reviewer_id if state in ("reviewed", "approved", "transferred") else None,
            "approved": c.approver_id if approved_at else None,
        }
        if state in ("rejected", "duplicate"):
            identity = None  # closed records do not hold the key (the partial unique index skips them)
        duplicate_of = rid - 1 if state == "duplicate" and entry_no > 1 else None
        reason = (
            "Trùng với bản ghi khác"
            if state == "duplicate"
            else ("Trang trống" if state == "rejected" else "")
        )
        version = {
            "collected": 1,
            "scanned": 2,
            "entered": 3,
            "attached": 4,
            "reviewed": 5,
            "approved": 6,
            "transferred": 7,
            "rejected": 2,
            "duplicate": 4,
        }[state]
        row = (
            rid,
            book.id,
            c.unit_id,
            c.path,
            book.event_type,
            entry_no,
            (entry_no + 1) // 2 if entered else None,
            book.year,
            reg_month,
            reg_day,
            1 if entered else 0,
            *text,
            *event,
            "{}",
            state,
            version,
            "commune",
            identity,
            "{" + ",".join(f'"{k}"' for k in keys) + "}",
            duplicate_of,
            by["scanned"],
            by["entered"],
            by["attached"],
            by["reviewed"],
            by["approved"],
            _ts(approved_at),
            _ts(transferred_at),
            reason,
            "{}",
            None,
            None,
            _ts(created),
            _ts(updated),
            "{}",
            "{}",
        )
        self.records.write("\t".join(_n(v) for v in row))
        self.records.write("\n")
        self.viewflow(rid, state, created, updated)
        self.workflow(book, rid, entry_no, state, updated, by)

    def people(
        self, book: BookPlan, rid: int, reg: dt.date, event: list[Any]
    ) -> tuple[str | None, list[str]]:
        """Write the parties of an entered record; return its identity key (births and deaths)
        and its dedup keys (those `registry.record_data.apply_record_data` would store)."""
        rng, names = self.rng, self.names
        et = book.event_type
        roles = PARTY_ROLES[et]
        family = names.family_name()
        identity = None
        keys: list[str] = []
        for role in roles:
            sex = {
                "mother": 2,
                "wife": 2,
                "adoptive_mother": 2,
                "father": 1,
                "husband": 1,
                "adoptive_father": 1,
            }.get(role, rng.choice((1, 2)))
            fam = (
                family
                if role in ("subject", "father", "child", "adoptee")
                and et in ("birth", "parentage", "adoption")
                else None
            )
            full, key, exact = names.person(sex, fam)
            by = bm = bd = None
            pin = ""
            if role in ("subject", "child", "adoptee", "ward") and et in (
                "birth",
                "parentage",
                "adoption",
                "guardianship",
            ):
                born = reg - dt.timedelta(days=rng.randint(1, 60 if et == "birth" else 3000))
                by, bm, bd = born.year, born.month, born.day
            elif role == "deceased":
                by = reg.year - rng.randint(30, 90)
                if reg.year >= 1990:
                    bm, bd = rng.randint(1, 12), rng.randint(1, 28)
                event[0:3] = [reg.year, reg.month, max(1, reg.day - rng.randint(0, 3))]
                event[5] = rng.choice(nd.DEATH_CAUSES)
            elif role in ("husband", "wife"):
                by = reg.year - rng.randint(20, 35)
            elif book.year >= 1990 or rng.random() < 0.5:
                by = reg.year - rng.randint(18, 45)
            if role in ("subject", "deceased") and et in ("birth", "death"):
                if book.year >= 2016 and by is not None:
                    pin = self.ctx["pin"](sex, by)
                    identity = f"pin:{pin}"
                elif bd is not None:
                    identity = ("pending", exact, f"{bd:02d}/{bm:02d}/{by:04d}")
            if role == PRIMARY_ROLE.get(et):
                keys = dedup_keys(DedupPerson(et, key, exact, sex, PartialDate(by, bm, bd)))
            if role == "mother" and isinstance(identity, tuple):
                identity = (*identity, exact)
            row = (
                rid,
                role,
                full,
                key,
                exact,
                sex,
                by,
                bm,
                bd,
                "",
                "",
                pin,
                "",
                rng.choices(*self.ethnic)[0] if role in ("subject", "deceased") else "",
                "Việt Nam" if role in ("subject", "deceased", "husband", "wife") else "",
                "",
                # The record's unit path (the load runs without triggers: `registry_party_unit_path`).
                self.c.path,
            )
            self.parties.write("\t".join(_n(v) for v in row))
            self.parties.write("\n")
        if isinstance(identity, tuple):
            mother = identity[3] if len(identity) > 3 else ""
            return f"id:{identity[1]}|{identity[2]}|{mother}", keys
        return identity, keys

    def viewflow(self, rid: int, state: str, created: dt.datetime, updated: dt.datetime) -> None:
        ctx, c = self.ctx, self.c
        done = state in ("approved", "transferred", "rejected", "duplicate")
        status = ("CANCELED" if state in ("rejected", "duplicate") else "DONE") if done else "NEW"
        self.processes.write(
            f"{rid}\t{ctx['flow_ref']}\t{status}\t{_ts(created)}\t{_ts(updated if done else None)}"
            f"\t{ctx['record_ct']}\t{rid}\t{{}}\n"
        )
        stage = DONE_STAGE[state]
        if stage:
            self._task(rid, stage, "DONE", created, None, updated, None, c.unit_id)
        open_stage = OPEN_STAGE.get(state)
        if open_stage:
            claimed = self.rng.random() < 0.10
            owner = (
                (
                    c.reviewer_id
                    if open_stage == "review"
                    else c.approver_id
                    if open_stage == "approve"
                    else c.clerk_id
                )
                if claimed
                else None
            )
            self._task(
                rid,
                open_stage,
                "ASSIGNED" if claimed else "NEW",
                updated,
                updated if claimed else None,
                None,
                owner,
                c.unit_id,
            )

    def workflow(
        self, book: BookPlan, rid: int, entry_no: int, state: str, updated: dt.datetime, by: dict[str, Any]
    ) -> None:
        """The project's own work items (issue 3), as `workflows.flows.processes_start_for` writes them.

        An open record: an active process (id = record id), a done start task and a done route
        task (ids 4·rid, 4·rid + 1) and the open task of its stage (4·rid + 2) with the record's
        columns, linked as `previous`; 10 % of the open tasks claimed by the commune's person of
        that stage. A finished record: a done process with its last stage's task done by whoever
        did it (the "Done" archive); a closed one (rejected, duplicate): a cancelled process.
        """
        ctx, c = self.ctx, self.c
        wf = ctx["wf"]
        stage = OPEN_STAGE.get(state)
        if stage is None:
            status = "CANCELED" if state in ("rejected", "duplicate") else "DONE"
            self.wf_processes.write(
                f"{rid}\t{wf['flow']}\t{status}\t{_ts(updated)}\t{_ts(updated)}\t{rid}\t{{}}\n"
            )
            if status == "DONE":
                self._wf_task(
                    4 * rid + 2,
                    rid,
                    "approve",
                    "DONE",
                    updated,
                    by["approved"] or c.approver_id,
                    updated,
                    book,
                    entry_no,
                    None,
                    updated,
                )
            return
        now = ctx["now"]
        self.wf_processes.write(f"{rid}\t{wf['flow']}\tNEW\t{_ts(updated)}\t\\N\t{rid}\t{{}}\n")
        for k, node in ((0, "start"), (1, "route")):
            # Done, empty of the record's columns (the start task names the record, as the flow's does).
            row = [4 * rid + k, wf["refs"][node], wf["types"][node], "DONE", _ts(updated), None]
            row += [_ts(updated) if node == "start" else None, _ts(updated), "start", None, None, None, None]
            row += [rid, "{}", rid if node == "start" else None, "", None, "", None, None, ""]
            row += [None, None, 0, None, "f", None, None]
            self.wf_tasks.write("\t".join(_n(v) for v in row) + "\n")
        claimed = self.rng.random() < 0.10
        owner = None
        if claimed:
            owner = {"review": c.reviewer_id, "approve": c.approver_id}.get(stage, c.clerk_id)
        excluded = {"review": by["entered"], "approve": by["reviewed"]}.get(stage)
        if excluded == owner:
            owner = None  # four eyes: the seeded claimer may not be the excluded person
        self._wf_task(
            4 * rid + 2,
            rid,
            stage,
            "ASSIGNED" if owner else "NEW",
            updated,
            owner,
            None,
            book,
            entry_no,
            excluded,
            now + dt.timedelta(hours=wf["due_hours"][stage]),
        )
        self.wf_links.write(f"{4 * rid + 1}\t{4 * rid}\n{4 * rid + 2}\t{4 * rid + 1}\n")

    def _wf_task(
        self, tid, rid, stage, status, created, owner, finished, book, entry_no, excluded, due_or_activity
    ) -> None:
        ctx, c = self.ctx, self.c
        wf = ctx["wf"]
        assigned = created if owner else None
        # A claim is live CLAIM_IDLE_MINUTES after the seed (then `claims_expire` may send it back).
        row = (
            tid,
            wf["refs"][stage],
            "HUMAN",
            status,
            _ts(created),
            _ts(assigned),
            _ts(finished),
            _ts(finished),
            "start",
            owner,
            wf["perms"][stage],
            ctx["unit_ct"],
            c.unit_id,
            rid,
            "{}",
            rid,
            stage,
            c.unit_id,
            c.path,
            book.id,
            entry_no,
            book.event_type,
            book.year,
            phase_of(book.year),
            1 if stage == "approve" else 0,  # the seeded records are of commune competence
            excluded,
            "f",
            _ts(due_or_activity),
            _ts(ctx["now"]) if owner and status == "ASSIGNED" else None,
        )
        self.wf_tasks.write("\t".join(_n(v) for v in row))
        self.wf_tasks.write("\n")

    def _task(self, rid, stage, status, created, assigned, finished, owner, unit_id) -> None:
        ctx = self.ctx
        self.tasks.write(
            f"{rid}\t{ctx['task_refs'][stage]}\tHUMAN\t{status}\t{_ts(created)}\t{_ts(assigned)}"
            f"\t{_ts(finished)}\tstart\t{STAGE_PERMISSION[stage]}\t{ctx['unit_ct']}\t{unit_id}\t{_n(owner)}"
            "\t{}\n"
        )


def _workflow_refs() -> dict[str, Any]:
    """What the project's flow writes in its rows: flow and node references, task types, permissions."""
    from viewflow.workflow.fields import get_flow_ref, get_task_ref

    from workflows.flows import DUE_HOURS, RecordFlow

    nodes = ("start", "route", *OPEN_STAGE.values())
    return {
        "flow": get_flow_ref(RecordFlow),
        "refs": {n: get_task_ref(getattr(RecordFlow, n)) for n in nodes},
        "types": {n: getattr(RecordFlow, n).task_type for n in nodes},
        "perms": {s: getattr(RecordFlow, s)._owner_permission for s in OPEN_STAGE.values()},
        "due_hours": {str(k): v for k, v in DUE_HOURS.items()},
    }


def _copy(cur, table: str, columns: tuple[str, ...], buffer: io.StringIO) -> None:
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _pin_maker(worker: int):
    """PINs that are unique across workers: 3 province digits, century/sex, 2-digit year, 6 serial."""
    counters: dict[tuple[int, int], int] = {}

    def make(sex: int, year: int) -> str:
        code = (2 if year >= 2000 else 0) + (0 if sex == 1 else 1)
        key = (code, year)
        n = counters.get(key, 0)
        counters[key] = n + 1
        serial = n * 16 + worker  # workers interleave serials
        return f"035{code}{year % 100:02d}{serial % 1_000_000:06d}"

    return make


def _seed_communes(args: tuple[int, list[tuple[Commune, list[BookPlan]]], dict[str, Any]]) -> int:
    worker, jobs, ctx = args
    ctx = {**ctx, "pin": _pin_maker(worker)}
    conn = db.raw_connect(ctx["database"])
    written = 0
    try:
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
            cur.execute("SET synchronous_commit = off")
            for commune, books in jobs:
                rows = CommuneRows(commune, books, ctx)
                rows.build()
                _copy(cur, "registry_civilrecord", RECORD_COLUMNS, rows.records)
                _copy(cur, "registry_party", PARTY_COLUMNS, rows.parties)
                _copy(cur, "viewflow_process", PROCESS_COLUMNS, rows.processes)
                _copy(cur, "viewflow_task", TASK_COLUMNS, rows.tasks)
                _copy(cur, "workflows_recordprocess", WF_PROCESS_COLUMNS, rows.wf_processes)
                _copy(cur, "workflows_recordtask", WF_TASK_COLUMNS, rows.wf_tasks)
                _copy(cur, "workflows_recordtask_previous", WF_LINK_COLUMNS, rows.wf_links)
                conn.commit()
                written += sum(b.cases for b in books)
    finally:
        conn.close()
    return written


# --- indexes ------------------------------------------------------------------------------------


def _droppable_indexes(cur) -> list[tuple[str, str]]:
    """Secondary indexes of the bulk tables that back no constraint: (name, definition)."""
    cur.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(BULK_TABLES)],
    )
    return list(cur.fetchall())


def seed(n: int, *, database: str, workers: int, log=print) -> dict[str, Any]:
    """Seed an empty, migrated bench database with n records. Returns what the scenarios need."""
    started = time.perf_counter()
    from viewflow.workflow.fields import get_flow_ref, get_task_ref

    from bench.flows import BaselineRecordFlow
    from registry.models import AdministrativeUnit, CivilRecord

    world = seed_units_and_users()
    communes: list[Commune] = world["communes"]
    rng = random.Random(42)
    books = plan_books(n, len(communes), rng)
    log(f"  seed: {len(communes)} communes, {len(books)} books, {n} records")

    now = timezone.now()
    province_name = world["province"].name
    by_id = {c.index: c for c in communes}
    book_buf = io.StringIO()
    for b in books:
        c = by_id[b.commune]
        book_buf.write(
            "\t".join(
                _n(v)
                for v in (
                    b.id,
                    c.unit_id,
                    f"UBND {c.name}, {province_name}",
                    c.unit_id,
                    b.event_type,
                    b.year,
                    b.book_no,
                    phase_of(b.year),
                    b.cases,
                    (b.cases + 1) // 2,
                    "good",
                    "",
                    now.isoformat(),
                    world["admin"].pk,
                )
            )
            + "\n"
        )
    with connection.cursor() as cur:
        _copy(cur.cursor, "registry_registerbook", BOOK_COLUMNS, book_buf)
        dropped = _droppable_indexes(cur.cursor)
        for name, _definition in dropped:
            cur.execute(f'DROP INDEX "{name}"')

    ctx = {
        "seed": 42,
        "now": now,
        "database": database,
        "flow_ref": get_flow_ref(BaselineRecordFlow),
        "task_refs": {s: get_task_ref(getattr(BaselineRecordFlow, s)) for s in STAGE_PERMISSION},
        "record_ct": ContentType.objects.get_for_model(CivilRecord).pk,
        "unit_ct": ContentType.objects.get_for_model(AdministrativeUnit).pk,
        "wf": _workflow_refs(),
    }
    books_by_commune: dict[int, list[BookPlan]] = {}
    for b in books:
        books_by_commune.setdefault(b.commune, []).append(b)
    shards: list[list[tuple[Commune, list[BookPlan]]]] = [[] for _ in range(workers)]
    for i, c in enumerate(communes):
        shards[i % workers].append((c, books_by_commune.get(c.index, [])))
    connections.close_all()
    load_started = time.perf_counter()
    if workers == 1:
        total = _seed_communes((0, shards[0], ctx))
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            total = sum(pool.map(_seed_communes, [(w, shards[w], ctx) for w in range(workers)]))
    load_s = time.perf_counter() - load_started
    log(f"  seed: COPY of {total} records with parties, processes, tasks in {load_s:.1f} s")

    index_started = time.perf_counter()
    with connection.cursor() as cur:
        # Two generated people may share name, birth date and mother: keep the first one's key only
        # (the unique index would refuse the second; the soft duplicate check is what finds those).
        cur.execute(
            """
            UPDATE registry_civilrecord SET identity_key = NULL WHERE id IN (
                SELECT id FROM (
                    SELECT id, row_number() OVER (PARTITION BY event_type, identity_key ORDER BY id) AS rn
                    FROM registry_civilrecord
                    WHERE identity_key IS NOT NULL AND state NOT IN ('rejected', 'duplicate')
                ) ranked WHERE rn > 1)
            """
        )
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in dropped:
            cur.execute(definition)
        for table, column in (
            ("registry_civilrecord", "id"),
            ("registry_registerbook", "id"),
            ("viewflow_process", "id"),
            ("workflows_recordprocess", "id"),
            ("workflows_recordtask", "id"),
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"
            )
    index_s = time.perf_counter() - index_started
    log(f"  seed: {len(dropped)} indexes rebuilt in {index_s:.1f} s")
    counters_started = time.perf_counter()
    counted = _progress_counters()
    log(f"  seed: progress counters rebuilt in {time.perf_counter() - counters_started:.1f} s {counted}")
    analyze()
    seconds = time.perf_counter() - started
    log(f"  seed: done in {seconds:.1f} s")
    return {"seed_s": round(seconds, 1), "seed_copy_s": round(load_s, 1), "seed_index_s": round(index_s, 1)}


def _progress_counters() -> dict[str, int]:
    """The reports' counters (issue 8) as the transition hooks would have kept them, rebuilt from
    the seeded records in one pass (`reports.services.progress_rebuild`)."""
    from django.db import transaction

    from reports.services import progress_rebuild

    with transaction.atomic():
        return progress_rebuild()


def analyze() -> None:
    """VACUUM ANALYZE the bulk tables (statistics, and the visibility map for index-only scans)."""
    conn = db.raw_connect(autocommit=True)
    try:
        with conn.cursor() as cur:
            for table in (*BULK_TABLES, "registry_registerbook", *COUNTER_TABLES):
                cur.execute(f"VACUUM ANALYZE {table}")
    finally:
        conn.close()


def seed_info() -> dict[str, Any]:
    """Counts of what is in the bench database (for the report)."""
    with connection.cursor() as cur:
        out = {}
        for key, table in (
            ("records_total", "registry_civilrecord"),
            ("parties_total", "registry_party"),
            ("books_total", "registry_registerbook"),
            ("vf_tasks_total", "viewflow_task"),
        ):
            cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            out[key] = int(cur.fetchone()[0])
    return out


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
