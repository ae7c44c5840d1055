"""The public reports errors on a record's page; staff answer and close the reports in the admin.

Every form is the one the page renders, submitted as a browser would (django-webtest). Mail goes
through a real SMTP server in the test process (tests/mail.py).
"""

import re

import pytest
from django.urls import reverse

from agreements import cache
from agreements.models import (
    Cooperation,
    ErrorReport,
    Municipality,
    PlannedProcurement,
    SourceDocument,
)

pytestmark = pytest.mark.django_db

CLIENT = "81.232.10.1"
OTHER_CLIENT = "90.224.20.2"
RECORD_PAGES = [
    "/kommuner/laxa/",
    "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/",
    "/upphandlingar/askersund-verksamheter-pa-entreprenad/",
    "/kallor/askersund-svar-interpellation-upphandling/",
]
LINK_TEXT = {"": "Rapportera fel i uppgiften", "/en": "Report an error in this information"}


def _report_form(app, record_page, remote_addr=CLIENT):
    """The report form, reached as a reader reaches it: the link on the record's page."""
    page = app.get(record_page, extra_environ={"REMOTE_ADDR": remote_addr})
    language = "/en" if record_page.startswith("/en/") else ""
    form_page = page.click(description=LINK_TEXT[language])
    return form_page.forms[0]


def _submit(form, remote_addr=CLIENT, status=None, **values):
    for name, value in values.items():
        form[name] = value
    return form.submit(extra_environ={"REMOTE_ADDR": remote_addr}, status=status)


def _file(app, record_page="/kommuner/laxa/", remote_addr=CLIENT, **values):
    values.setdefault("text", "Laxå finansierar 0,4 av tjänsten, inte 0,5.")
    form = _report_form(app, record_page, remote_addr)
    return _submit(form, remote_addr, **values)


@pytest.fixture
def django_app(django_app):
    """A reader's browser over HTTPS, as the site is served (the CSRF cookie is secure-only)."""
    django_app.extra_environ["wsgi.url_scheme"] = "https"
    return django_app


# --- the public form --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["", "/en"])
@pytest.mark.parametrize("path", RECORD_PAGES)
def test_every_record_page_links_to_a_form_naming_the_record(seed, django_app, path, language):
    form_page = django_app.get(language + path).click(description=LINK_TEXT[language])
    h1 = form_page.html.h1.get_text(strip=True)
    record_name = django_app.get(language + path).html.h1.get_text(strip=True)
    assert record_name in h1
    assert form_page.forms[0].action == form_page.request.path


def test_a_report_needs_no_account_and_ends_on_a_thank_you_page(seed, django_app):
    response = _file(
        django_app,
        text="Laxå betalar 0,4 av tjänsten enligt beslutet.",
        source_url="https://www.laxa.se/beslut/2026-12",
        email="lisa@example.se",
    )
    assert response.status_code == 302
    thanks = response.follow()
    assert thanks.request.path == "/kommuner/laxa/rapportera-fel/tack/"
    assert thanks.html.h1.get_text(strip=True) == "Tack för din rapport"
    report = ErrorReport.objects.get()
    assert (report.record, report.page, report.language, report.status) == (
        Municipality.objects.get(slug="laxa"),
        "/kommuner/laxa/",
        "sv",
        ErrorReport.Status.NEW,
    )
    assert report.source_url == "https://www.laxa.se/beslut/2026-12"
    assert report.email == "lisa@example.se"


def test_the_thank_you_page_repeats_nothing_the_person_typed(seed, django_app):
    thanks = _file(
        django_app, text="Fel siffra: Trollsländeskog", email="trollslanda@example.se"
    ).follow()
    assert "Trollsländeskog" not in thanks.text
    assert "trollslanda@example.se" not in thanks.text


def test_an_english_report_is_filed_in_english(seed, django_app):
    thanks = _file(django_app, "/en/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/").follow()
    assert thanks.html.h1.get_text(strip=True) == "Thank you for your report"
    report = ErrorReport.objects.get()
    assert (report.record.slug, report.language) == (
        "avtalssamverkan-hallsberg-laxa-lekeberg",
        "en",
    )


