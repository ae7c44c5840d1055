"""E-mail alerts: follow a record or a filtered list, confirm, get digests, unsubscribe.

Forms are the ones the pages render, submitted as a browser would (django-webtest). Mail goes
through a real SMTP server in the test process (aiosmtpd), by the same commands an operator's
timer runs. Changes are made by saving models, as the admin does, so they reach the public
change log and the digests the same way.
"""

import asyncio
import email
import os
import re
import subprocess
import sys
from datetime import timedelta
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone, translation

from agreements import alerts, cache
from agreements.models import (
    Cooperation,
    Municipality,
    OutboxMessage,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
    Subscription,
)

from .concurrency import postgresql_only
from .mail import free_port

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "mail"

pytestmark = pytest.mark.django_db

CLIENT = "81.232.10.1"
AGREEMENT = "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/"
PROCUREMENT = "/upphandlingar/askersund-verksamheter-pa-entreprenad/"
FOLLOW = {"": "Bevaka ändringar via e-post", "/en": "Follow changes by e-mail"}
CONFIRM_LINK = re.compile(r"https?://\S+/bevaka/bekrafta/\S+/")
UNSUBSCRIBE_LINK = re.compile(r"https?://\S+/bevaka/avsluta/\S+/")


class FlakyInbox:
    """An SMTP server that answers "try again later" to the first `refusals` messages, then
    accepts; it keeps what it accepted."""

    def __init__(self, refusals=0):
        self.refusals = refusals
        self.refused = 0
        self.messages = []
        self.raw = []  # as received, for reading by eye (test-artifacts/mail/)

    async def handle_DATA(self, server, session, envelope):
        if self.refused < self.refusals:
            self.refused += 1
            return "451 4.3.0 Tillfälligt fel, försök igen senare"
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(message)
        self.raw.append(envelope.original_content)
        return "250 Message accepted for delivery"

    def bodies(self):
        return [m.get_content() for m in self.messages]


@pytest.fixture
def mailserver(settings):
    from aiosmtpd.controller import Controller

    inbox = FlakyInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.REGISTRY_BASE_URL = "https://samverkan.example.se"
    yield inbox
    controller.stop()


@pytest.fixture
def django_app(django_app):
    """A reader's browser over HTTPS, as the site is served (the CSRF cookie is secure-only)."""
    django_app.extra_environ["wsgi.url_scheme"] = "https"
    return django_app


def _post_form(page):
    return next(form for form in page.forms.values() if form.method.lower() == "post")


def _follow_form(app, page_url, remote_addr=CLIENT):
    """The follow form, reached as a reader reaches it: the link on the page followed."""
    language = "/en" if page_url.startswith("/en/") else ""
    page = app.get(page_url, extra_environ={"REMOTE_ADDR": remote_addr})
    return page.click(description=FOLLOW[language])


def _subscribe(app, page_url, address="lisa@example.se", frequency="daily", remote_addr=CLIENT,
               status=None):  # fmt: skip
    form = _post_form(_follow_form(app, page_url, remote_addr))
    form["email"] = address
    form["frequency"] = frequency
    return form.submit(extra_environ={"REMOTE_ADDR": remote_addr}, status=status)


def _deliver(now=None):
    args = ["--now", now.isoformat()] if now else []
    call_command("deliver_outbox", *args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _digests(now):
    call_command("send_digests", "--now", now.isoformat(), stdout=open("/dev/null", "w"))  # noqa: SIM115


def _header(message, name):
    """A header as a mail program shows it: a long one is folded from its first line."""
    return " ".join(str(message[name]).split())


def _path(link):
    return urlsplit(link).path


def _confirm_from_mail(app, message):
    link = CONFIRM_LINK.search(message.get_content()).group(0)
    page = app.get(_path(link))
    return _post_form(page).submit()


def _subscribed(app, mailserver, page_url=AGREEMENT, **kwargs):
    """Follow `page_url`, then confirm from the mail as its owner would. Returns the mail."""
    _subscribe(app, page_url, **kwargs).follow()
    _deliver()
    confirmation = mailserver.messages[-1]
    _confirm_from_mail(app, confirmation)
    return confirmation


def _add_askersund_to_agreement():
    """A real change, saved as the admin saves it: a party joins the agreement."""
    return Party.objects.create(
        cooperation=Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg"),
        municipality=Municipality.objects.get(code="1882"),
        level="decision",
        role="participant",
    )


def _tomorrow():
    """Six in the morning tomorrow, local time: the worker's run after today's period has
    closed and settled, whenever the suite runs. A day from now was not that within
    `alerts.SETTLE` after midnight (the day's changes were still in an open period), and an
    hour of runs from it could cross the next midnight."""
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1))
    return tomorrow.replace(hour=6, minute=0, second=0, microsecond=0)


