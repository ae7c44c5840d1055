"""Real headless Chromium (Debian's) driven by Playwright, against pytest-django's live server.

Locally, without chromium or the npm tools these tests skip with a loud reason; under CI they
fail instead, so a green CI run always includes them.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import override_settings

from ..conftest import commit_database

# Playwright's sync API runs an event loop in this thread; the ORM must still be usable here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def nu_html_errors(files):
    """The Nu HTML checker's errors in saved pages: [(file, message)]."""
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [(m.get("url", "").removeprefix("file:"), m["message"]) for m in messages]


def _missing():
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE_JS.exists() or not VNU_JAR.exists():
        missing.append("axe-core and vnu-jar (npm ci)")
    if not shutil.which("java"):
        missing.append("java for the Nu HTML checker")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright for Python (pip install -e '.[dev]')")
    return missing


@pytest.fixture(scope="session")
def browser():
    missing = _missing()
    if missing:
        message = "BROWSER TESTS NOT RUN, missing: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def seeded_live_server(live_server, django_db_setup, django_db_blocker):
    """The live server with the seed loaded once per module (pages are only read).

    The database stays unblocked for the module because module-scoped fixtures (the crawl)
    make the server thread query outside any single test.
    """
    # Absolute links (the sitemap the crawl follows) lead to this server.
    with django_db_blocker.unblock(), override_settings(REGISTRY_BASE_URL=live_server.url):
        commit_database("seed")
        yield live_server


@pytest.fixture
def live_site(live_server, seed, settings):
    """The live server with the seed, for one test.

    pytest-django gives every test that uses live_server a transactional database that is
    emptied afterwards; the `seed` fixture commits the seed before each such test.
    """
    settings.REGISTRY_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def page(browser):
    # bypass_csp lets axe-core be injected; the site itself never relaxes its policy.
    context = browser.new_context(bypass_csp=True, locale="sv-SE")
    page = context.new_page()
    yield page
    context.close()


def choose(page, select_id, text, option=None):
    """Pick in an autocomplete field, as staff do: open it, type `text`, click the match
    (the first result that contains `option`, or else `text`)."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    results = page.locator(".select2-container--open .select2-results__option")
    results.filter(has_text=option or text).first.click()
