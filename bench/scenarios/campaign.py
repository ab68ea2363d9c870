"""Campaign simulation (issue 20 item 5): hundreds of staff of one province at work on the real stack.

The harness starts the stack on 127.0.0.1 as production starts it — the web tier through
`scripts/serve.sh all` (as `make run` serves it: gunicorn page workers, the uvicorn WebSocket
process, the front joining them on one port), the job worker (`db_worker`), the transfer worker
with the reference national receiver, Redis when one answers at REDIS_URL — on
the bench database, then runs locust headless (bench/campaign/locustfile.py) with
`--campaign-users` simulated staff for `--campaign-duration` seconds. Each has an account of its
own (made here once, idempotently: clerks, reviewers and approvers of the seeded communes, counter
clerks and the province admin) and a session made with Django's session store (the pages are
measured, not the password and second-factor login).

Reported (bench/results/campaign.json and the run's JSON): p50/p95/p99 and failures per request
kind with pass/fail against the targets (reads p95 ≤ 300 ms, writes ≤ 600 ms), records per state
and the stage transitions done during the run, CPU seconds and peak RSS per process kind, and
the end checks:
- lost work: after every simulated person stopped, every record they touched is consistent — an
  open process has exactly one open work item (in a queue, or held under a claim), of the stage its
  state calls for, and a closed one has none: no case left half-way between two stages or without
  its next step. Each person releases what it holds when it stops; what is still held (a release
  that failed, a person stopped mid-action) is reported as `held_after_stop`: a claim, valid until it
  expires and the queue's sweep puts the item back, not lost work;
- `verify_audit`: the audit chains verify (audit.verification.verify_chains);
- outbox: after a drain wait, no transfer item of the run is pending, and the receiver stored each
  acknowledged idempotency key exactly once (its deliveries may repeat a key: a resend is allowed,
  a second stored record is not).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.stats import percentile

NAME = "campaign"
ONLY_WHEN_NAMED = True  # a whole stack for minutes: not part of `make bench`'s pass, run with --only campaign
KEYS = [
    "campaign_requests",
    "campaign_errors",
    "campaign_lost_work",
    "campaign_audit_clean",
    "campaign_outbox_ok",
]
ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "bench" / "campaign" / "locustfile.py"
RESULT = ROOT / "bench" / "results" / "campaign.json"
READ_P95_MS, WRITE_P95_MS = 300, 600
WRITES = {
    "claim",
    "scan_upload",
    "scan_upload_record",
    "entry_save",
    "attach",
    "review_pass",
    "review_return",
    "approve",
    "approve_return",
    "extract_print",
    "release",
}
PREFIXES = ["nguyen van", "tran thi", "le van h", "pham thi l", "hoang van", "vu thi", "do van", "bui thi"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
TEMPLATE_YEAR = 2020
CAMPAIGN_PREFIX = "campaign."
# A simulated person closes its connection after a pause longer than this, as a browser would not
# reuse one the server may be closing; the page workers hold idle ones longer (config/serve.py).
IDLE_CLOSE_S = 4.0
# Seconds after the ramp before the steady part of the run begins (bench/README.md, "Campaign").
SETTLE_S = 60.0

# Seconds (uniform between the two) a person spends before each kind of action, at the pace of a
# desk: keying a case of 20–40 fields from the book, comparing each field with the scan, placing a
# page on the scanner, hearing a citizen out at the counter. "between": after a case, before the
# Queue page again; "open": following the app to the next case. With it 300 staff ask ~15 requests a
# second, a campaign's day: 171 clerks at ~100 cases each. `--campaign-pacing uniform` uses one range
# (`--campaign-think`, default 5–15 s) for every action: about twice the load, a stress run.
DESK_PACING: dict[str, tuple[float, float]] = {
    "between": (5, 20),
    "open": (2, 5),
    "scan": (20, 40),
    "entry": (60, 150),
    "attach": (5, 15),
    "review": (30, 90),
    "approve": (15, 45),
    "counter_search": (10, 20),
    "counter_print": (20, 60),
    "dashboard": (30, 90),
}


def pacing(kind: str, think: tuple[float, ...]) -> dict[str, list[float]]:
    """The pauses before each action: the desk's (`desk`), or `think` before every one (`uniform`)."""
    if kind == "desk":
        return {action: list(pause) for action, pause in DESK_PACING.items()}
    return {action: [think[0], think[-1]] for action in DESK_PACING}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- accounts and payloads ---------------------------------------------------------------------


