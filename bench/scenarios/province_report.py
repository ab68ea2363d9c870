"""Province daily report: the progress table a province admin opens at 17:00.

Uses the reports app (issue 8) when it has a report function; until then a
placeholder with the same reach: over the province's subtree, records by
district × state (GROUP BY on the unit path prefix and state), by event type ×
phase, and today's approvals by commune — three aggregate queries, scoped the
way every list is (permissions.scoping.records_visible_to).
"""

from __future__ import annotations

from bench.capabilities import call_with, find
from bench.stats import percentile, profiled, time_calls

NAME = "province_report"
KEYS = ["province_report_ms"]
CANDIDATES = [
    ("reports.services", "province_daily_report"),
    ("reports.services", "daily_report"),
    ("reports.daily", "province_daily_report"),
    ("reports.daily", "daily_report"),
    ("reports.selectors", "daily_report"),
]


def placeholder_report(user, province) -> dict:
    import datetime as dt

    from django.db.models import CharField, Count, Func, Value
    from django.utils import timezone

    from permissions.scoping import records_visible_to

    records = records_visible_to(user).filter(unit_path__startswith=province.path).order_by()
    # The district is the unit path's second segment: "<province>/<district>/<commune>/".
    district = Func("unit_path", Value("/"), Value(2), function="split_part", output_field=CharField())
    by_district = list(records.values_list(district, "state").annotate(n=Count("id")))
    by_type = list(records.values_list("event_type", "book__phase").annotate(n=Count("id")))
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    approved_today = list(
        records.filter(
            state__in=["approved", "transferred"],
            approved_at__gte=today,
            approved_at__lt=today + dt.timedelta(days=1),
        )
        .values_list("unit_id")
        .annotate(n=Count("id"))
    )
    return {"by_district": by_district, "by_type": by_type, "approved_today": approved_today}


def run(bench) -> dict:
    province = bench.province
    found = find(CANDIDATES)
    if found:
        fn, impl = found

        def report(user):
            return call_with(
                fn, [((), {"user": user, "unit": province}), ((user, province), {}), ((), {"unit": province})]
            )
    else:
        impl = "placeholder: GROUP BY district × state, type × phase, approvals today (foundation)"

        def report(user):
            return placeholder_report(user, province)

    samples = max(5, bench.samples // 4)
    with profiled("province_report", bench.profile_dir):
        durations = time_calls(lambda _i: report(bench.user("admin.tinh")), samples=samples, warmup=1)
    sample = report(bench.user("admin.tinh"))
    out = {
        "province_report_ms": round(percentile(durations, 50), 1),
        "province_report_p95_ms": round(percentile(durations, 95), 1),
        "province_report_impl": impl,
    }
    if isinstance(sample, dict) and "approved_today" in sample:
        out["province_report_approved_today"] = sum(n for _u, n in sample["approved_today"])
    return out
