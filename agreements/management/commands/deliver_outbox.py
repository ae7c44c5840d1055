"""Send the due mail in the outbox, with retries and exponential backoff.

Each message is claimed under a row lock (skipped by other workers on PostgreSQL), sent, and
marked sent in the same transaction, so a worker restarted at any point sends nothing twice,
except the one message whose "250" it got but could not record (it goes again with the same
Message-ID). With --loop it runs every so many seconds instead of once (for a container without
a timer); under systemd, use the timer in deploy/systemd/.
"""

import time

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_datetime

from agreements import alerts


class Command(BaseCommand):
    help = "Skicka e-post som väntar i utkorgen."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, metavar="SEKUNDER", help="kör om och om igen")
        parser.add_argument("--now", type=parse_datetime, help="ISO 8601, e.g. 2026-11-27T06:00Z")

    def handle(self, *args, loop=None, now=None, **options):
        while True:
            counts = alerts.deliver_outbox(now)
            self.stdout.write(
                "{sent} skickade, {retry} försöks igen senare, {failed} gav upp.".format(**counts)
            )
            if not loop:
                return
            time.sleep(loop)
