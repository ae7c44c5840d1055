"""Write the e-mail digests of every period that has closed, into the outbox.

Run it under a timer (deploy/systemd/), before `deliver_outbox`. It also deletes subscriptions
left unconfirmed for REGISTRY_ALERTS_UNCONFIRMED_DAYS and sent mail older than a week. Running it
twice, or in two processes at once, writes no digest twice (agreements/alerts.py).
"""

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_datetime

from agreements import alerts


class Command(BaseCommand):
    help = "Skriv sammanställningar för avslutade perioder till utkorgen."

    def add_arguments(self, parser):
        # For tests and for catching up by hand: the moment to act as if it were.
        parser.add_argument("--now", type=parse_datetime, help="ISO 8601, e.g. 2026-11-27T06:00Z")

    def handle(self, *args, now=None, **options):
        deleted = alerts.delete_unconfirmed(now)
        alerts.forget_old_messages(now)
        written = alerts.send_digests(now)
        self.stdout.write(
            f"{written} sammanställningar skrivna, {deleted} obekräftade bevakningar raderade."
        )
