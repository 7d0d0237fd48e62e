from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("clients/new/", views.client_create, name="client_create"),
]
