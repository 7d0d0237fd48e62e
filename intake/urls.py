from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
]
