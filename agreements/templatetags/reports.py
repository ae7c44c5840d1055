from django import template

register = template.Library()


@register.simple_tag
def report_url(record):
    """The address of the form for reporting an error in `record` (a page with its own URL)."""
    from ..report_views import report_url

    return report_url(record)