def test_the_form_says_what_the_email_is_for_and_when_it_is_deleted(seed, django_app):
    form_page = django_app.get("/kommuner/laxa/rapportera-fel/")
    help_text = form_page.html.select_one("#id_email_helptext").get_text(" ", strip=True)
    assert "enbart för att svara dig" in help_text
    assert "raderar den när rapporten är färdigbehandlad" in help_text


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(seed, django_app):
    form_page = django_app.get("/kommuner/laxa/rapportera-fel/")
    field = form_page.html.select_one("input[name=webbplats]")
    wrapper = field.parent
    assert "visually-hidden" in wrapper["class"]
    assert wrapper["aria-hidden"] == "true"
    assert (field["tabindex"], field["autocomplete"]) == ("-1", "off")
    assert wrapper.label.get_text(strip=True) == "Lämna fältet tomt"


def test_a_filled_honeypot_stores_nothing_and_looks_accepted(seed, django_app):
    response = _file(django_app, webbplats="https://spam.example.com")
    assert response.status_code == 302
    assert response.follow().html.h1.get_text(strip=True) == "Tack för din rapport"
    assert not ErrorReport.objects.exists()


def test_the_sixth_report_within_the_hour_gets_429_with_the_text_kept(seed, django_app, settings):
    assert settings.REGISTRY_REPORTS_PER_HOUR == 5
    for n in range(5):
        assert _file(django_app, text=f"Rapport {n}").status_code == 302
    refused = _file(
        django_app,
        text="Sjätte rapporten: <b>Lekeberg</b> saknas",
        source_url="https://lekeberg.se/beslut",
        email="sjatte@example.se",
        status=429,
    )
    assert "För många rapporter på kort tid" in refused.html.select_one("#fel h2").text
    form = refused.forms[0]
    assert form["text"].value == "Sjätte rapporten: <b>Lekeberg</b> saknas"
    assert form["source_url"].value == "https://lekeberg.se/beslut"
    assert form["email"].value == "sjatte@example.se"
    assert "<b>Lekeberg</b>" not in refused.text  # kept, and escaped
    assert ErrorReport.objects.count() == 5


def test_the_limit_is_said_in_english_on_english_pages(seed, django_app, settings):
    settings.REGISTRY_REPORTS_PER_HOUR = 1
    _file(django_app, "/en/kommuner/laxa/")
    refused = _file(django_app, "/en/kommuner/laxa/", status=429)
    assert "Too many reports in a short time" in refused.html.select_one("#fel h2").text


def test_the_limit_counts_each_client_apart(seed, django_app, settings):
    settings.REGISTRY_REPORTS_PER_HOUR = 1
    assert _file(django_app, remote_addr=CLIENT).status_code == 302
    assert _file(django_app, remote_addr=OTHER_CLIENT).status_code == 302
    assert _file(django_app, remote_addr=CLIENT, status=429).status_code == 429


def test_behind_a_proxy_the_limit_counts_the_client_not_the_proxy(seed, django_app, settings):
    from registry.settings import client_address_settings

    for name, value in client_address_settings(1).items():
        setattr(settings, name, value)
    settings.REGISTRY_REPORTS_PER_HOUR = 1
    proxy = "10.0.0.2"

    def through_proxy(client, status=None):
        form = _report_form(django_app, "/kommuner/laxa/", proxy)
        form["text"] = "Fel andel"
        environ = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": client}
        return form.submit(extra_environ=environ, status=status)

    assert through_proxy(CLIENT).status_code == 302
    assert through_proxy(OTHER_CLIENT).status_code == 302
    assert through_proxy(CLIENT, status=429).status_code == 429


def test_the_limit_survives_a_cache_outage(seed, django_app, settings):
    # The count is in the database: no cache at all must not lift the limit.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.REGISTRY_REPORTS_PER_HOUR = 1
    _file(django_app)
    assert _file(django_app, status=429).status_code == 429


