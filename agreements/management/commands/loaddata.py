"""`loaddata`, with the rules across records checked on what the fixture leaves behind.

Django saves fixture rows one by one and raw; checked at the end, a fixture may list rows in
any order, and a fixture that breaks a rule loads nothing.

A backup (`make backup`) holds the change feed's own log: restored, the log is kept as it was
dumped instead of being written again for every record loaded (agreements/changefeed.py).
"""

from django.core.management.base import CommandError
from django.core.management.commands import loaddata

from agreements import changefeed, rules
from agreements.models import Change


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        self.restores_change_log = False
        try:
            with rules.checked_writes():
                result = super().handle(*fixture_labels, **options)
                if self.restores_change_log:
                    changefeed.adopt_restored_log(options["database"])
                return result
        except rules.RuleViolation as violation:
            raise CommandError(
                "Fixturen bryter mot registrets regler och lästes inte in: "
                + " ".join(violation.messages)
            ) from violation

    def save_obj(self, obj):
        if isinstance(obj.object, Change):
            self.restores_change_log = True
        return super().save_obj(obj)
