"""Bring the change feed and the joint-buying finder's kept matches up to date after writes that
sent no signals (raw SQL, a restore of some tables, QuerySet.update on a slug): see
agreements.changefeed.reconcile and agreements.opportunities.rebuild."""

from django.core.management.base import BaseCommand

from agreements import changefeed, opportunities


class Command(BaseCommand):
    help = (
        "Announce in the change feed every record it has not announced under its current key, "
        "and delete the keys no record has; --all also announces every other record as changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="Also announce every record as changed (after changes to their content).",
        )

    def handle(self, *args, **opts):
        written = changefeed.reconcile(announce_all=opts["all"])
        self.stdout.write(f"Change feed: {written} entries written.")
        opportunities.rebuild()
        self.stdout.write("Joint-buying finder: matches rewritten.")