def test_an_hour_later_the_client_may_report_again_and_its_key_is_gone(seed, django_app, settings):
    from datetime import timedelta

    settings.REGISTRY_REPORTS_PER_HOUR = 1
    _file(django_app)
    first = ErrorReport.objects.get()
    ErrorReport.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(hours=1))
    assert _file(django_app).status_code == 302
    first.refresh_from_db()
    assert first.client_key == ""


def test_no_client_address_is_stored(seed, django_app):
    _file(django_app, remote_addr=CLIENT)
    values = ErrorReport.objects.values().get()
    assert not [name for name, value in values.items() if CLIENT in str(value)]
    assert re.fullmatch(r"[0-9a-f]{64}", values["client_key"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"text": "   "}, "Skriv vad som är fel."),
        ({"text": "x" * 2001}, "Skriv högst 2000 tecken (nu är det 2001)."),
        ({"source_url": "inte en adress"}, "Skriv en hel webbadress"),
        ({"email": "lisa@"}, "Skriv en e-postadress som namn@exempel.se."),
        ({"text": "Fel\x00andel"}, "Null-tecken är inte tillåtna."),
    ],
    ids=["empty", "too-long", "bad-url", "bad-email", "nul-byte"],
)
def test_bad_input_shows_the_form_again_with_a_message_and_stores_nothing(
    seed, django_app, values, message
):
    form = _report_form(django_app, "/kommuner/laxa/")
    values = {"text": "Fel andel", **values}
    if len(values["text"]) > 2000:
        # The browser stops at maxlength; a script does not.
        form["text"].force_value(values.pop("text"))
    refused = _submit(form, status=400, **values)
    assert message in refused.html.select_one("#fel").get_text(" ", strip=True)
    assert not ErrorReport.objects.exists()
    assert "\x00" not in refused.text  # shown again without the NUL byte


def test_a_refused_csrf_token_keeps_the_text_and_the_report_can_be_sent_again(seed, django_app):
    form = _report_form(django_app, "/en/kommuner/laxa/")
    form["text"] = "Laxå pays 0.4, not 0.5."
    django_app.cookiejar.clear()  # the cookie gone: blocked, or the browser closed meanwhile
    refused = form.submit(extra_environ={"REMOTE_ADDR": CLIENT}, status=403)
    assert "The report could not be sent" in refused.html.select_one("#fel").get_text()
    assert refused.forms[0]["text"].value.strip() == "Laxå pays 0.4, not 0.5."
    assert not ErrorReport.objects.exists()
    _submit(refused.forms[0]).follow()
    assert ErrorReport.objects.get().text == "Laxå pays 0.4, not 0.5."


def test_another_refused_csrf_token_gets_the_sites_own_page(seed, django_app):
    login = django_app.get("/admin/login/")
    django_app.cookiejar.clear()
    refused = login.forms["login-form"].submit(status=403)
    assert refused.html.h1.get_text(strip=True) == "Formuläret kunde inte skickas"


def test_the_english_form_is_english_throughout(seed, django_app):
    form_page = django_app.get("/en/kommuner/laxa/rapportera-fel/")
    texts = [
        element.get_text(" ", strip=True)
        for element in form_page.html.select("main form label, main form .help")
    ]
    assert "Say which information is wrong and, if you know, what is right. At most 2000" in (
        " ".join(texts)
    )
    swedish = re.compile(r"\b(och|är|fel|tecken|Skriv|frivilligt)\b")
    assert [text for text in texts if swedish.search(text)] == []


def test_bad_input_is_explained_in_english_on_english_pages(seed, django_app):
    form = _report_form(django_app, "/en/kommuner/laxa/")
    refused = _submit(form, status=400, text="")
    assert "Say what is wrong." in refused.html.select_one("#fel").get_text(" ", strip=True)


def test_an_unknown_record_is_a_404(seed, django_app):
    assert django_app.get("/kommuner/finns-inte/rapportera-fel/", status=404).status_code == 404


# --- nothing of it in public ------------------------------------------------------------------

SECRET = "Blåbärsmotorcykel"


