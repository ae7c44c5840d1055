from django import template

register = template.Library()


@register.simple_tag
def report_url(record):
    """The address of the form for reporting an error in `record` (a page with its own URL)."""
    from ..report_views import report_url

    return report_url(record)


@register.simple_tag
def follow_url(record):
    """The address of the form for following `record` by e-mail."""
    from ..alert_views import follow_url

    return follow_url(record)
