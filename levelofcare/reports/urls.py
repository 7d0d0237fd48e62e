"""The reports' URLs (included by `levelofcare.urls`, namespace `levelofcare`)."""

from django.urls import path

from levelofcare.reports import views

urlpatterns = [
    path("reports/", views.reports_index, name="reports"),
    path(
        "reports/volume/",
        views.report_page,
        {"slug": "volume"},
        name="report_volume",
    ),
    path(
        "reports/volume/csv/",
        views.report_csv,
        {"slug": "volume"},
        name="report_volume_csv",
    ),
    path(
        "reports/overrides/",
        views.report_page,
        {"slug": "overrides"},
        name="report_overrides",
    ),
    path(
        "reports/overrides/csv/",
        views.report_csv,
        {"slug": "overrides"},
        name="report_overrides_csv",
    ),
    path(
        "reports/timeliness/",
        views.report_page,
        {"slug": "timeliness"},
        name="report_timeliness",
    ),
    path(
        "reports/timeliness/csv/",
        views.report_csv,
        {"slug": "timeliness"},
        name="report_timeliness_csv",
    ),
    path(
        "reports/outcomes/",
        views.report_page,
        {"slug": "outcomes"},
        name="report_outcomes",
    ),
    path(
        "reports/outcomes/csv/",
        views.report_csv,
        {"slug": "outcomes"},
        name="report_outcomes_csv",
    ),
    path(
        "reports/service-gaps/",
        views.report_page,
        {"slug": "service_gaps"},
        name="report_service_gaps",
    ),
    path(
        "reports/service-gaps/csv/",
        views.report_csv,
        {"slug": "service_gaps"},
        name="report_service_gaps_csv",
    ),
]
