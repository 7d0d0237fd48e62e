"""URLs of the levelofcare app. Each feature appends its own block."""

from django.urls import path

from levelofcare import criteria_book, views, views_reminders

app_name = "levelofcare"

urlpatterns = [
    # Clinician review (queue, decisions) and the audit trail.
    path("reviews/", views.review_queue, name="review_queue"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("audit/", views.audit_log, name="audit_log"),
    path("progress-reviews/<int:pk>/start/", views.review_start, name="review_start"),
    # Progress reviews due, reassignment and in-app notifications (reminders).
    path("reviews/due/", views_reminders.reviews_due, name="reviews_due"),
    path(
        "reviews/<int:pk>/reassign/",
        views_reminders.review_reassign_view,
        name="review_reassign",
    ),
    path("notifications/", views_reminders.notifications, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        views_reminders.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        views_reminders.notifications_read_all,
        name="notifications_read_all",
    ),
    # The criteria book: every rule in plain language, at any version.
    path("criteria/", criteria_book.criteria_book_view, name="criteria_book"),
]
