from django.contrib import admin
from django.urls import include, path

from levelofcare.api import fhir as api_fhir
from levelofcare.api import views as api_views
from locatr import views

admin.site.site_header = "locatr administration"
admin.site.site_title = "locatr admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("session/", views.session_status, name="session_status"),
    path("csp-report/", views.csp_report, name="csp_report"),
    # Password reset by email only when email is set up (PASSWORD_RESET_BY_EMAIL);
    # these come before Django's own auth URLs, which they replace.
    path(
        "accounts/password_reset/",
        views.password_reset,
        {"step": "form"},
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        views.password_reset,
        {"step": "done"},
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.password_reset,
        {"step": "confirm"},
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.password_reset,
        {"step": "complete"},
        name="password_reset_complete",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/two-factor/", include("locatr.mfa.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/evaluate", api_views.evaluate_view, name="api_evaluate"),
    path(
        "api/v1/clients/<int:pk>/fhir",
        api_fhir.client_fhir_view,
        name="api_client_fhir",
    ),
    path(
        "api/v1/clients/<int:pk>/questionnaire-responses",
        api_fhir.client_questionnaire_responses_view,
        name="api_client_questionnaire_responses",
    ),
    path("", include("intake.urls")),
    path("", include("levelofcare.urls")),
]

handler403 = "locatr.views.permission_denied"
handler404 = "locatr.views.page_not_found"
handler500 = "locatr.views.server_error"
