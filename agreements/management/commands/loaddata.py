"""`loaddata`, with the rules across records checked on what the fixture leaves behind.

Django saves fixture rows one by one and raw; checked at the end, a fixture may list rows in
any order, and a fixture that breaks a rule loads nothing.
"""

from django.core.management.base import CommandError
from django.core.management.commands import loaddata

from agreements import rules


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        try:
            with rules.checked_writes():
                return super().handle(*fixture_labels, **options)
        except rules.RuleViolation as violation:
            raise CommandError(
                "Fixturen bryter mot registrets regler och lästes inte in: "
                + " ".join(violation.messages)
            ) from violation
