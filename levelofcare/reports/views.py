"""The reports at `/reports/`: an index, one page per report (date range, tables,
charts, a CSV link per table) and the CSV files.

Who sees what: clinicians see every number; criteria admins and intake
coordinators see aggregates only, with small cells suppressed
(`tables.Table.suppressed`). Aggregates carry no client names or references, so
no page here writes a RecordView. Criteria admins also get, per rule, a link to
the criteria admin prefilled with a suggested threshold.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from levelofcare.criteria.selectors import criteria_active
from levelofcare.reports.charts import table_chart
from levelofcare.reports.export import table_csv
from levelofcare.reports.forms import PeriodForm
from levelofcare.reports.selectors import ABOUT, REPORTS
from levelofcare.reports.tables import SUPPRESSION_NOTE, Report
from locatr.params import bad_request
from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS, user_roles

FULL: Final = "full"
AGGREGATE: Final = "aggregate"
CHANGE_CRITERIA: Final = "levelofcare.change_criteriaset"


def reports_audience(request: HttpRequest) -> str:
    """FULL for clinicians, AGGREGATE for criteria admins and coordinators;
    anyone else is refused."""
    roles = user_roles(request.user)
    if CLINICIANS in roles:
        return FULL
    if roles & {CRITERIA_ADMINS, COORDINATORS}:
        return AGGREGATE
    raise PermissionDenied


def _url_name(slug: str) -> str:
    return f"levelofcare:report_{slug}"


@require_GET
def reports_index(request: HttpRequest) -> HttpResponse:
    audience = reports_audience(request)
    reports = [
        {"title": title, "summary": summary, "url": reverse(_url_name(slug))}
        for slug, (title, summary) in ABOUT.items()
    ]
    return render(
        request,
        "levelofcare/reports/index.html",
        {
            "reports": reports,
            "aggregate_only": audience == AGGREGATE,
            "suppression_note": SUPPRESSION_NOTE,
        },
    )


def _report(request: HttpRequest, slug: str) -> tuple[PeriodForm, Report | None, str]:
    if slug not in REPORTS:
        raise Http404("No such report.")
    audience = reports_audience(request)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None, audience
    report = REPORTS[slug](period=form.period)
    if audience == AGGREGATE:
        report = report.suppressed()
    return form, report, audience


@require_GET
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    form, report, audience = _report(request, slug)
    title, summary = ABOUT[slug]
    context: dict[str, object] = {
        "form": form,
        "title": title,
        "summary": summary,
        "report": report,
        "aggregate_only": audience == AGGREGATE,
        "suppression_note": SUPPRESSION_NOTE,
        "csv_url": reverse(f"{_url_name(slug)}_csv"),
    }
    if report is None:
        return render(request, "levelofcare/reports/report.html", context, status=400)
    can_tune = request.user.has_perm(CHANGE_CRITERIA)
    context.update(
        query=urlencode(
            {"from": form.period.since.isoformat(), "to": form.period.until.isoformat()}
        ),
        sections=[
            {
                "table": table,
                "chart": mark_safe(  # noqa: S308 - charts escapes every text
                    table_chart(table, chart_id=f"chart-{table.key}")
                ),
            }
            for table in report.tables
        ],
        tune_url=(
            reverse("admin:levelofcare_criteriaset_change", args=[criteria_active().pk])
            if can_tune
            else ""
        ),
    )
    return render(request, "levelofcare/reports/report.html", context)


@require_GET
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """One table of a report (`?table=<key>`, default the first) as a CSV file,
    with the page's date range."""
    form, report, _ = _report(request, slug)
    if report is None:
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return bad_request(f"Bad date range: {errors}")
    key = request.GET.get("table") or report.tables[0].key
    table = next((t for t in report.tables if t.key == key), None)
    if table is None:
        choices = ", ".join(t.key for t in report.tables)
        return bad_request(f"No table {key!r} in this report; choose one of {choices}.")
    period = form.period
    filename = (
        f"locatr-{slug.replace('_', '-')}-{table.key.replace('_', '-')}-"
        f"{period.since.isoformat()}-to-{period.until.isoformat()}.csv"
    )
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