# --- following --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["", "/en"])
@pytest.mark.parametrize("path", ["/kommuner/laxa/", AGREEMENT, PROCUREMENT])
def test_every_followable_record_page_links_to_a_form_naming_the_record(
    seed, django_app, path, language
):
    name = django_app.get(language + path).html.h1.get_text(strip=True)
    form_page = _follow_form(django_app, language + path)
    assert name in form_page.html.h1.get_text(strip=True)
    assert _post_form(form_page).action == form_page.request.path


def test_a_list_page_links_to_following_it_with_its_current_filters(seed, django_app):
    form_page = _follow_form(django_app, "/upphandlingar/?municipality=askersund&cpv=&o=title")
    query = parse_qs(urlsplit(form_page.request.url).query)
    # Empty filters and the sorting are not part of what is followed.
    assert query == {"lista": ["upphandlingar"], "municipality": ["askersund"]}
    assert "Kommun: Askersund" in form_page.html.h1.get_text(" ", strip=True)


def test_a_list_with_filters_the_list_refuses_cannot_be_followed(seed, django_app):
    response = django_app.get("/bevaka/?lista=upphandlingar&cpv=abc", status=400)
    assert "Ange början av en CPV-kod" in response.text
    response = django_app.get("/bevaka/?lista=samverkan&cpv=7731", status=400)
    assert "känner till: cpv." in response.text
    # What the page understands is the followed list's filters, not every list's.
    understood = response.html.find(string=re.compile("Sidan förstår"))
    assert "municipality" in understood
    assert "cpv" not in understood
    assert django_app.get("/bevaka/?lista=okand", status=400)


def test_nothing_is_sent_but_the_confirmation_until_the_address_confirms(
    seed, django_app, mailserver
):
    page = _subscribe(django_app, AGREEMENT).follow()
    assert "Titta i din inkorg" in page.text
    _deliver()
    _add_askersund_to_agreement()
    _digests(_tomorrow())
    _deliver(_tomorrow())
    [confirmation] = mailserver.messages
    assert confirmation["To"] == "lisa@example.se"
    assert _header(confirmation, "Subject") == "Bekräfta din bevakning i Samverkansregistret"
    assert CONFIRM_LINK.search(confirmation.get_content())


def test_the_confirmation_link_asks_before_it_confirms(seed, django_app, mailserver):
    _subscribe(django_app, AGREEMENT)
    _deliver()
    link = CONFIRM_LINK.search(mailserver.messages[0].get_content()).group(0)
    assert link.startswith("https://samverkan.example.se/bevaka/bekrafta/")
    page = django_app.get(_path(link))  # what a mail scanner's prefetch does
    assert Subscription.objects.get().confirmed_at is None
    done = _post_form(page).submit()
    assert "Bevakningen är bekräftad" in done.text
    assert Subscription.objects.get().confirmed_at is not None


def test_a_forged_confirmation_link_is_refused_with_a_page_that_says_so(seed, django_app):
    response = django_app.get("/bevaka/bekrafta/falsk:nyckel/", status=404)
    assert "Länken gäller inte" in response.text


def test_asking_again_for_a_followed_thing_gives_the_same_page_and_no_mail(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver)
    again = _subscribe(django_app, AGREEMENT).follow()
    stranger = _subscribe(django_app, AGREEMENT, address="ny@example.se").follow()
    assert again.html.main.get_text() == stranger.html.main.get_text()
    _deliver()
    assert [m["To"] for m in mailserver.messages] == ["lisa@example.se", "ny@example.se"]
    assert Subscription.objects.get(email="lisa@example.se").frequency == "daily"


# --- digests ----------------------------------------------------------------------------------


def test_a_digest_says_in_the_change_logs_words_what_changed_with_links(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver)
    _add_askersund_to_agreement()
    _digests(_tomorrow())
    _deliver(_tomorrow())
    digest = mailserver.messages[-1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "digest.eml").write_bytes(mailserver.raw[-1])
    body = digest.get_content()
    assert _header(digest, "Subject") == (
        "Ändringar i Samverkansregistret: samverkan Avtalssamverkan om upphandling mellan "
        "Hallsberg, Laxå och Lekeberg"
    )
    # The same words as the public change log.
    log = django_app.get(AGREEMENT + "andringar/").html.select_one("ol.log > li > ul > li")
    assert log.get_text(" ", strip=True) in body
    assert "Part tillagd: Askersund (Beslut fattat, deltagare)" in body
    assert f"https://samverkan.example.se{AGREEMENT}" in body
    assert f"https://samverkan.example.se{AGREEMENT}andringar/" in body
    assert UNSUBSCRIBE_LINK.search(body)


