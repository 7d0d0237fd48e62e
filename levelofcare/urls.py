"""URLs of the levelofcare app, by concern. "Review" means one thing: a
clinician's review of a recommendation; progress reviews are `progress-reviews`."""

from django.urls import path
from django.views.generic import RedirectView

from levelofcare.audit import views as audit
from levelofcare.criteria import views as criteria
from levelofcare.notifications import views as notifications
from levelofcare.programs import views as programs
from levelofcare.progress import views as progress
from levelofcare.recommendations.views import assessments, clients, review
from levelofcare.reports.urls import urlpatterns as report_urls

app_name = "levelofcare"

urlpatterns = [
    # Clients and their assessments (submitting one makes its recommendation).
    path("clients/", clients.client_list, name="client_list"),
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path(
        "clients/<int:pk>/assessments/new/",
        assessments.assessment_create,
        name="assessment_create",
    ),
    path(
        "clients/<int:pk>/assessments/new/<uuid:token>/",
        assessments.assessment_create_form,
        name="assessment_create_form",
    ),
    path(
        "assessments/<int:pk>/edit/",
        assessments.assessment_edit,
        name="assessment_edit",
    ),
    path(
        "assessments/<int:pk>/",
        assessments.assessment_result,
        name="assessment_result",
    ),
    path(
        "assessments/<int:pk>/void/",
        assessments.assessment_void,
        name="assessment_void",
    ),
    path(
        "assessments/<int:pk>/print/",
        assessments.assessment_print,
        name="assessment_print",
    ),
    # Clinician review of recommendations (queue, decisions).
    path("reviews/", review.review_queue, name="review_queue"),
    path("reviews/<int:pk>/", review.review_detail, name="review"),
    # Progress reviews: due list, reassignment, start (a reassessment).
    path(
        "progress-reviews/due/",
        progress.progress_reviews_due,
        name="progress_reviews_due",
    ),
    path(
        "progress-reviews/<int:pk>/reassign/",
        progress.progress_review_reassign_view,
        name="progress_review_reassign",
    ),
    path(
        "progress-reviews/<int:pk>/start/",
        progress.progress_review_start,
        name="progress_review_start",
    ),
    # Old progress-review URLs, kept for links already sent in emails (the
    # notifications' stored links were rewritten by migration 0006).
    path(
        "reviews/due/",
        RedirectView.as_view(
            pattern_name="levelofcare:progress_reviews_due",
            permanent=True,
            query_string=True,
        ),
        name="progress_reviews_due_old",
    ),
    path(
        "reviews/<int:pk>/reassign/",
        progress.progress_review_reassign_view,
        name="progress_review_reassign_old",
    ),
    # In-app notifications (reminders).
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        notifications.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        notifications.notifications_read_all,
        name="notifications_read_all",
    ),
    path(
        "notifications/email/",
        notifications.notifications_email,
        name="notifications_email",
    ),
    # The audit trail.
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit/break-glass/", audit.break_glass_list, name="break_glass_list"),
    path("audit/break-glass/new/", audit.break_glass, name="break_glass"),
    # The criteria book: every rule in plain language, at any version.
    path("criteria/", criteria.criteria_book_view, name="criteria_book"),
    # The program directory (kept in Django admin by criteria admins).
    path("programs/", programs.program_list, name="program_list"),
    path(
        "waitlist-entries/<int:pk>/leave/",
        programs.waitlist_entry_leave,
        name="waitlist_entry_leave",
    ),
    # Aggregate reports (volume, overrides, timeliness, outcomes, service gaps).
    *report_urls,
]
