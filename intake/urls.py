from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path(
        "clients/<int:pk>/assessments/new/",
        views.assessment_create,
        name="assessment_create",
    ),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/", views.assessment_result, name="assessment_result"),
    path(
        "assessments/<int:pk>/print/",
        views.assessment_print,
        name="assessment_print",
    ),
]