def test_a_period_without_changes_sends_no_mail(seed, django_app, mailserver):
    _subscribed(django_app, mailserver)
    _digests(_tomorrow())
    _digests(_tomorrow() + timedelta(days=1))
    _deliver(_tomorrow() + timedelta(days=1))
    assert len(mailserver.messages) == 1  # the confirmation
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="digest:").exists()


def test_every_mail_arrives_exactly_once_across_an_smtp_outage_and_worker_restarts(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver)
    _add_askersund_to_agreement()
    mailserver.refusals = 3  # "451 try again later", three times
    # The hour of restarts below stays within one period (_tomorrow: six in the morning).
    now = _tomorrow()
    _digests(now)
    _digests(now)  # the timer fires again, or a second worker starts: nothing new
    for minutes in range(0, 60, 1):
        # The worker is started afresh each minute (a restart), with the clock moving on.
        _deliver(now + timedelta(minutes=minutes))
        _digests(now + timedelta(minutes=minutes))
    assert mailserver.refused == 3
    digests = [m for m in mailserver.messages if _header(m, "Subject").startswith("Ändringar")]
    assert len(digests) == 1
    row = OutboxMessage.objects.get(idempotency_key__startswith="digest:")
    assert (row.status, row.attempts) == ("sent", 4)
    # The next period's change comes in the next period's digest, and only there.
    _reword_the_agreements_purpose(at=now + timedelta(hours=1))
    later = now + timedelta(days=1)
    for _round in range(3):
        _digests(later)
        _deliver(later)
    digests = [m for m in mailserver.messages if _header(m, "Subject").startswith("Ändringar")]
    assert len(digests) == 2
    assert "Att gemensamt klara upphandlingar" in digests[1].get_content()
    assert "Att gemensamt klara upphandlingar" not in digests[0].get_content()
    assert len({_header(m, "Message-ID") for m in digests}) == 2


def _reword_the_agreements_purpose(at):
    """A change saved at `at`, in the period after the first digest's (the clock cannot be
    moved, so the change's history row is dated as it would have been)."""
    cooperation = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    cooperation.purpose = "Att gemensamt klara upphandlingar med en delad upphandlare."
    cooperation.save()
    latest = cooperation.history.latest("history_id").pk
    Cooperation.history.filter(pk=latest).update(history_date=at)


def test_a_change_saved_before_midnight_and_committed_after_reaches_that_days_digest(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver)
    midnight = alerts.period_end("daily", _tomorrow())  # tonight's, local time
    # The timer fires just after midnight, while an editor's save is still being committed.
    _digests(midnight + timedelta(minutes=1))
    _reword_the_agreements_purpose(at=midnight - timedelta(seconds=1))
    for minutes in (2, 6, 10):
        _digests(midnight + timedelta(minutes=minutes))
        _deliver(midnight + timedelta(minutes=minutes))
    digests = [m for m in mailserver.messages if _header(m, "Subject").startswith("Ändringar")]
    assert len(digests) == 1
    assert "Att gemensamt klara upphandlingar" in digests[0].get_content()