def test_what_a_reporter_types_never_appears_in_public(seed, django_app, client):
    _file(django_app, text=f"<script>alert('{SECRET}')</script> {SECRET}", email="x@example.se")
    _file(
        django_app,
        "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/",
        remote_addr=OTHER_CLIENT,
        text=f"<script>{SECRET}</script>",
    )
    for path in [
        "/kommuner/laxa/",
        "/en/kommuner/laxa/",
        "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/",
        "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/andringar/",
        "/kommuner/laxa/rapportera-fel/",
        "/kommuner/laxa/rapportera-fel/tack/",
        "/kommuner/?format=csv",
        "/samverkan/?format=csv",
        "/api/v1/municipalities/laxa/",
        "/api/v1/cooperations/avtalssamverkan-hallsberg-laxa-lekeberg/",
        "/flode.atom",
        "/kommuner/laxa/flode.atom",
        "/sitemap.xml",
        "/sitemap-municipalities.xml",
    ]:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        body = b"".join(response) if response.streaming else response.content
        assert SECRET.encode() not in body, path
        assert b"x@example.se" not in body, path


def test_filing_a_report_leaves_the_public_page_cache_alone(seed, django_app):
    before = cache.generation()
    _file(django_app)
    assert ErrorReport.objects.exists()
    assert cache.generation() == before


def test_the_form_and_its_answers_are_never_kept_by_shared_caches(seed, django_app, settings):
    form_page = django_app.get("/kommuner/laxa/rapportera-fel/")
    assert form_page.headers["Cache-Control"] == "private, no-store"
    settings.REGISTRY_REPORTS_PER_HOUR = 1
    assert _file(django_app).headers["Cache-Control"] == "private, no-store"
    assert _file(django_app, status=429).headers["Cache-Control"] == "private, no-store"


# --- the staff queue --------------------------------------------------------------------------


def _report_about(record, **values):
    report = ErrorReport(page=record.get_absolute_url(), **values)
    report.record = record
    report.save()
    return report


def _queue(admin_app, user, **params):
    url = reverse("admin:agreements_errorreport_changelist")
    page = admin_app.get(url, params=params, user=user)
    return [a.get_text(strip=True) for a in page.html.select("#result_list .field-record_link a")]


def test_each_editor_sees_the_reports_about_their_municipalitys_records(
    admin_app, personas, django_app
):
    _report_about(Municipality.objects.get(slug="laxa"), text="Om Laxå")
    _report_about(Municipality.objects.get(slug="hallsberg"), text="Om Hallsberg")
    _report_about(
        Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg"), text="Avtalet"
    )
    _report_about(
        PlannedProcurement.objects.get(slug="askersund-verksamheter-pa-entreprenad"),
        text="Askersunds upphandling",
    )
    _report_about(
        SourceDocument.objects.get(slug="askersund-svar-interpellation-upphandling"),
        text="Askersunds svar",
    )
    agreement = "Avtalssamverkan om upphandling mellan Hallsberg, Laxå och Lekeberg"
    assert sorted(_queue(admin_app, personas["laxa"])) == sorted(["Laxå", agreement])
    assert sorted(_queue(admin_app, personas["hallsberg"])) == sorted(["Hallsberg", agreement])
    assert len(_queue(admin_app, personas["registry"])) == 5
    assert len(_queue(admin_app, personas["superuser"])) == 5


def test_the_queue_filters_by_status(admin_app, personas):
    laxa = Municipality.objects.get(slug="laxa")
    _report_about(laxa, text="Ny")
    _report_about(laxa, text="Klar", status=ErrorReport.Status.HANDLED)
    assert _queue(admin_app, personas["laxa"], status__exact="new") == ["Laxå"]
    assert _queue(admin_app, personas["laxa"], status__exact="handled") == ["Laxå"]
    assert len(_queue(admin_app, personas["laxa"])) == 2


def test_another_municipalitys_editor_cannot_open_a_report(admin_app, personas):
    report = _report_about(Municipality.objects.get(slug="laxa"), text="Om Laxå")
    url = reverse("admin:agreements_errorreport_change", args=[report.pk])
    assert admin_app.get(url, user=personas["hallsberg"], status=404).status_code == 404
    assert admin_app.get(url, user=personas["outsider"], status=404).status_code == 404
    assert admin_app.get(url, user=personas["laxa"]).status_code == 200


