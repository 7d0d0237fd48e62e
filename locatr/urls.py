from django.contrib import admin
from django.urls import include, path

from levelofcare.api import views as api_views
from locatr import views

admin.site.site_header = "locatr administration"
admin.site.site_title = "locatr admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/evaluate", api_views.evaluate_view, name="api_evaluate"),
    path("", include("intake.urls")),
    path("", include("levelofcare.urls")),
]