def role_counts(users: int) -> dict[str, int]:
    """How `users` people split by role: most are clerks; one province admin per 100 (at least 1)."""
    admin = max(1, users // 100)
    counter = max(1, users * 15 // 100)
    reviewer = max(1, users * 15 // 100)
    approver = max(1, users * 12 // 100)
    clerk = max(1, users - admin - counter - reviewer - approver)
    return {"clerk": clerk, "reviewer": reviewer, "approver": approver, "counter": counter, "admin": admin}


def accounts(bench, counts: dict[str, int]) -> dict[str, list[dict[str, str]]]:
    """One account per simulated person (made once, reused), with a fresh session each."""
    from django.contrib.auth import get_user_model

    from bench.scenarios.http_inbox import session_cookie
    from permissions.roles import Role
    from permissions.services import role_grant

    communes = bench.communes()
    province = bench.province
    user_model = get_user_model()
    role = {
        "clerk": Role.CLERK,
        "reviewer": Role.REVIEWER,
        "approver": Role.APPROVER,
        "counter": Role.COUNTER_CLERK,
        "admin": Role.PROVINCE_ADMIN,
    }
    out: dict[str, list[dict[str, str]]] = {}
    for kind, n in counts.items():
        rows = []
        for i in range(n):
            username = f"{CAMPAIGN_PREFIX}{kind}.{i:03d}"
            unit = province if kind in ("counter", "admin") else communes[i % len(communes)]
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"first_name": username}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                role_grant(user=user, unit=unit, role=role[kind])
            cookie = session_cookie(user)
            rows.append({"username": username, "session": cookie.split("=", 1)[1]})
        out[kind] = rows
    return out


def entry_templates() -> dict[str, dict[str, Any]]:
    """Per event type: the entry form's fields for a valid case (tests.factories.event_input),
    and the field of the main person's name."""
    from forms.entry import RecordForm
    from registry.models import EventType
    from tests.factories import MAIN_ROLE, event_input

    out = {}
    for event_type in EventType.values:
        data = event_input(event_type, reg=f"10/03/{TEMPLATE_YEAR}")
        fields = {k: ("" if v is None else str(v)) for k, v in RecordForm.initial_from(data).items()}
        out[event_type] = {"fields": fields, "main": f"{MAIN_ROLE[event_type]}__full_name"}
    return out


def release_leftovers() -> int:
    """Items a campaign account still holds from an earlier run (stopped before it released them)
    go back to their queue through the service, as their holder would put them back."""
    from workflows.claims import ClaimRefused, task_release
    from workflows.models import RecordTask

    released = 0
    held = RecordTask.objects.filter(status="ASSIGNED", owner__username__startswith=CAMPAIGN_PREFIX)
    for task in held.select_related("owner"):
        try:
            task_release(task=task, actor=task.owner)
            released += 1
        except ClaimRefused:
            continue
    return released


# --- the stack ---------------------------------------------------------------------------------


class Stack:
    """The processes production runs, started on loopback with the bench settings."""

    def __init__(self, *, database: str, workdir: Path, redis_url: str, cores: int):
        self.port = free_port()
        self.receiver_port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.receiver_db = workdir / "receiver.sqlite3"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_DATABASE": database,
            "NATIONAL_DB_URL": f"http://127.0.0.1:{self.receiver_port}",
            "PYTHON": sys.executable,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            # The inner ports too (else PORT+1 and PORT+2, which another program may hold: a run
            # failed on "Address already in use").
            "WEB_PORT": str(free_port()),
            "WS_PORT": str(free_port()),
            "PYTHONUNBUFFERED": "1",
        }
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        else:
            self.env.pop("REDIS_URL", None)
        self.logdir = workdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        py = sys.executable
        self._start(
            "receiver",
            [
                py,
                "manage.py",
                "reference_receiver",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.receiver_port),
                "--db",
                str(self.receiver_db),
            ],
        )
        self._start("jobs", [py, "manage.py", "db_worker"])
        self._start("transfer", [py, "manage.py", "transfer_worker"])
        self._start("web", ["scripts/serve.sh", "all"])

    def _start(self, name: str, argv: list[str]) -> None:
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}: {self.log_tail(name)}")
            try:
                with urllib.request.urlopen(f"{self.base}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the web did not answer on {self.base} within {timeout:.0f} s")

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def processes(self) -> dict[int, str]:
        """pid -> kind: web and ws (the web script's tree: gunicorn is web; uvicorn beside a gunicorn
        is the WebSocket process, alone it serves both), jobs, transfer, receiver."""
        import psutil

        found: dict[int, str] = {}
        for name, proc in self.procs.items():
            try:
                root = psutil.Process(proc.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            lines = {}
            for p in tree:
                try:
                    lines[p.pid] = " ".join(p.cmdline())
                except psutil.Error:
                    continue
            has_gunicorn = any("gunicorn" in c for c in lines.values())
            for pid, cmd in lines.items():
                if "resource_tracker" in cmd or cmd.startswith(("/bin/sh", "sh ", "bash ", "/bin/bash")):
                    continue
                kind = name
                if name == "web" and has_gunicorn and "uvicorn" in cmd:
                    kind = "ws"
                found[pid] = kind
        return found

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class ProcessSampler(threading.Thread):
    """CPU seconds and peak RSS per process kind, sampled each second (the stack's processes and the
    PostgreSQL backends of the bench database: short-lived backends count up to their last sample)."""

    def __init__(self, stack: Stack, database: str, interval: float = 1.0):
        super().__init__(daemon=True)
        self.stack, self.database, self.interval = stack, database, interval
        self.cpu: dict[int, tuple[str, float]] = {}
        self.first_cpu: dict[int, float] = {}
        self.rss_peak: dict[str, int] = defaultdict(int)
        self.procs: dict[str, set[int]] = defaultdict(set)
        self.alive_peak: dict[str, int] = defaultdict(int)
        self.extra: dict[int, str] = {}
        self.stopping = threading.Event()
        self.started = self.ended = 0.0

    def pids(self) -> dict[int, str]:
        import psutil

        found = {**self.stack.processes(), **self.extra}
        for p in psutil.process_iter(["pid", "name", "cmdline"]):
            cmd = " ".join(p.info["cmdline"] or [])
            if cmd.startswith("postgres: ") and f" {self.database} " in f"{cmd} ":
                found[p.info["pid"]] = "postgres"
        return found

    def sample(self) -> None:
        import psutil

        rss_now: dict[str, int] = defaultdict(int)
        alive: dict[str, int] = defaultdict(int)
        first = not self.first_cpu
        for pid, kind in self.pids().items():
            try:
                proc = psutil.Process(pid)
                times = proc.cpu_times()
                # A backend's RSS counts the shared buffers it touched: its own memory is the USS.
                rss = proc.memory_full_info().uss if kind == "postgres" else proc.memory_info().rss
            except psutil.Error:
                continue
            used = times.user + times.system
            # What ran before the first sample is start-up; a process born later counts from zero.
            self.first_cpu.setdefault(pid, used if first else 0.0)
            self.cpu[pid] = (kind, used)
            self.procs[kind].add(pid)
            rss_now[kind] += rss
            alive[kind] += 1
        for kind, rss in rss_now.items():
            self.rss_peak[kind] = max(self.rss_peak[kind], rss)
            self.alive_peak[kind] = max(self.alive_peak[kind], alive[kind])

    def run(self) -> None:
        self.started = time.monotonic()
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.interval)
        self.ended = time.monotonic()

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def summary(self) -> dict[str, dict[str, float]]:
        wall = max(1e-9, self.ended - self.started)
        cpu: dict[str, float] = defaultdict(float)
        for pid, (kind, used) in self.cpu.items():
            cpu[kind] += used - self.first_cpu.get(pid, used)
        return {
            kind: {
                "cpu_s": round(cpu[kind], 1),
                "cpu_pct": round(100 * cpu[kind] / wall, 1),
                "rss_peak_mb": round(self.rss_peak[kind] / 2**20, 1),
                "processes": len(self.procs[kind]),
                "alive_peak": self.alive_peak[kind],
            }
            for kind in sorted(self.procs)
        }