def test_staff_without_a_role_have_no_queue(admin_app, personas):
    url = reverse("admin:agreements_errorreport_changelist")
    assert admin_app.get(url, user=personas["outsider"], status=403).status_code == 403


def test_reports_cannot_be_added_in_the_admin(admin_app, personas):
    changelist = admin_app.get(
        reverse("admin:agreements_errorreport_changelist"), user=personas["superuser"]
    )
    add = reverse("admin:agreements_errorreport_add")
    assert not changelist.html.select(f'a[href="{add}"]')
    assert admin_app.get(add, user=personas["superuser"], status=403).status_code == 403


def test_municipality_editors_may_answer_but_not_add_reports():
    from django.contrib.auth.models import Group

    from agreements.roles import MUNICIPALITY_EDITORS

    codenames = set(
        Group.objects.get(name=MUNICIPALITY_EDITORS)
        .permissions.filter(codename__endswith="_errorreport")
        .values_list("codename", flat=True)
    )
    assert codenames == {"change_errorreport", "view_errorreport", "delete_errorreport"}


def _change_page(admin_app, report, user):
    return admin_app.get(
        reverse("admin:agreements_errorreport_change", args=[report.pk]), user=user
    )


def test_the_answer_is_mailed_to_the_reporter_through_smtp(
    admin_app, personas, smtp_server, settings
):
    settings.REGISTRY_CONTACT_EMAIL = "registret@laxa.example.se"
    report = _report_about(
        Municipality.objects.get(slug="laxa"), text="Fel andel", email="lisa@example.se"
    )
    form = _change_page(admin_app, report, personas["laxa"]).forms["errorreport_form"]
    form["answer"] = "Tack! Vi har rättat andelen till 0,4 enligt beslutet."
    queue = form.submit("_send_answer").follow()
    assert "Svaret är skickat" in queue.html.select_one(".messagelist").text

    [(recipients, message)] = smtp_server.messages
    assert recipients == ["lisa@example.se"]
    assert message["From"] == "Samverkansregistret <noreply@samverkan.example.se>"
    assert message["Reply-To"] == "registret@laxa.example.se"
    assert message["Subject"] == "Svar på din felrapport om Laxå"
    assert message["Content-Language"] == "sv"
    body = message.get_content()
    assert "Tack! Vi har rättat andelen till 0,4 enligt beslutet." in body
    assert f"{settings.REGISTRY_BASE_URL}/kommuner/laxa/" in body
    report.refresh_from_db()
    assert (report.status, report.answered_by, report.email) == (
        ErrorReport.Status.ANSWERED,
        personas["laxa"],
        "lisa@example.se",
    )


def test_an_english_reporter_gets_the_mail_in_english(admin_app, personas, smtp_server):
    report = _report_about(
        Municipality.objects.get(slug="laxa"), text="Wrong", email="lisa@example.com", language="en"
    )
    form = _change_page(admin_app, report, personas["laxa"]).forms["errorreport_form"]
    form["answer"] = "Thank you, corrected."
    form.submit("_send_answer")
    [(_, message)] = smtp_server.messages
    assert message["Subject"] == "Reply to your error report about Laxå"
    assert message["Content-Language"] == "en"
    assert "/en/kommuner/laxa/" in message.get_content()


def test_an_answer_that_cannot_be_mailed_is_kept_and_the_report_stays_open(
    admin_app, personas, settings
):
    from .mail import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    report = _report_about(Municipality.objects.get(slug="laxa"), text="Fel", email="a@example.se")
    form = _change_page(admin_app, report, personas["laxa"]).forms["errorreport_form"]
    form["answer"] = "Vårt svar"
    page = form.submit("_send_answer").follow()
    assert "Svaret kunde inte skickas" in page.html.select_one(".messagelist").text
    assert page.forms["errorreport_form"]["answer"].value == "Vårt svar"
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.NEW


