from django.urls import path

from locatr.mfa import views

app_name = "mfa"

urlpatterns = [
    path("", views.two_factor_settings, name="settings"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("backup-codes/", views.backup_codes, name="backup_codes"),
    path("backup-codes/new/", views.backup_codes_new, name="backup_codes_new"),
    path("reset/", views.reset, name="reset"),
]