# --- database figures --------------------------------------------------------------------------


def states(province_path: str) -> dict[str, int]:
    from django.db.models import Count

    from registry.models import CivilRecord

    rows = (
        CivilRecord.objects.filter(unit__path__startswith=province_path)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["state"]: r["n"] for r in rows}


def transitions_since(started: dt.datetime) -> dict[str, int]:
    """Work items the simulated staff finished, by stage (the throughput of cases through the stages).
    By owner, not by time alone: the seed dates some finished approvals in the future."""
    from django.db.models import Count

    from workflows.models import RecordTask

    rows = (
        RecordTask.objects.filter(
            finished__gte=started, status="DONE", owner__username__startswith=CAMPAIGN_PREFIX
        )
        .exclude(stage="")
        .values("stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["stage"]: r["n"] for r in rows}


def lost_work(started: dt.datetime, ended: dt.datetime) -> dict[str, Any]:
    """The end check of claimed work, over the records the simulated staff touched: a work item of
    theirs (claimed, done or released) or one created during the run."""
    from django.db import connection

    from workflows.flows import STATE_STAGE

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT count(*) FROM workflows_recordtask t JOIN auth_user u ON u.id = t.owner_id
            WHERE t.status = 'ASSIGNED' AND u.username LIKE %s AND t.assigned >= %s
            """,
            [CAMPAIGN_PREFIX + "%", started],
        )
        held = cur.fetchone()[0]
        cur.execute(
            """
            WITH touched AS (
                SELECT DISTINCT t.record_id FROM workflows_recordtask t
                LEFT JOIN auth_user u ON u.id = t.owner_id
                WHERE t.record_id IS NOT NULL
                  AND (u.username LIKE %s OR t.created BETWEEN %s AND %s)
            )
            SELECT r.id, r.state,
                   (SELECT count(*) FROM workflows_recordprocess p
                    WHERE p.record_id = r.id AND p.status = 'NEW') AS open_processes,
                   coalesce(array_agg(t.stage) FILTER (WHERE t.status IN ('NEW', 'ASSIGNED')
                                                     AND t.stage <> ''), '{}') AS open_stages
            FROM touched JOIN registry_civilrecord r ON r.id = touched.record_id
            LEFT JOIN workflows_recordtask t ON t.record_id = r.id
            GROUP BY r.id, r.state
            """,
            [CAMPAIGN_PREFIX + "%", started, ended],
        )
        rows = cur.fetchall()
    problems: list[str] = []
    for rid, state, open_processes, open_stages in rows:
        want = STATE_STAGE.get(state)
        if open_processes and len(open_stages) != 1:
            problems.append(f"record {rid} ({state}): {len(open_stages)} open work items")
        elif open_processes and want and open_stages[0] != want:
            problems.append(f"record {rid} ({state}): open item of stage {open_stages[0]}, not {want}")
        elif not open_processes and open_stages:
            problems.append(f"record {rid} ({state}): open items {open_stages} without an open process")
        elif not open_processes and want:
            problems.append(f"record {rid} ({state}): no open process for stage {want}")
    return {"held_after_stop": held, "touched_records": len(rows), "problems": problems}


def audit_clean() -> tuple[bool, list[str]]:
    from audit.anchors import anchor_path, read_anchors
    from audit.verification import anchor_key_problems, verify_chains

    anchors, problems = read_anchors(anchor_path())
    problems += anchor_key_problems(anchors)
    breaks = [str(b) for b in verify_chains(anchors=anchors)]
    return not breaks and not problems, [*breaks, *problems][:10]


def outbox(
    first_id: int, receiver_db: Path, drain_s: float, pending_before: list[int] | None = None
) -> dict[str, Any]:
    """Wait for the run's transfer items to leave "pending"; then compare with the receiver.

    The run's items are those made during it and those an earlier run left pending (sent in this one,
    to this run's receiver)."""
    from django.db.models import Q

    from transfer.models import TransferItem

    items = TransferItem.objects.filter(Q(id__gt=first_id) | Q(id__in=pending_before or []))
    deadline = time.monotonic() + drain_s
    while items.filter(status="pending").exists() and time.monotonic() < deadline:
        time.sleep(1)
    by_status: dict[str, int] = defaultdict(int)
    acknowledged = set()
    for key, status in items.values_list("idempotency_key", "status"):
        by_status[status] += 1
        if status == "acknowledged":
            acknowledged.add(key)
    stored: dict[str, int] = defaultdict(int)
    deliveries: dict[str, int] = defaultdict(int)
    if receiver_db.exists():
        with sqlite3.connect(receiver_db) as db:
            for (key,) in db.execute("SELECT key FROM records"):
                stored[key] += 1
            for (key,) in db.execute("SELECT key FROM deliveries"):
                deliveries[key] += 1
    missing = sorted(acknowledged - set(stored))
    duplicates = sorted(k for k, n in stored.items() if n > 1)
    unknown = sorted(set(stored) - {k for k, _s in items.values_list("idempotency_key", "status")})
    return {
        "items": sum(by_status.values()),
        "pending_from_earlier_runs": len(pending_before or []),
        "by_status": dict(by_status),
        "pending_after_drain": by_status.get("pending", 0),
        "receiver_stored": len(stored),
        "receiver_deliveries": sum(deliveries.values()),
        "resent_keys": sum(1 for n in deliveries.values() if n > 1),
        "acknowledged_not_stored": missing[:10],
        "stored_twice": duplicates[:10],
        "stored_not_in_outbox": unknown[:10],
        "ok": not by_status.get("pending") and not missing and not duplicates and not unknown,
    }


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Detected|Exit)\w*: .*$", re.M)


def exceptions_in(log: str) -> dict[str, int]:
    """The web log's exceptions, by their last line (the lead reads the tracebacks in the log)."""
    counts: dict[str, int] = defaultdict(int)
    for line in EXCEPTION_LINE.findall(log):
        counts[line[:200]] += 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:20])


def redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


# --- the run -----------------------------------------------------------------------------------


def latency_table(
    measured: dict[str, Any], window: tuple[float, float] | None = None
) -> dict[str, dict[str, Any]]:
    """Per request kind: count, errors, percentiles, pass against its target; with `window`
    (start, end: seconds since the epoch), only the requests sent within it (errors and refusals
    are counted over the whole run either way: they are not timed)."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind, times in sorted(measured["times_ms"].items()):
        if window is not None:
            sent = measured.get("started_at", {}).get(kind, [])
            times = [ms for ms, at in zip(times, sent, strict=False) if window[0] <= at < window[1]]
        if not times:
            continue
        limit = WRITE_P95_MS if kind in WRITES else READ_P95_MS
        p95 = percentile(times, 95)
        kinds[kind] = {
            "requests": len(times),
            "errors": measured["failures"].get(kind, 0),
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(p95, 1),
            "p99_ms": round(percentile(times, 99), 1),
            "max_ms": round(max(times), 1),
            "write": kind in WRITES,
            "target_p95_ms": limit,
            "pass": p95 <= limit,
        }
        if window is not None:
            continue
        if measured["messages"].get(kind):
            kinds[kind]["error_messages"] = measured["messages"][kind]
        kinds[kind]["refusals"] = measured.get("refused", {}).get(kind, 0)
        if measured.get("refusals", {}).get(kind):
            kinds[kind]["refusal_messages"] = measured["refusals"][kind]
    return kinds


def timeline(measured: dict[str, Any], origin: float, step: float = 30.0) -> list[dict[str, Any]]:
    """The run in slices of `step` seconds from `origin`: requests sent in each, their p50/p95/max
    over every kind, and the kind of the slowest (where the tails are, and what they come with)."""
    slices: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for kind, times in measured["times_ms"].items():
        for ms, at in zip(times, measured.get("started_at", {}).get(kind, []), strict=False):
            slices[int((at - origin) // step)].append((ms, kind))
    rows = []
    for n in sorted(slices):
        got = slices[n]
        times = [ms for ms, _kind in got]
        rows.append({
            "from_s": round(n * step),
            "requests": len(got),
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1),
            "slowest": max(got)[1],
        })  # fmt: skip
    return rows


def run(bench) -> dict:
    from django.db import connections
    from django.db.models import Max
    from django.utils import timezone

    from config.demo import demo_scan_pdf
    from transfer.models import TransferItem

    users = bench.campaign_users
    duration = bench.campaign_duration
    counts = role_counts(users)
    workdir = Path(tempfile.mkdtemp(prefix="campaign-"))
    province_path = bench.province.path
    bench.log(f"  {users} simulated staff {counts}, {duration:.0f} s; logs in {workdir}")
    data = {
        "accounts": accounts(bench, counts),
        "session_cookie": __import__("django.conf").conf.settings.SESSION_COOKIE_NAME,
        "templates": entry_templates(),
        "template_year": TEMPLATE_YEAR,
        "family": FAMILY,
        "tag": "Campaign",
        "prefixes": PREFIXES,
        "pacing": pacing(bench.campaign_pacing, bench.campaign_think),
        "return_share": 0.1,
        "idle_close_s": IDLE_CLOSE_S,
        "scan_path": str(workdir / "scan.pdf"),
    }
    (workdir / "scan.pdf").write_bytes(
        demo_scan_pdf(title="Bench campaign", lines=["Giấy khai sinh", "Bản quét thử nghiệm"])
    )
    leftovers = release_leftovers()
    before = states(province_path)
    first_item = TransferItem.objects.aggregate(m=Max("id"))["m"] or 0
    # Items an earlier run left pending (its stack stopped before they were sent) go out in this one.
    pending_before = list(TransferItem.objects.filter(status="pending").values_list("id", flat=True))
    redis_url = bench.redis_url if redis_reachable(bench.redis_url) else ""
    connections.close_all()

    stack = Stack(database=bench.database, workdir=workdir, redis_url=redis_url, cores=bench.cores)
    sampler = ProcessSampler(stack, bench.database)
    started = timezone.now()
    try:
        stack.start()
        stack.wait_ready()
        sampler.start()
        ramp = min(30.0, max(5.0, duration / 5))
        locust_started = time.time()
        data["end_at"] = locust_started + duration
        data_path, out_path = workdir / "data.json", workdir / "measured.json"
        data_path.write_text(json.dumps(data, ensure_ascii=False))
        locust = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                stack.base,
                "-u",
                str(users),
                "-r",
                f"{users / ramp:.2f}",
                "-t",
                f"{int(duration + 120)}s",
                "--stop-timeout",
                "60",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**os.environ, "CAMPAIGN_DATA": str(data_path), "CAMPAIGN_OUT": str(out_path)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler.extra[locust.pid] = "locust (load generator)"  # on the same cores: its share counts
        stdout, stderr = locust.communicate()
        (workdir / "locust.log").write_text(stdout + stderr)
        sampler.stop()
        if not out_path.exists():
            raise RuntimeError(f"locust wrote nothing (exit {locust.returncode}): {stderr[-2000:]}")
        measured = json.loads(out_path.read_text())
        transfer = outbox(first_item, stack.receiver_db, drain_s=60, pending_before=pending_before)
        server_errors = stack.log_tail("web", 50_000_000)
    finally:
        if sampler.is_alive():
            sampler.stop()
        stack.stop()
    ended = timezone.now()
    after = states(province_path)
    kinds = latency_table(measured)
    # The steady part: from the end of the ramp (everyone started, their first claims made) plus a
    # minute, to the end of the shift (before the releases of everyone stopping at once).
    steady_window = (locust_started + ramp + SETTLE_S, data["end_at"])
    steady = latency_table(measured, steady_window)
    lost = lost_work(started, ended)
    clean, audit_problems = audit_clean()
    errors = sum(k["errors"] for k in kinds.values())
    report = {
        "records": bench.records,
        "date": started.isoformat(timespec="seconds"),
        "commit": bench.results.get("commit"),
        "cores": bench.cores,
        "users": users,
        "roles": counts,
        "duration_s": duration,
        "wall_s": round((ended - started).total_seconds(), 1),
        "pacing": bench.campaign_pacing,
        "pause_s": pacing(bench.campaign_pacing, bench.campaign_think),
        "redis": redis_url or "not reachable: channels and cache in process memory",
        "web_server": "scripts/serve.sh all",
        "released_from_earlier_runs": leftovers,
        "requests": sum(k["requests"] for k in kinds.values()),
        "req_per_s": round(sum(k["requests"] for k in kinds.values()) / max(1.0, duration), 1),
        "errors": errors,
        "refusals": sum(k["refusals"] for k in kinds.values()),
        "kinds": kinds,
        "all_pass": all(k["pass"] for k in kinds.values()) and errors == 0,
        "steady": {
            "from_s": round(steady_window[0] - locust_started, 1),
            "to_s": round(steady_window[1] - locust_started, 1),
            "requests": sum(k["requests"] for k in steady.values()),
            "kinds": steady,
            "all_pass": all(k["pass"] for k in steady.values()) and errors == 0,
        },
        "timeline": timeline(measured, locust_started),
        "states_before": before,
        "states_after": after,
        "states_delta": {s: after.get(s, 0) - before.get(s, 0) for s in sorted(set(before) | set(after))},
        "stages_done": transitions_since(started),
        "processes": sampler.summary(),
        "processes_note": (
            "CPU seconds used during the run (process CPU time, sampled each second: a PostgreSQL "
            "backend that lived less than a second is missed); peak memory is the sum of RSS of the "
            "kind's processes at one sample, USS (own memory, without shared buffers) for PostgreSQL"
        ),
        "lost_work": {**lost, "problems": lost["problems"][:20], "count": len(lost["problems"])},
        "audit_clean": clean,
        "audit_problems": audit_problems,
        "outbox": transfer,
        "server_tracebacks": server_errors.count("Traceback"),
        "server_errors": exceptions_in(server_errors),
        "loadavg": round(os.getloadavg()[0], 2),
    }
    if report["server_tracebacks"]:
        first = server_errors.find("Traceback")
        report["server_first_traceback"] = server_errors[max(0, first - 200) : first + 6000]
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    out = bench.campaign_output or RESULT
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for line in table_lines(report):
        bench.log(line)
    return {
        "campaign_requests": report["requests"],
        "campaign_req_per_s": report["req_per_s"],
        "campaign_errors": errors,
        "campaign_refusals": report["refusals"],
        "campaign_lost_work": report["lost_work"]["count"],
        "campaign_audit_clean": clean,
        "campaign_outbox_ok": transfer["ok"],
        "campaign_all_pass": report["all_pass"],
        "campaign_report": str(out),
    }


def table_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"Campaign: {report['users']} staff ({report.get('pacing', 'uniform')} pacing), "
        f"{report['duration_s']:.0f} s, {report['records']:,} records, "
        f"{report['requests']:,} requests ({report['req_per_s']} req/s), {report['errors']} errors, "
        f"{report['refusals']} refusals",
        "",
        "| Kind | Requests | Errors | Refused | p50 ms | p95 ms | p99 ms | Target p95 | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, k in report["kinds"].items():
        lines.append(
            f"| {kind} | {k['requests']:,} | {k['errors']} | {k['refusals']} | {k['p50_ms']:,.0f} "
            f"| {k['p95_ms']:,.0f} | {k['p99_ms']:,.0f} | ≤ {k['target_p95_ms']} "
            f"| {'ok' if k['pass'] else 'MISSED'} |"
        )
    steady = report.get("steady")
    if steady:
        lines += [
            "",
            f"Steady part ({steady['from_s']:.0f}–{steady['to_s']:.0f} s of the run, "
            f"{steady['requests']:,} requests):",
            "",
            "| Kind | Requests | p50 ms | p95 ms | p99 ms | Target p95 | |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for kind, k in steady["kinds"].items():
            lines.append(
                f"| {kind} | {k['requests']:,} | {k['p50_ms']:,.0f} | {k['p95_ms']:,.0f} "
                f"| {k['p99_ms']:,.0f} | ≤ {k['target_p95_ms']} | {'ok' if k['pass'] else 'MISSED'} |"
            )
    if report.get("timeline"):
        lines += ["", "| From s | Requests | p50 ms | p95 ms | max ms | Slowest |"]
        lines += ["|---:|---:|---:|---:|---:|---|"]
        lines += [
            f"| {r['from_s']} | {r['requests']} | {r['p50_ms']:,.0f} | {r['p95_ms']:,.0f} "
            f"| {r['max_ms']:,.0f} | {r['slowest']} |"
            for r in report["timeline"]
        ]
    lines += [
        "",
        "| Process | CPU s | CPU % | Peak memory MB | Processes (at once) |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, p in report["processes"].items():
        lines.append(
            f"| {kind} | {p['cpu_s']} | {p['cpu_pct']} | {p['rss_peak_mb']} "
            f"| {p['processes']} ({p['alive_peak']}) |"
        )
    lost = report["lost_work"]
    box = report["outbox"]
    lines += [
        "",
        f"Stages done: {report['stages_done']}",
        f"States delta: { {k: v for k, v in report['states_delta'].items() if v} }",
        f"Lost work: {lost['count']} inconsistent of {lost['touched_records']} touched records "
        f"(still held under a claim after stop: {lost['held_after_stop']})",
        f"Server exceptions: {report['server_errors'] or 'none'}",
        f"Audit clean: {report['audit_clean']}",
        f"Outbox: {box['items']} items {box['by_status']}, receiver stored {box['receiver_stored']} "
        f"({box['receiver_deliveries']} deliveries), exactly once: {box['ok']}",
    ]
    return lines
