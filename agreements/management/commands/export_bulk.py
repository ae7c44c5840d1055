"""manage.py export_bulk: the whole public registry as one ZIP (agreements.bulk), published
atomically for /oppna-data/ (agreements.downloads).

Under a timer (deploy/systemd), `--if-changed --debounce 300` writes one export per burst of
edits: nothing while the registry is unchanged since the current export, nothing while the
latest change is younger than five minutes (more edits are likely to follow).
"""

import resource
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agreements import bulk, cache, downloads


class Command(BaseCommand):
    help = "Skriver hela det publika registret som en ZIP-fil och publicerar den på /oppna-data/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="Gör ingenting om registret inte har ändrats sedan den senaste exporten.",
        )
        parser.add_argument(
            "--debounce",
            type=int,
            default=0,
            metavar="SEKUNDER",
            help="Vänta tills den senaste ändringen är minst så här gammal (en skur av "
            "ändringar ger en export).",
        )

    def handle(self, *args, if_changed=False, debounce=0, **options):
        if debounce < 0:
            raise CommandError("--debounce ska vara 0 eller fler sekunder.")
        current = downloads.latest()
        if if_changed and current is not None and current.generation == cache.generation():
            self.stdout.write(
                f"Oförändrat sedan {current.file_name} (generation {current.generation})."
            )
            return
        _mark, changed_at = cache.current()
        if debounce and changed_at is not None:
            age = timezone.now() - changed_at
            if age < timedelta(seconds=debounce):
                self.stdout.write(
                    f"Senaste ändringen är {age.total_seconds():.0f} s gammal; väntar tills den "
                    f"är {debounce} s."
                )
                return
        started = time.monotonic()
        try:
            export = bulk.export()
        except downloads.ExportRunning as running:
            raise CommandError(f"En annan export pågår redan i {running}.") from None
        seconds = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # The worker processes (agreements.bulk_worker) count too: their time, and their peak
        # memory (ru_maxrss of the largest) as if every one of them had it at once.
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime + workers.ru_utime + workers.ru_stime
        peak = usage.ru_maxrss + settings.REGISTRY_EXPORT_WORKERS * workers.ru_maxrss
        # ru_maxrss is in kilobytes on Linux. `make bench` reads this line.
        self.stdout.write(
            f"{export.path} ({export.size} byte, sha256 {export.sha256}, generation "
            f"{export.generation}) på {seconds:.1f} s ({cpu:.1f} s processortid), högst "
            f"{peak / 1024:.0f} MB minne."
        )
