from datetime import timedelta

from django import template
from django.template.defaultfilters import pluralize

from intake import catalogue
from levelofcare import presentation
from levelofcare.progress.selectors import outbox_failed_count

register = template.Library()

_BAND_LABELS = {
    band.key: band.label
    for instrument in catalogue.INSTRUMENTS.values()
    for band in instrument.bands
}


@register.filter
def band_label(band: str | None) -> str:
    """A severity band as staff read it: `moderately_severe` -> `moderately severe`."""
    return _BAND_LABELS.get(band or "", (band or "").replace("_", " "))


@register.filter
def page_name(view_name: str) -> str:
    """A record view's page in words: `client_detail` -> `Client record`."""
    return presentation.page_name(view_name)


@register.filter
def audit_action(action: str) -> str:
    """An audit row's action in words: `~` -> `changed`, `login` -> `signed in`."""
    return presentation.audit_action(action)


@register.filter
def duration_words(value: timedelta | None) -> str:
    """A duration in words: `timedelta(minutes=30)` -> `30 minutes`."""
    if value is None:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{pluralize(hours)}"
    return f"{minutes} minute{pluralize(minutes)}"


@register.simple_tag
def failed_reminder_emails() -> int:
    """How many reminder emails failed for good (for the admin home)."""
    return outbox_failed_count()