def test_a_mail_waits_in_the_outbox_while_the_smtp_server_is_down(seed, django_app, settings):
    _subscribe(django_app, AGREEMENT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    _deliver()
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > timezone.now()


def test_the_retries_back_off_exponentially():
    assert [alerts.backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
    ]
    assert alerts.backoff(20) == timedelta(hours=6)


def test_every_mail_has_one_click_unsubscribe_headers_and_a_stable_message_id(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver)
    _add_askersund_to_agreement()
    _digests(_tomorrow())
    _deliver(_tomorrow())
    for message in mailserver.messages:
        link = UNSUBSCRIBE_LINK.search(message.get_content()).group(0)
        assert _header(message, "List-Unsubscribe") == f"<{link}>"
        assert _header(message, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
        assert _header(message, "Message-ID").endswith("@samverkan.example.se>")
    digest = OutboxMessage.objects.get(idempotency_key__startswith="digest:")
    assert _header(mailserver.messages[-1], "Message-ID") == digest.message_id


def test_one_click_unsubscribe_by_post_deletes_the_address_without_a_csrf_token(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver)
    _add_askersund_to_agreement()
    _digests(_tomorrow())  # a digest waits in the outbox
    link = _header(mailserver.messages[0], "List-Unsubscribe").strip("<>")
    response = django_app.post(
        _path(link),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not Subscription.objects.exists()
    assert not OutboxMessage.objects.filter(recipient="lisa@example.se", status="pending")
    _deliver(_tomorrow())
    assert len(mailserver.messages) == 1  # the waiting digest went with the address


def test_the_unsubscribe_link_shows_one_button_and_deletes_on_press(seed, django_app, mailserver):
    confirmation = _subscribed(django_app, mailserver)
    link = UNSUBSCRIBE_LINK.search(confirmation.get_content()).group(0)
    page = django_app.get(_path(link))
    assert Subscription.objects.exists()
    done = _post_form(page).submit()
    assert "Du bevakar inte längre" in done.text
    assert not Subscription.objects.exists()
    # The link still answers, and says the same.
    assert "Du bevakar inte längre" in django_app.get(_path(link)).text


def test_an_english_follower_gets_english_mail_with_english_links(seed, django_app, mailserver):
    _subscribed(django_app, mailserver, page_url="/en" + AGREEMENT)
    _add_askersund_to_agreement()
    _digests(_tomorrow())
    _deliver(_tomorrow())
    confirmation, digest = mailserver.messages
    assert _header(confirmation, "Subject") == "Confirm your alert from Samverkansregistret"
    assert digest["Content-Language"] == "en"
    body = digest.get_content()
    assert "Party added: Askersund" in body
    assert f"https://samverkan.example.se/en{AGREEMENT}" in body


def test_a_followed_list_tells_only_the_changes_to_records_matching_its_filters(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver, page_url="/upphandlingar/?municipality=laxa")
    for title, slug, code in [("Skolskjuts", "laxa-skolskjuts", "1860"),
                              ("Snöröjning", "askersund-snorojning", "1882")]:  # fmt: skip
        procurement = PlannedProcurement.objects.create(
            title=title, slug=slug, status="planned", procurement_year=2027
        )
        ProcurementBuyer.objects.create(
            procurement=procurement, municipality=Municipality.objects.get(code=code)
        )
    _digests(_tomorrow())
    _deliver(_tomorrow())
    body = mailserver.messages[-1].get_content()
    assert "Skolskjuts: Registrerad" in body
    assert "Snöröjning" not in body
    assert "/upphandlingar/laxa-skolskjuts/" in body


def test_a_weekly_follower_gets_the_weeks_changes_on_monday(seed, django_app, mailserver):
    _subscribed(django_app, mailserver, frequency="weekly")
    _add_askersund_to_agreement()
    _digests(_tomorrow())
    _deliver(_tomorrow())
    monday = alerts.period_end("weekly", timezone.now()) + timedelta(days=7, hours=6)
    if alerts.period_end("weekly", _tomorrow()) > timezone.now():
        # Tomorrow is already a Monday: that week's digest has gone out with it.
        assert len(mailserver.messages) == 2
        return
    assert len(mailserver.messages) == 1
    _digests(monday)
    _deliver(monday)
    assert len(mailserver.messages) == 2


# --- abuse and privacy ------------------------------------------------------------------------


def test_one_address_gets_at_most_three_confirmation_mails_a_day(
    seed, django_app, mailserver, settings
):
    settings.REGISTRY_ALERTS_PER_HOUR = 100
    pages = ["/kommuner/laxa/", "/kommuner/askersund/", AGREEMENT, PROCUREMENT]
    answers = [_subscribe(django_app, page).follow().html.main.get_text() for page in pages]
    _deliver()
    assert len(mailserver.messages) == 3
    assert len(set(answers)) == 1  # the fourth request looks the same to whoever sent it


def test_too_many_requests_from_one_client_answer_429_and_keep_the_form(seed, django_app, settings):
    settings.REGISTRY_ALERTS_PER_HOUR = 2
    _subscribe(django_app, AGREEMENT, address="a@example.se")
    _subscribe(django_app, AGREEMENT, address="b@example.se")
    refused = _subscribe(django_app, AGREEMENT, address="c@example.se", status=429)
    assert "För många förfrågningar på kort tid" in refused.text
    assert _post_form(refused)["email"].value == "c@example.se"
    assert not Subscription.objects.filter(email="c@example.se").exists()
    # Another client is not held back by this one.
    _subscribe(django_app, AGREEMENT, address="c@example.se", remote_addr="90.224.20.2")
    assert Subscription.objects.filter(email="c@example.se").exists()


def test_the_rate_limit_keeps_no_ip_address(seed, django_app):
    from agreements.models import AlertRequest

    _subscribe(django_app, AGREEMENT)
    [request] = AlertRequest.objects.all()
    assert CLIENT not in request.client_key and len(request.client_key) == 64


def test_an_invalid_address_is_refused_with_a_message_and_nothing_stored(seed, django_app):
    page = _subscribe(django_app, AGREEMENT, address="inte en adress", status=400)
    assert "Skriv en e-postadress som namn@exempel.se." in page.text
    assert not Subscription.objects.exists()


def test_unconfirmed_addresses_are_deleted_after_the_set_days(seed, django_app, settings):
    settings.REGISTRY_ALERTS_UNCONFIRMED_DAYS = 7
    _subscribe(django_app, AGREEMENT)
    _digests(timezone.now() + timedelta(days=6))
    assert Subscription.objects.exists()
    _digests(timezone.now() + timedelta(days=7, minutes=1))
    assert not Subscription.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_following_leaves_the_page_cache_alone(seed, django_app, mailserver):
    before = cache.generation()
    _subscribed(django_app, mailserver)
    _digests(_tomorrow())
    assert cache.generation() == before


def test_the_about_page_says_what_alert_addresses_are_kept_for(seed, django_app):
    text = django_app.get("/om-registret/").html.main.get_text(" ", strip=True)
    assert "bevaka" in text.lower()
    assert "raderas" in text
    english = django_app.get("/en/om-registret/").html.main.get_text(" ", strip=True)
    assert "alert" in english.lower()


# --- operations -------------------------------------------------------------------------------


def test_healthz_is_degraded_when_mail_waits_too_long(seed, client, settings):
    settings.REGISTRY_OUTBOX_LATE_MINUTES = 30
    assert client.get("/healthz").json()["outbox"]["status"] == "ok"
    OutboxMessage.objects.create(
        idempotency_key="test:1",
        recipient="a@example.se",
        subject="x",
        body="x",
        next_attempt_at=timezone.now(),
    )
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["outbox"]["status"] == "late"


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # The change mark (HTTP validators), the record.
        (AGREEMENT + "bevaka/", 2),
        # The change mark, the municipality the filter names.
        ("/bevaka/?lista=upphandlingar&municipality=askersund", 2),
        ("/bevaka/skickat/", 1),
    ],
)
def test_the_follow_pages_query_budget(seed, client, path, queries):
    from .conftest import count_queries

    assert count_queries(client, path) == queries


# --- two workers at once ----------------------------------------------------------------------


class SlowInbox(FlakyInbox):
    """Takes a while over each message, so that two workers are sending at the same time."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.1)
        return await super().handle_DATA(server, session, envelope)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_at_once_send_every_mail_exactly_once(seed, settings):
    """Two `deliver_outbox` processes, as on two servers: each row is claimed by one only."""
    from aiosmtpd.controller import Controller

    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    now = timezone.now()
    for n in range(40):
        OutboxMessage.objects.create(
            idempotency_key=f"test:{n}", recipient=f"r{n}@example.se", subject=f"Nr {n}",
            body="x", next_attempt_at=now,
        )  # fmt: skip
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(controller.port),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
    }
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    try:
        workers = [
            subprocess.Popen(
                [sys.executable, str(manage), "deliver_outbox"],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _worker in range(2)
        ]
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        controller.stop()
    assert all(worker.returncode == 0 for worker in workers), outputs
    subjects = sorted(_header(m, "Subject") for m in inbox.messages)
    assert subjects == sorted(f"Nr {n}" for n in range(40))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    # Both took part: the rows were shared, not sent by one while the other waited.
    assert all(not output.startswith("0 skickade") for output, _err in outputs), outputs


class RefusingInbox(FlakyInbox):
    """An SMTP server that refuses every message with `reply`."""

    def __init__(self, reply):
        super().__init__()
        self.reply = reply

    async def handle_DATA(self, server, session, envelope):
        return self.reply


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("451 4.3.0 Försök igen senare", "pending"),  # for now: never given up
        ("550 5.1.1 Ingen sådan brevlåda", "failed"),  # for good: given up after three tries
    ],
)
def test_a_temporary_refusal_is_retried_for_as_long_as_it_lasts_a_permanent_one_is_not(
    seed, django_app, settings, reply, status
):
    from aiosmtpd.controller import Controller

    controller = Controller(RefusingInbox(reply), hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    try:
        _subscribe(django_app, AGREEMENT)
        for day in range(10):
            _deliver(timezone.now() + timedelta(days=day))
    finally:
        controller.stop()
    row = OutboxMessage.objects.get()
    assert row.status == status
    assert row.attempts == (10 if status == "pending" else 3)
    assert reply.split()[0] in row.last_error


def test_a_followed_list_whose_filter_value_is_gone_tells_nothing_rather_than_everything(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver, page_url="/upphandlingar/?municipality=laxa")
    # As if Laxå had left the registry since: the filter no longer names anything.
    Subscription.objects.update(list_query="municipality=finns-inte")
    procurement = PlannedProcurement.objects.create(
        title="Skolskjuts", slug="askersund-skolskjuts", status="planned", procurement_year=2027
    )
    ProcurementBuyer.objects.create(
        procurement=procurement, municipality=Municipality.objects.get(code="1882")
    )
    _digests(_tomorrow())
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="digest:").exists()


# --- found in review (issue 14 follow-up) -----------------------------------------------------


def test_an_english_followers_digest_tells_the_changes_in_the_change_logs_english_words(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver, page_url="/en" + AGREEMENT)
    cooperation = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    cooperation.purpose = "Att gemensamt klara upphandlingar med en delad upphandlare."
    cooperation.save()
    # The timer's command runs in the site's language, whoever the mail is for.
    with translation.override("sv"):
        _digests(_tomorrow())
    _deliver(_tomorrow())
    body = mailserver.messages[-1].get_content()
    log = django_app.get("/en" + AGREEMENT + "andringar/").html.select_one("ol.log > li")
    assert "Changed" in log.get_text(" ", strip=True)
    assert ": Changed " in body
    assert "- Details changed" in body
    assert "  Purpose: “" in body  # English quotation marks in an English mail
    assert "Ändrad" not in body
    assert "Uppgifterna ändrade" not in body


def _unsubscribe_link(django_app, mailserver):
    confirmation = _subscribed(django_app, mailserver)
    return _path(UNSUBSCRIBE_LINK.search(confirmation.get_content()).group(0))


def _damaged(link):
    token = link.rstrip("/").rsplit("/", 1)[1]
    return {
        "truncated": link.replace(token, token[:-3]),
        "altered": link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B")),
    }


@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_a_damaged_unsubscribe_link_opened_says_the_link_is_not_valid(
    seed, django_app, mailserver, damage
):
    link = _damaged(_unsubscribe_link(django_app, mailserver))[damage]
    page = django_app.get(link, status=404)
    assert "Länken gäller inte" in page.text
    assert "Du bevakar inte längre" not in page.text
    # An unsubscribe link never expires: the page must not send the reader looking for a
    # newer one because of its age.
    assert "äldre än" not in page.text
    assert "Använd länken i det senaste mejlet" in page.text
    assert Subscription.objects.exists()


@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_a_damaged_unsubscribe_link_posted_deletes_nothing_and_says_so(
    seed, django_app, mailserver, damage
):
    link = _damaged(_unsubscribe_link(django_app, mailserver))[damage]
    page = django_app.post(link, status=404)
    assert "Länken gäller inte" in page.text
    assert "adressen är raderad" not in page.text
    assert Subscription.objects.exists()


def test_a_damaged_one_click_unsubscribe_is_refused_and_deletes_nothing(
    seed, django_app, mailserver
):
    link = _damaged(_unsubscribe_link(django_app, mailserver))["truncated"]
    django_app.post(
        link,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        status=404,
    )
    assert Subscription.objects.exists()


def test_a_valid_unsubscribe_link_for_a_gone_subscription_says_it_is_gone(
    seed, django_app, mailserver
):
    link = _unsubscribe_link(django_app, mailserver)
    Subscription.objects.all().delete()
    for page in (django_app.get(link), django_app.post(link)):
        assert "Bevakningen finns inte längre" in page.text
        assert "adressen är raderad" not in page.text


@pytest.mark.parametrize(
    ("language", "removed", "ended"),
    [
        ("", "har tagits bort ur registret", "Bevakningen har upphört"),
        ("/en", "has been removed from the registry", "Your alert has ended"),
    ],
)
def test_deleting_a_followed_record_sends_its_followers_a_last_mail_saying_so(
    seed, django_app, mailserver, language, removed, ended
):
    _subscribed(django_app, mailserver, page_url=language + PROCUREMENT)
    PlannedProcurement.objects.get(slug="askersund-verksamheter-pa-entreprenad").delete()
    assert not Subscription.objects.exists()
    _deliver()
    last = mailserver.messages[-1]
    body = " ".join(last.get_content().split())
    assert "Askersund" in _header(last, "Subject")
    assert removed in body
    assert ended in body
    assert last["List-Unsubscribe"] is None
    assert not UNSUBSCRIBE_LINK.search(body)


def test_deleting_a_followed_record_writes_no_mail_to_an_unconfirmed_address(seed, django_app):
    _subscribe(django_app, PROCUREMENT)
    before = OutboxMessage.objects.count()
    PlannedProcurement.objects.get(slug="askersund-verksamheter-pa-entreprenad").delete()
    assert OutboxMessage.objects.count() == before - 1  # the confirmation went with it


def test_a_followed_lists_name_is_lower_case_inside_the_sentence(seed, django_app):
    page = django_app.get("/bevaka/?lista=upphandlingar&cpv=7731")
    assert page.html.h1.get_text(" ", strip=True) == (
        "Bevaka upphandlingar som övervägs eller planeras (CPV-kod: 7731)"
    )
    english = django_app.get("/en/bevaka/?lista=upphandlingar&cpv=7731")
    assert english.html.h1.get_text(" ", strip=True).startswith(
        "Follow procurements considered or planned ("
    )


def test_the_follow_form_says_in_plain_swedish_that_no_change_means_no_mail(seed, django_app):
    text = _follow_form(django_app, AGREEMENT).html.main.get_text(" ", strip=True)
    assert "Har inget ändrats får du inget mejl." in text


def test_a_digest_names_and_formats_a_procurements_fields_as_its_page_does(
    seed, django_app, mailserver
):
    _subscribed(django_app, mailserver, page_url=PROCUREMENT)
    procurement = PlannedProcurement.objects.get(slug="askersund-verksamheter-pa-entreprenad")
    procurement.cpv_code = "77310000-6"
    procurement.estimated_value, procurement.currency = 1500000, "SEK"
    procurement.save()
    _digests(_tomorrow())
    _deliver(_tomorrow())
    body = mailserver.messages[-1].get_content()
    page = django_app.get(PROCUREMENT).html.main.get_text(" ", strip=True)
    assert "1\xa0500\xa0000 SEK" in page
    assert "  CPV-kod: ”" in body
    assert "Cpv-kod" not in body
    assert "Uppskattat värde: ”–” → ”1\xa0500\xa0000”" in body


# --- records joining and leaving a followed list ------------------------------------------------


def _procurement(title, slug, code, cpv="", year=2027):
    procurement = PlannedProcurement.objects.create(
        title=title, slug=slug, status="planned", procurement_year=year, cpv_code=cpv
    )
    ProcurementBuyer.objects.create(
        procurement=procurement, municipality=Municipality.objects.get(code=code)
    )
    return procurement


def _section(body, heading):
    """The lines of a digest under `heading`, up to the next blank line."""
    lines = body.splitlines()
    start = lines.index(heading) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def _next_digest(mailserver, days=1):
    when = _tomorrow() + timedelta(days=days - 1)
    _digests(when)
    _deliver(when)
    return mailserver.messages[-1].get_content()


def test_a_followed_list_tells_which_records_have_left_it_and_why(seed, django_app, mailserver):
    moved = _procurement("Skolskjuts", "laxa-skolskjuts", "1860")
    removed = _procurement("Snöröjning", "laxa-snorojning", "1860")
    _subscribed(django_app, mailserver, page_url="/upphandlingar/?municipality=laxa")
    # Laxå hands the school transport to Askersund, and the snow clearing is withdrawn.
    buyer = moved.buyers.get()
    buyer.municipality = Municipality.objects.get(code="1882")
    buyer.save()
    removed.delete()
    body = _next_digest(mailserver)
    # The change that took it out of the list is told too, though it is no longer in the list.
    assert "Skolskjuts: Ändrad" in body
    assert _section(body, "Inte längre i listan:") == [
        "- Skolskjuts: https://samverkan.example.se/upphandlingar/laxa-skolskjuts/",
        "- Snöröjning (borttagen ur registret)",
    ]
    assert re.search(
        r"Listan som den ser ut nu, [-0-9 .]+, jämfört med när du började bevaka", body
    )
    assert "Nytt i listan:" not in body


def test_a_followed_list_tells_which_records_have_joined_it(seed, django_app, mailserver):
    _subscribed(django_app, mailserver, page_url="/upphandlingar/?municipality=laxa")
    _procurement("Skolskjuts", "laxa-skolskjuts", "1860")
    _procurement("Snöröjning", "askersund-snorojning", "1882")
    body = _next_digest(mailserver)
    assert _section(body, "Nytt i listan:") == [
        "- Skolskjuts: https://samverkan.example.se/upphandlingar/laxa-skolskjuts/"
    ]
    assert "Snöröjning" not in body
    assert "Inte längre i listan:" not in body


def test_the_finder_can_be_followed_and_tells_procurements_gaining_and_losing_a_partner(
    seed, django_app, mailserver
):
    _procurement("Gator Laxå", "gator-laxa", "1860", cpv="45233000-9")
    finder = django_app.get("/mojligheter/?year=2027")
    form_page = finder.click(description=FOLLOW[""])
    assert "upphandlingar som kan göras gemensamt (Upphandlingsår" in form_page.text
    _subscribed(django_app, mailserver, page_url="/mojligheter/?year=2027")
    partner = _procurement("Gator Askersund", "gator-askersund", "1882", cpv="45233100-0")
    body = _next_digest(mailserver)
    assert _section(body, "Har fått en matchning i listan:") == [
        "- Gator Askersund: https://samverkan.example.se/upphandlingar/gator-askersund/",
        "  Kan göras med Gator Laxå (Laxå)",
        "- Gator Laxå: https://samverkan.example.se/upphandlingar/gator-laxa/",
        "  Kan göras med Gator Askersund (Askersund)",
    ]
    # Askersund awards its contract alone: neither procurement has a partner any longer.
    partner.status = "awarded"
    partner.save()
    body = _next_digest(mailserver, days=2)
    assert _section(body, "Har inte längre någon matchning i listan:") == [
        "- Gator Askersund: https://samverkan.example.se/upphandlingar/gator-askersund/",
        "  Upphandlingen är tilldelad, så den söker inga partner.",
        "- Gator Laxå: https://samverkan.example.se/upphandlingar/gator-laxa/",
    ]
    # Compared with the list the first digest told, not with the one at the start.
    assert "när du började" not in body
    compared = re.compile(
        r"Listan som den ser ut nu, \d{4}-\d\d-\d\d \d\d\.\d\d, "
        r"jämfört med \d{4}-\d\d-\d\d \d\d\.\d\d:"
    )
    assert any(compared.fullmatch(line) for line in body.splitlines())


def test_a_digest_tells_a_removed_record_by_its_last_name_without_a_dead_link(
    seed, django_app, mailserver
):
    withdrawn = _procurement("Skolskjuts", "laxa-skolskjuts", "1860")
    _subscribed(django_app, mailserver, page_url="/kommuner/laxa/")
    withdrawn.delete()
    body = _next_digest(mailserver)
    lines = body.splitlines()
    told = next(line for line in lines if line.startswith("Skolskjuts: Borttagen "))
    assert lines[lines.index(told) + 1] == ""  # no page and no change log: both are gone
    assert "laxa-skolskjuts" not in body


def test_a_municipality_follower_is_told_when_it_leaves_a_cooperation(seed, django_app, mailserver):
    party = _add_askersund_to_agreement()
    _subscribed(django_app, mailserver, page_url="/kommuner/askersund/")
    party.delete()
    body = _next_digest(mailserver)
    assert "Part borttagen: Askersund" in body


def test_a_municipality_follower_is_told_when_a_procurement_moves_to_another_buyer(
    seed, django_app, mailserver
):
    moved = _procurement("Skolskjuts", "laxa-skolskjuts", "1860")
    _subscribed(django_app, mailserver, page_url="/kommuner/laxa/")
    buyer = moved.buyers.get()
    buyer.municipality = Municipality.objects.get(code="1861")
    buyer.save()
    body = _next_digest(mailserver)
    assert "Skolskjuts: Ändrad" in body
    assert "”Laxå” → ”Hallsberg”" in body


def test_a_too_long_address_is_refused_in_plain_swedish_with_the_form_kept(seed, django_app):
    form = _post_form(_follow_form(django_app, AGREEMENT))
    form["email"] = "a" * 300 + "@example.se"
    page = form.submit(status=400)
    assert "Adressen får vara högst 254 tecken lång (den du skrev har 311)." in page.text
    assert "den har" not in page.text


def test_an_unknown_list_is_named_back_escaped_with_the_lists_there_are(seed, django_app):
    page = django_app.get("/bevaka/?lista=<b>x</b>", status=400)
    assert "Det finns ingen lista som heter ”<b>x</b>”." in page.html.get_text()
    assert "<b>x</b>" not in page.text  # shown as text, never as markup
    assert "Listorna heter kommuner, samverkan, upphandlingar, mojligheter." in page.text


def test_an_english_digest_writes_times_and_quotes_as_english_does(seed, django_app, mailserver):
    _procurement("Skolskjuts", "laxa-skolskjuts", "1860")
    _subscribed(django_app, mailserver, page_url="/en/upphandlingar/?municipality=laxa")
    moved = PlannedProcurement.objects.get(slug="laxa-skolskjuts").buyers.get()
    moved.municipality = Municipality.objects.get(code="1861")
    moved.save()
    body = _next_digest(mailserver)
    assert re.search(r"The list as it is now, \d{4}-\d\d-\d\d \d\d:\d\d, compared with", body)
    assert "Municipality: “Laxå” → “Hallsberg”" in body
    assert "All times are Swedish time." in body
    log = django_app.get("/en/upphandlingar/laxa-skolskjuts/andringar/")
    assert "Municipality: “Laxå” → “Hallsberg”" in log.html.get_text()