def test_sending_without_an_answer_is_refused(admin_app, personas, smtp_server):
    report = _report_about(Municipality.objects.get(slug="laxa"), text="Fel", email="a@example.se")
    form = _change_page(admin_app, report, personas["laxa"]).forms["errorreport_form"]
    refused = form.submit("_send_answer")
    assert refused.status_code == 200
    assert "Skriv ett svar innan du skickar det." in refused.text
    assert smtp_server.messages == []


def test_marking_handled_erases_the_email_address(admin_app, personas):
    report = _report_about(
        Municipality.objects.get(slug="laxa"), text="Fel", email="lisa@example.se"
    )
    form = _change_page(admin_app, report, personas["laxa"]).forms["errorreport_form"]
    form["answer"] = "Rättat."
    form["close_unanswered"] = True
    queue = form.submit("_mark_handled").follow()
    assert "personens e-postadress är raderad" in queue.html.select_one(".messagelist").text
    report.refresh_from_db()
    assert (report.status, report.email, report.answer, report.handled_by) == (
        ErrorReport.Status.HANDLED,
        "",
        "Rättat.",
        personas["laxa"],
    )
    # Closed: it can be read, not changed.
    page = _change_page(admin_app, report, personas["laxa"])
    assert (
        "errorreport_form" not in page.forms or "_save" not in page.forms["errorreport_form"].fields
    )


def _mark_all_handled(admin_app, user):
    """Tick every report in the queue and run the bulk action, as the changelist offers it."""
    changelist = admin_app.get(reverse("admin:agreements_errorreport_changelist"), user=user)
    form = changelist.forms["changelist-form"]
    form["action"] = "mark_selected_handled"
    for checkbox in form.fields["_selected_action"]:
        checkbox.checked = True
    return form.submit("index")


def test_marking_selected_reports_handled_erases_their_addresses(admin_app, personas):
    laxa = Municipality.objects.get(slug="laxa")
    reports = [
        _report_about(laxa, text=f"Fel {n}", email=f"p{n}@example.se", status="answered")
        for n in range(2)
    ]
    _mark_all_handled(admin_app, personas["laxa"])
    assert list(
        ErrorReport.objects.filter(pk__in=[r.pk for r in reports]).values_list("status", "email")
    ) == [("handled", ""), ("handled", "")]


def test_closing_a_report_whose_reporter_awaits_an_answer_needs_a_deliberate_choice(
    admin_app, personas
):
    report = _report_about(Municipality.objects.get(slug="laxa"), text="Fel", email="l@example.se")
    form = _change_page(admin_app, report, personas["laxa"]).forms["errorreport_form"]
    refused = form.submit("_mark_handled")
    assert refused.status_code == 200
    assert "Personen väntar på svar" in refused.html.select_one(".errorlist.nonfield").text
    report.refresh_from_db()
    assert (report.status, report.email) == (ErrorReport.Status.NEW, "l@example.se")


def test_the_bulk_action_leaves_reports_awaiting_an_answer_open(admin_app, personas):
    laxa = Municipality.objects.get(slug="laxa")
    waiting = _report_about(laxa, text="Fel", email="w@example.se")
    silent = _report_about(laxa, text="Fel utan adress")
    page = _mark_all_handled(admin_app, personas["laxa"]).follow()
    assert "1 felrapport väntar på svar" in page.html.select_one(".messagelist").text
    waiting.refresh_from_db()
    silent.refresh_from_db()
    assert (waiting.status, waiting.email) == ("new", "w@example.se")
    assert silent.status == "handled"


def test_the_admin_index_counts_the_new_reports_in_the_editors_scope(admin_app, personas):
    _report_about(Municipality.objects.get(slug="laxa"), text="Fel 1")
    _report_about(Municipality.objects.get(slug="laxa"), text="Fel 2")
    _report_about(Municipality.objects.get(slug="askersund"), text="Fel 3")

    def queue_name(persona):
        index = admin_app.get(reverse("admin:index"), user=personas[persona])
        return index.html.select_one("#content-main .model-errorreport th a").get_text()

    assert queue_name("laxa") == "Felrapporter (2 nya)"
    assert queue_name("hallsberg") == "Felrapporter"
