from django import template

from intake import catalogue

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
