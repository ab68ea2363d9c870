"""Generated bad input on every URL of the project: no 5xx, nothing half-saved.

Every URL pattern of the project (the URLconf resolved; Django's admin left out) is called by
anonymous visitors and by logged-in users of several roles, with path parameters that are real ids
of objects or hostile values, GET parameters and POST bodies drawn by hypothesis from hostile
values: huge and negative numbers, full-width and Arabic-Indic digits, NUL, lone surrogates,
invalid UTF-8 bytes, very long strings, markup, and JSON of the wrong type for the JSON API. POST
bodies fill the field names the page itself shows (read from its form on a first GET).

It holds: no answer is a 5xx; after any 4xx the row counts of the main tables are unchanged.
Deterministic (derandomize) and bounded; it prints how many requests and endpoints it walked.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.models import ImportJob
from printing.models import ExtractIssue
from registry.models import CivilRecord, Party, RegisterBook
from scans.models import BookScan, ScanBatch, ScanFile
from tests import scan_samples as samples
from tests.factories import make_world
from workflows.models import RecordProcess

EXAMPLES_PER_ENDPOINT = 4
SKIPPED_PREFIXES = ("admin/",)  # Django's own admin: not this project's input handling

# --- hostile values -------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "-5",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999",
    str(2**31),
    str(2**63),
    "-" + str(2**63),
    "０３５２０４００１２３４",  # full-width digits
    "٣٥",  # Arabic-Indic digits
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ufffd",
    "\u202e\u2060",
    "x" * 10_000,
    "Nguyễn" * 500,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%",
    "null",
    "[]",
    "{}",
    "true",
    "31/02/2020",
    "00/00/0000",
    "2020-13-45",
]
# A multipart body is built by the test client, which cannot encode a lone surrogate.
MULTIPART_TEXT = [t for t in HOSTILE_TEXT if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)]
# Raw bytes that are not UTF-8 (sent percent-encoded in a query or form).
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"a\x80b"]

text_values = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=30),
)
raw_values = st.one_of(
    text_values.map(lambda t: t.encode("utf-8", "surrogatepass")), st.sampled_from(INVALID_UTF8)
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    text_values,
)
json_values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text_values, inner, max_size=3),
    max_leaves=6,
)
API_KEYS = [
    "unit_code",
    "unit_level",
    "era",
    "event_type",
    "year",
    "book_no",
    "declared_cases",
    "declared_pages",
    "condition",
    "note",
]
COMMON_FIELDS = [
    "unit", "book", "record", "page", "q", "query", "name", "state", "event_type", "year", "book_no",
    "entry_no", "reason", "original", "other", "decision", "version", "day", "format", "w", "next",
    "after", "count", "user", "text", "action", "fragment", "inline",
]  # fmt: skip


def _encode(pairs: list[tuple[str, bytes]]) -> str:
    return "&".join(
        f"{urllib.parse.quote(k.encode('utf-8', 'surrogatepass'))}={urllib.parse.quote_from_bytes(v)}"
        for k, v in pairs
    )


# --- the URLs --------------------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    route: str  # e.g. "records/<int:pk>/scan/"
    params: list[tuple[str, str]]  # (converter, name)


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> list[Endpoint]:
    """Every URL pattern, named with its namespace (the API's operations share names with pages)."""
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
            found.append(
                Endpoint(
                    namespace + (pattern.name or route),
                    route,
                    [(conv or "str", name) for conv, name in params],
                )
            )
    return found


def _fill(route: str, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        return values[match.group(2)]

    path = re.sub(r"<(?:(\w+):)?(\w+)>", one, route)
    return "/" + path.lstrip("^").rstrip("$")


# --- the walk ------------------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    endpoints: set[str] = field(default_factory=set)
    by_status: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    half_saved: list[str] = field(default_factory=list)


MAIN_TABLES: list[type[Model]] = [
    RegisterBook,
    CivilRecord,
    Party,
    ScanFile,
    BookScan,
    ScanBatch,
    ImportJob,
    ExtractIssue,
    RecordProcess,
]


def _counts() -> tuple[int, ...]:
    """Row counts of the main tables, in one query."""
    from django.db import connection

    tables = [model._meta.db_table for model in MAIN_TABLES]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables))  # noqa: S608
        return tuple(cursor.fetchone())


