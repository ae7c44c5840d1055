"""Swedish for the third-party admin screens whose packages ship none.

django-simple-history (history and revert pages) and django-axes (login attempts and
lockouts) have no Swedish catalogue. This command gathers their translatable strings with
Django's own makemessages into locale/sv/LC_MESSAGES/django.po, keeping the translations
already made there; strings a new package version adds arrive untranslated, and `--check`
lists them (the test suite runs it).

The project's own interface text is Swedish in the code, so locale/sv holds nothing else,
apart from a few of Django's texts reworded for invited editors (locale/sv/omformuleringar.txt
and .py).
"""

import importlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

PACKAGES = ["simple_history", "axes"]
REWORDINGS = Path(settings.BASE_DIR) / "locale" / "sv" / "omformuleringar.txt"
# Texts with %-placeholders, which a template would list with its % signs doubled.
PYTHON_REWORDINGS = REWORDINGS.with_suffix(".py")
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "sv" / "LC_MESSAGES" / "django.po"


def gather(locale_dir, verbosity=0):
    """Merge the packages' strings into `locale_dir`/sv/LC_MESSAGES/django.po."""
    with tempfile.TemporaryDirectory() as sources:
        for name in PACKAGES:
            package = Path(importlib.import_module(name).__file__).parent
            os.symlink(package, Path(sources) / name)
        shutil.copy(REWORDINGS, Path(sources) / REWORDINGS.name)
        shutil.copy(PYTHON_REWORDINGS, Path(sources) / PYTHON_REWORDINGS.name)
        # makemessages reads the current directory and writes to the first LOCALE_PATHS entry.
        previous = os.getcwd()
        os.chdir(sources)
        try:
            with override_settings(LOCALE_PATHS=[str(locale_dir)]):
                call_command(
                    "makemessages",
                    locale=["sv"],
                    symlinks=True,
                    extensions=["html", "txt", "py"],
                    ignore_patterns=["*/migrations", "*/tests", "*/locale"],
                    add_location="file",
                    verbosity=verbosity,
                )
        finally:
            os.chdir(previous)


def untranslated(po_file):
    """The msgids of `po_file` that have no Swedish yet (fuzzy ones count as none)."""
    found = set()
    for selection in ("--untranslated", "--only-fuzzy"):
        result = subprocess.run(
            ["msgattrib", selection, "--no-obsolete", "--no-wrap", str(po_file)],
            capture_output=True,
            text=True,
            check=True,
        )
        found.update(_msgids(result.stdout))
    return sorted(found)


def _msgids(po_text):
    return [
        line.removeprefix('msgid "').removesuffix('"')
        for line in po_text.splitlines()
        if line.startswith('msgid "') and line != 'msgid ""'
    ]


class Command(BaseCommand):
    help = "Samlar texterna i django-simple-history och django-axes i locale/sv för översättning."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Ändra inget; lista texter som saknar svensk översättning och avsluta med fel.",
        )

    def handle(self, *args, check=False, verbosity=1, **options):
        if not check:
            gather(CATALOGUE.parents[2], verbosity)
            missing = untranslated(CATALOGUE)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                copy = Path(scratch) / "sv" / "LC_MESSAGES" / "django.po"
                copy.parent.mkdir(parents=True)
                shutil.copy(CATALOGUE, copy)
                gather(scratch)
                missing = untranslated(copy)
        for msgid in missing:
            self.stdout.write(f"saknar svenska: {msgid}")
        if check and missing:
            raise CommandError(f"{len(missing)} texter saknar svensk översättning i {CATALOGUE}.")
