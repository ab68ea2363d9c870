"""The campaign's simulated staff, for locust (`bench/scenarios/campaign.py` runs it headless).

Plain HTTP against the running stack, as a browser would do it: no Django, no database. What the
harness prepared comes from the JSON file named by CAMPAIGN_DATA (accounts with their session
keys, entry payloads per event type, the scan to upload, search prefixes, the pacing); what was
measured goes to CAMPAIGN_OUT when locust quits (every response time per request kind, and the
failures with their first message).

Each simulated person has an account of their own (locust's `fixed_count` per role):
- clerks, reviewers, approvers: open the Queue page, "claim next", open their work, do the stage
  (scan upload, data entry, attach; pass or return with a reason; approve or return) and follow
  the app to the case it hands them next, thinking between actions; when stopped they release
  what they still hold (their shift ends);
- counter staff: search by a name prefix, open the counter search, issue an extract of an
  approved record and open its PDF;
- the province admin: the progress dashboard.
A request that does not answer as the page should (5xx, no answer, an unexpected status) is a
failure of its kind, with the page's error as the message; a POST the app refuses with a message
(the form again, 200 instead of 302, with its alert) is a refusal, counted apart.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
from collections import defaultdict
from typing import Any, ClassVar

import gevent
from locust import HttpUser, events, task
from locust.exception import StopUser

DATA: dict[str, Any] = json.loads(open(os.environ["CAMPAIGN_DATA"], encoding="utf-8").read())  # noqa: SIM115
# Seconds a person spends before each kind of action (bench/scenarios/campaign.py, PACING).
PACING: dict[str, list[float]] = DATA["pacing"]
SCAN = open(DATA["scan_path"], "rb").read()  # noqa: SIM115
ACCOUNTS = {kind: iter(rows) for kind, rows in DATA["accounts"].items()}
SERIAL = itertools.count(1)
END_AT = float(DATA["end_at"])
IDLE_CLOSE_S = float(DATA.get("idle_close_s", 4))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
TASK_LINK = re.compile(r'href="/work/tasks/(\d+)/"')
ALERT = re.compile(r'role="alert"[^>]*>(.*?)</', re.S)
FIELD = re.compile(r'name="([a-z_]+(?:__[a-z_]+)?)"')
BOOK_YEAR = re.compile(r"/(\d{4})")
RECORD_LINK = re.compile(r'href="/records/(\d+)/"')
COUNTER_LINK = re.compile(r'href="/counter/records/(\d+)/"')
ISSUE_LINK = re.compile(r"/counter/issues/(\d+)/")
YEAR_AT_END = re.compile(r"(\d{4})$")

# --- measurements ------------------------------------------------------------------------------

TIMES: dict[str, list[float]] = defaultdict(list)
# When each request of TIMES was sent (seconds since the epoch, same order): the report splits the
# run into its ramp, its steady part and the shift's end (releases) by these.
STARTS: dict[str, list[float]] = defaultdict(list)
FAILURES: dict[str, int] = defaultdict(int)
MESSAGES: dict[str, list[str]] = defaultdict(list)
REFUSED: dict[str, int] = defaultdict(int)
REFUSALS: dict[str, list[str]] = defaultdict(list)


@events.request.add_listener
def _measured(request_type, name, response_time, response_length, exception=None, **_kw):
    TIMES[name].append(response_time)
    STARTS[name].append(round(time.time() - response_time / 1000, 3))
    if exception is not None:
        FAILURES[name] += 1
        if len(MESSAGES[name]) < 5:
            MESSAGES[name].append(str(exception)[:500])


@events.test_start.add_listener
def _quit_when_everyone_left(environment, **_kw):
    """Everyone stops on their own after END_AT (finishing what they do): then locust quits."""

    def watch() -> None:
        while time.time() < END_AT + 1 or environment.runner.user_count > 0:
            gevent.sleep(0.5)
        environment.runner.quit()

    gevent.spawn(watch)


@events.quitting.add_listener
def _write(environment, **_kw):
    out = {
        "times_ms": TIMES,
        "started_at": STARTS,
        "failures": FAILURES,
        "messages": MESSAGES,
        "refused": REFUSED,
        "refusals": REFUSALS,
    }
    with open(os.environ["CAMPAIGN_OUT"], "w", encoding="utf-8") as fh:
        json.dump(out, fh)


# --- people ------------------------------------------------------------------------------------


class Staff(HttpUser):
    abstract = True
    kind = ""

    def wait_time(self) -> float:
        if time.time() >= END_AT:
            raise StopUser()
        pause = random.uniform(*PACING["dashboard" if self.kind == "admin" else "between"])
        if pause > IDLE_CLOSE_S:
            self.idle()
        return pause

    def on_start(self) -> None:
        account = next(ACCOUNTS[self.kind])
        self.username = account["username"]
        self.client.cookies.set(DATA["session_cookie"], account["session"])
        self.csrf = ""

    def call(self, method: str, url: str, kind: str, *, ok=(200,), **kw) -> Any:
        """One request named by its kind; a status outside `ok` is a failure with the page's error."""
        with self.client.request(
            method, url, name=kind, catch_response=True, allow_redirects=False, **kw
        ) as response:
            text = response.text if "html" in response.headers.get("Content-Type", "") else ""
            token = CSRF.search(text)
            if token:
                self.csrf = token.group(1)
            alert = ALERT.search(text) if response.status_code == 200 and 302 in ok else None
            if alert:
                # The app answered and said no (a business rule: a likely duplicate held for the
                # province, a stale version, a claim lost): a refusal, shown to the person; counted
                # apart from errors (a 5xx, no answer, an unexpected page).
                REFUSED[kind] += 1
                if len(REFUSALS[kind]) < 5:
                    REFUSALS[kind].append(html.unescape(alert.group(1)).strip()[:300])
                response.success()
            elif response.status_code not in ok:
                alert = ALERT.search(text)
                why = html.unescape(alert.group(1)).strip() if alert else text[:300]
                if response.status_code == 0:  # no answer: the client's exception says why
                    why = repr(response.error)
                elif response.status_code >= 500:  # the traceback is in the web log (server_errors)
                    why = "server error"
                response.failure(f"{response.status_code} {url}: {why}")
            else:
                response.success()
            return response

    def post(self, url: str, kind: str, data: dict[str, Any], **kw) -> Any:
        return self.call("POST", url, kind, ok=(302,), data={"csrfmiddlewaretoken": self.csrf, **data}, **kw)

    def think(self, action: str) -> None:
        """The time a person spends before `action` (reading, keying, comparing with the scan); at the
        campaign's end the person stops here (after finishing the action under way), and on_stop runs."""
        if time.time() >= END_AT:
            raise StopUser()
        pause = random.uniform(*PACING[action])
        if pause > IDLE_CLOSE_S:
            self.idle()
        time.sleep(pause)

    def idle(self) -> None:
        """A pause longer than the server keeps an idle connection (uvicorn: 5 s): it closes it, and
        the browser opens a new one for the next request. So do we, instead of sending the next
        request on a socket the server is closing at that moment (a "connection reset" no user sees)."""
        self.client.close()


