from django import template

register = template.Library()


@register.filter
def band_label(band: str | None) -> str:
    """`moderately_severe` -> `moderately severe`."""
    return (band or "").replace("_", " ")
