"""Error reports from the public: the rate limit per client, and staff's answer by e-mail.

The rate limit counts stored reports per client in the database, so every gunicorn worker and
server sees the same count and a cache outage neither lifts nor resets it. The client is the
address the login lockout counts (django-axes through django-ipware, so the trusted proxy count
applies), but only an HMAC of it under SECRET_KEY is stored: the count needs to recognise the
same client again, not to know who it is, and a bare hash of an IPv4 address can be reversed by
trying all four billion. Keys older than the limit's window are emptied whenever a report is
filed or handled, so none outlives its use by long.
"""

import hashlib
import hmac
import smtplib
from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import ErrorReport

WINDOW = timedelta(hours=1)
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def client_key(request):
    """A keyed hash of the client's address: the same client gives the same key."""
    address = get_client_ip_address(request) or ""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"error-report:{address}".encode(), hashlib.sha256
    ).hexdigest()


def forget_expired_keys(now=None):
    """Empty the keys the rate limit no longer counts."""
    since = (now or timezone.now()) - WINDOW
    ErrorReport.objects.filter(created_at__lt=since).exclude(client_key="").update(client_key="")


def over_limit(key, now=None):
    """Has this client filed as many reports within the window as the limit allows?"""
    since = (now or timezone.now()) - WINDOW
    recent = ErrorReport.objects.filter(client_key=key, created_at__gte=since).count()
    return recent >= settings.REGISTRY_REPORTS_PER_HOUR


def file_report(request, record, cleaned_data):
    """Store a report about `record` from the client of `request`."""
    forget_expired_keys()
    report = ErrorReport(
        # The record's page the person read, in their language (the form's own address
        # would lead staff to the form, not to the facts reported).
        page=record.get_absolute_url(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        text=cleaned_data["text"],
        source_url=cleaned_data.get("source_url", ""),
        email=cleaned_data.get("email", ""),
        client_key=client_key(request),
    )
    report.record = record
    report.full_clean()
    report.save()
    return report


def record_url(report):
    """The record's public page in the language the report was filed in."""
    with translation.override(report.language):
        return settings.REGISTRY_BASE_URL + report.record.get_absolute_url()


def send_answer(report):
    """Mail staff's answer to the reporter, in the language they wrote in.

    Replies go to the registry's contact address, not to the noreply sender. Raises one of
    MAIL_ERRORS when the mail cannot be sent.
    """
    with translation.override(report.language):
        context = {
            "report": report,
            "record": report.record,
            "record_url": record_url(report),
            "contact_email": settings.REGISTRY_CONTACT_EMAIL,
        }
        subject = render_to_string("reports/answer_subject.txt", context).strip()
        body = render_to_string("reports/answer_email.txt", context)
    message = EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [report.email],
        reply_to=[settings.REGISTRY_CONTACT_EMAIL],
        headers={"Content-Language": report.language},
    )
    message.send(fail_silently=False)


def mark_answered(report, user, now=None):
    report.status = ErrorReport.Status.ANSWERED
    report.answered_by = user
    report.answered_at = now or timezone.now()


def mark_handled(report, user, now=None):
    """Close the report and erase the reporter's address (the answer may stay)."""
    report.status = ErrorReport.Status.HANDLED
    report.email = ""
    report.client_key = ""
    report.handled_by = user
    report.handled_at = now or timezone.now()