@pytest.fixture
def fuzz_world(db):
    world = make_world()
    records = [world.record(state) for state in ("collected", "scanned", "entered", "attached", "approved")]
    book = world.book(cases=3)
    from scans import book_split

    upload = samples.book_pdf(2)
    book_scan = book_split.book_scan_upload(book=book, actor=world.clerk, upload=_named(upload, "book.pdf"))
    ids = sorted(
        {r.pk for r in records}
        | {r.book_id for r in records}
        | {book.pk, book_scan.pk, world.commune_a.pk, world.province.pk}
        | set(ScanFile.objects.values_list("pk", flat=True)[:3])
        | set(RecordProcess.objects.values_list("pk", flat=True)[:3])
        | set(world.clerk.__class__.objects.values_list("pk", flat=True)[:2])
        | {1, 2}
    )
    return world, ids


def _named(content: bytes, name: str):
    import io

    handle = io.BytesIO(content)
    handle.name = name
    return handle


_INPUT = re.compile(rb"<input\b[^>]*>", re.S)
_SELECT = re.compile(rb'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
_TEXTAREA = re.compile(rb'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', re.S)
_ATTR = re.compile(rb'\b(name|value|type)="([^"]*)"')


def _form_defaults(response) -> dict[str, str]:
    """The fields of the page's forms with the values the page fills in (a plausible valid post)."""
    if response.status_code != 200 or response.streaming:
        return {}
    body = response.content[:300_000]
    found: dict[str, str] = {}
    for tag in _INPUT.findall(body):
        attrs = {k.decode(): html.unescape(v.decode()) for k, v in _ATTR.findall(tag)}
        if attrs.get("name") and attrs.get("type") not in ("submit", "file", "button"):
            found.setdefault(attrs["name"], attrs.get("value", ""))
    for name, options in _SELECT.findall(body):
        values = [v for v in re.findall(rb'<option[^>]*value="([^"]*)"', options) if v]
        found.setdefault(name.decode(), html.unescape(values[0].decode()) if values else "")
    for name, text in _TEXTAREA.findall(body):
        found.setdefault(name.decode(), html.unescape(text.decode()))
    found.pop("csrfmiddlewaretoken", None)
    return found


def test_no_input_on_any_endpoint_gives_a_5xx_or_half_saves(fuzz_world, capsys):
    world, ids = fuzz_world
    # A route listed twice (accounts' login before django.contrib.auth's) is reached only as the first.
    first_of: dict[str, Endpoint] = {}
    for endpoint in _walk(get_resolver().url_patterns):
        first_of.setdefault(endpoint.route, endpoint)
    endpoints = list(first_of.values())
    actors = [None, world.clerk, world.reviewer, world.approver, world.admin, world.counter, world.auditor]
    client = Client(raise_request_exception=False)
    tally = Tally()
    fields_of: dict[str, list[str]] = {}
    defaults_of: dict[str, dict[str, str]] = {}
    id_values = st.sampled_from([str(i) for i in ids])
    hostile_ints = st.sampled_from(["0", "99999999999999999999", str(2**31), str(2**63 - 1), "00001"])
    hostile_strs = st.sampled_from(["%00", "x" * 300, "%ED%A0%80", "%FF", "pdf", "xlsx", "json", "０１"])

    logged_in: list[Any] = [None]

    def request(endpoint: Endpoint, actor: Any, method: str, path: str, build: Any) -> Any:
        if actor is None:
            client.logout()
        elif logged_in[0] != actor or not client.session.get("_auth_user_id"):
            client.force_login(actor)
        logged_in[0] = actor
        before = _counts()
        response = build(path)
        status = response.status_code
        if response.streaming:
            # Read to the end: the test client's wrapper then closes it without closing the
            # test's database connection (close() alone would send request_finished).
            for _chunk in response.streaming_content:
                pass
        tally.requests += 1
        tally.endpoints.add(endpoint.name)
        tally.by_status[status] = tally.by_status.get(status, 0) + 1
        if status >= 500:
            exc = getattr(response, "exc_info", None)
            detail = repr(exc[1])[:300] if exc else response.content[:200]
            tally.failures.append(f"{method} {path[:120]} as {actor}: {status} {detail}")
        elif 400 <= status < 500 and _counts() != before:
            tally.half_saved.append(f"{method} {path[:120]} as {actor}: {status} {before} -> {_counts()}")
        return response

    def walk_of(endpoint: Endpoint):
        @settings(
            max_examples=EXAMPLES_PER_ENDPOINT,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def walk(data) -> None:
            actor = data.draw(st.sampled_from(actors), label="actor")
            values = {
                name: data.draw(
                    id_values | hostile_ints if conv in ("int", "path") else hostile_strs | id_values,
                    label=name,
                )
                for conv, name in endpoint.params
            }
            path = _fill(endpoint.route, values)
            query = data.draw(
                st.lists(st.tuples(st.sampled_from(COMMON_FIELDS), raw_values), max_size=4), label="query"
            )
            request(endpoint, actor, "GET", path, lambda p: client.get(p, QUERY_STRING=_encode(query)))
            names = fields_of.get(endpoint.name) or COMMON_FIELDS
            kind = data.draw(st.sampled_from(["form", "form", "multipart", "json"]), label="kind")
            if kind == "json":
                if data.draw(st.booleans(), label="object"):
                    payload: Any = data.draw(
                        st.dictionaries(st.sampled_from(API_KEYS + names), json_values, max_size=6),
                        label="json",
                    )
                else:
                    payload = data.draw(json_values, label="json")
                body = json.dumps(payload).encode()
                if data.draw(st.booleans(), label="broken"):
                    body = body[: len(body) // 2] + b"\xff"
                request(
                    endpoint,
                    actor,
                    "POST",
                    path,
                    lambda p: client.post(p, body, content_type="application/json"),
                )
            elif kind == "multipart":
                form = data.draw(
                    st.dictionaries(
                        st.sampled_from(names),
                        st.sampled_from(MULTIPART_TEXT),
                        max_size=8,
                    ),
                    label="multipart",
                )
                if data.draw(st.booleans(), label="with file"):
                    form["file"] = _named(
                        data.draw(st.sampled_from([b"%PDF-1.7\n", b"\x00" * 100, b"MZ"])), "x.pdf"
                    )
                request(endpoint, actor, "POST", path, lambda p: client.post(p, form))
            else:
                # The page's own form as it comes, with a few fields made hostile (or random fields).
                hostile = data.draw(
                    st.lists(st.tuples(st.sampled_from(names), raw_values), max_size=4), label="form"
                )
                base = defaults_of.get(endpoint.name, {}) if data.draw(st.booleans(), label="base") else {}
                changed = {name for name, _value in hostile}
                pairs = [(k, v.encode()) for k, v in base.items() if k not in changed] + hostile
                request(
                    endpoint,
                    actor,
                    "POST",
                    path,
                    lambda p: client.post(
                        p, _encode(pairs), content_type="application/x-www-form-urlencoded"
                    ),
                )

        return walk

    for endpoint in endpoints:
        # The page's own field names, read once from its form as a user who may see it; the
        # examples then draw from a fixed list (hypothesis needs the same strategies every run).
        first = _fill(endpoint.route, {name: str(ids[0]) for _conv, name in endpoint.params})
        page = request(endpoint, world.admin, "GET", first, client.get)
        defaults_of[endpoint.name] = _form_defaults(page)
        fields_of[endpoint.name] = sorted(defaults_of[endpoint.name])
        walk_of(endpoint)()

    with capsys.disabled():
        print(
            f"\nfuzz: {tally.requests} requests over {len(tally.endpoints)} endpoints "
            f"(of {len(endpoints)} URL patterns); statuses {dict(sorted(tally.by_status.items()))}; "
            f"5xx: {len(tally.failures)}; half-saved: {len(tally.half_saved)}"
        )
    assert not tally.failures, "\n".join(tally.failures[:40])
    assert not tally.half_saved, "\n".join(tally.half_saved[:40])
    assert len(tally.endpoints) == len(endpoints)