class Worker(Staff):
    """Clerk, reviewer or approver: claim next, do the stage, follow the app to the next case."""

    abstract = True
    steps_per_claim: ClassVar[int] = 4  # cases followed in one book before going back to the queue

    @task
    def work(self) -> None:
        self.call("GET", "/work/queue/", "queue")
        claimed = self.post("/work/claim-next/", "claim", {"count": 1})
        if "/work/mine/" not in claimed.headers.get("Location", ""):
            return  # nothing left to claim for this person: the queue says so
        mine = self.call("GET", claimed.headers["Location"], "mine")
        links = TASK_LINK.findall(mine.text)
        if not links:
            return
        url: str | None = f"/work/tasks/{links[0]}/"
        for _step in range(self.steps_per_claim):
            if url is None:
                break
            self.think("open")
            url = self.stage(url)

    def stage(self, url: str) -> str | None:
        """Open the work item, do its stage; the next work item the app sends to, or None."""
        page = self.call("GET", url, "task")
        text = page.text
        version = VERSION.search(text)
        if page.status_code != 200 or version is None or 'aria-describedby="why-not"' in text:
            return None  # not this person's to do (the page says why)
        data: dict[str, Any] = {"version": version.group(1)}
        if 'name="file"' in text and 'name="action"' not in text:
            self.think("scan")
            done = self.post(
                url,
                "scan_upload",
                data,
                files={"file": (f"scan-{next(SERIAL)}.pdf", SCAN, "application/pdf")},
            )
        elif 'id="entry-form"' in text:
            self.think("entry")
            done = self.post(url, "entry_save", {**data, **entry_payload(text), "submit": "1"})
        elif 'value="pass"' in text:
            self.think("review")
            if random.random() < DATA["return_share"]:
                done = self.post(url, "review_return", {**data, **RETURN})
            else:
                done = self.post(url, "review_pass", {**data, "action": "pass"})
        elif 'value="approve"' in text:
            self.think("approve")
            if random.random() < DATA["return_share"]:
                done = self.post(url, "approve_return", {**data, **RETURN})
            else:
                done = self.post(url, "approve", {**data, "action": "approve"})
        elif 'accesskey="s"' in text:
            self.think("attach")
            record = RECORD_LINK.search(text)
            if "/scans/" not in text and record:
                # Entered before the campaign without its scan (the seed makes no scan files): the
                # clerk uploads it from the case's page, then attaches.
                self.post(
                    f"/records/{record.group(1)}/scan/",
                    "scan_upload_record",
                    {},
                    files={"file": (f"scan-{next(SERIAL)}.pdf", SCAN, "application/pdf")},
                )
                again = self.call("GET", url, "task")
                version = VERSION.search(again.text)
                if version is None:
                    return None
                data = {"version": version.group(1)}
            done = self.post(url, "attach", data)
        else:
            return None
        follow = done.headers.get("Location", "") if done.status_code == 302 else ""
        return follow if TASK_LINK.search(f'href="{follow}"') else None

    def on_stop(self) -> None:
        """The shift ends: put back what is still held (a released item is back in its queue)."""
        mine = self.call("GET", "/work/mine/", "mine")
        for pk in dict.fromkeys(TASK_LINK.findall(mine.text)):
            self.post(f"/work/tasks/{pk}/release/", "release", {})


