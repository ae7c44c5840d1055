from django import template

from ..formats import format_fte

register = template.Library()


@register.filter
def fte(value):
    """A share of a full-time post in the reader's notation: 0,5 in Swedish, 0.5 in English."""
    return format_fte(value)