RETURN = {
    "action": "return",
    "reason": "Tên người mẹ chưa khớp với sổ gốc, đề nghị kiểm tra lại.",
    "back_to": "entry",
}


def entry_payload(page: str) -> dict[str, str]:
    """Valid data of the form's event type (the template whose fields the form has), dated in the
    book's year, its main person named uniquely (no hard-key clash with another entry)."""
    form = page.split('id="entry-form"', 1)[1].split("</form>", 1)[0]
    names = set(FIELD.findall(form))
    best = max(
        DATA["templates"].values(),
        key=lambda t: (set(t["fields"]) <= names, len(set(t["fields"]) & names)),
    )
    heading = page.split("<h1", 1)[1].split("</h1>", 1)[0] if "<h1" in page else ""
    found = BOOK_YEAR.search(heading)
    shift = int(found.group(1)) - DATA["template_year"] if found else 0
    fields = {k: shift_date(k, v, shift) for k, v in best["fields"].items()}
    # Every person named uniquely: same-looking cases would be likely duplicates of each other
    # (across communes, held for the province's decision before approval).
    serial = next(SERIAL)
    family = DATA["family"]
    for n, key in enumerate(k for k in fields if k.endswith("__full_name") and fields[k]):
        middle = "Thị" if " Thị " in fields[key] else "Văn"
        fields[key] = f"{family[(serial + n) % len(family)]} {middle} {tag(serial * 10 + n)} {DATA['tag']}"
    return fields


def shift_date(key: str, value: str, years: int) -> str:
    """A date field (dd/mm/yyyy, mm/yyyy or yyyy) moved by `years`."""
    if "date" not in key or not years:
        return value
    return YEAR_AT_END.sub(lambda m: str(int(m.group(1)) + years), value)


def tag(number: int) -> str:
    """A name-safe word for a number (as tests.factories.letters), unique per entry of the run."""
    return "".join("abcdefghij"[int(d)] for d in f"{os.getpid() % 97}{number}").capitalize()


class Clerk(Worker):
    kind = "clerk"
    fixed_count = len(DATA["accounts"]["clerk"])


class Reviewer(Worker):
    kind = "reviewer"
    fixed_count = len(DATA["accounts"]["reviewer"])


class Approver(Worker):
    kind = "approver"
    fixed_count = len(DATA["accounts"]["approver"])


class Counter(Staff):
    """Counter staff: find a person by a name prefix, print an extract of an approved record."""

    kind = "counter"
    fixed_count = len(DATA["accounts"]["counter"])

    @task
    def serve(self) -> None:
        prefix = random.choice(DATA["prefixes"])
        self.call("GET", "/search/", "search", params={"name": prefix})
        self.think("counter_search")
        found = self.call("GET", "/counter/", "counter_search", params={"name": prefix})
        records = COUNTER_LINK.findall(found.text)
        if not records:
            return
        url = f"/counter/records/{random.choice(records[:25])}/"
        page = self.call("GET", url, "counter_record")
        if 'name="requester_name"' not in page.text:
            return  # not printable (not approved yet): the page says why
        self.think("counter_print")
        issued = self.post(
            url,
            "extract_print",
            {
                "requester_name": "Nguyễn Thị Hoa",
                "requester_document": "CCCD 001190000001",
                "relationship": "bản thân",
                "signer_title": "Chủ tịch",
                "signer_name": "Lê Văn Cường",
                "copies": 1,
            },
        )
        issue = ISSUE_LINK.search(issued.headers.get("Location", ""))
        if issue:
            self.call("GET", f"/counter/issues/{issue.group(1)}/pdf", "extract_pdf")


class ProvinceAdmin(Staff):
    kind = "admin"
    fixed_count = len(DATA["accounts"]["admin"])

    @task
    def dashboard(self) -> None:
        self.call("GET", "/progress/", "dashboard")
