"""One screen creates an editor; the invitation travels through a real SMTP server.

aiosmtpd listens on 127.0.0.1 inside the test process; Django's SMTP backend delivers to it
exactly as it would to the registry's mail server.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from agreements.models import EditorProfile, Municipality

from .conftest import PASSWORD
from .mail import free_port

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sjö-och-skog-i-Laxå-2026"


def _editor_form(admin_app, user):
    """The add-user screen, reached as staff reach it: the user list's add button."""
    users = admin_app.get(reverse("admin:auth_user_changelist"), user=user)
    page = users.click(description="Lägg till användare")
    return page.forms["editor_form"]


def _fill(form, **values):
    defaults = {
        "username": "anna.laxa",
        "first_name": "Anna",
        "last_name": "Lindqvist",
        "email": "anna.lindqvist@laxa.example.se",
        "role": "municipality",
        "municipality": str(Municipality.objects.get(code="1860").pk),
    }
    for name, value in {**defaults, **values}.items():
        form[name] = value
    return form


def test_new_editor_gets_a_swedish_mail_sets_a_password_and_logs_in(
    admin_app, personas, smtp_server, django_user_model, settings
):
    admin_app.extra_environ["REMOTE_ADDR"] = "10.0.0.3"
    response = _fill(_editor_form(admin_app, personas["superuser"])).submit("_save")
    assert response.status_code == 302
    users = response.follow()
    assert (
        "Redaktören anna.laxa är tillagd som kommunredaktör"
        in users.html.select_one(".messagelist").text
    )
    editor = django_user_model.objects.get(username="anna.laxa")
    assert (editor.is_staff, editor.is_superuser, editor.has_usable_password()) == (
        True,
        False,
        False,
    )
    assert [g.name for g in editor.groups.all()] == ["Kommunredaktörer"]
    assert EditorProfile.objects.get(user=editor).municipality.name == "Laxå"

    # The mail arrived at the SMTP server, in Swedish, to the new editor.
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["anna.lindqvist@laxa.example.se"]
    assert message["Subject"] == "Välkommen som redaktör i Samverkansregistret"
    assert message["Content-Language"] == "sv"
    assert message["From"] == "Samverkansregistret <noreply@samverkan.example.se>"
    body = message.get_content()
    assert body.startswith("Hej Anna Lindqvist!")
    assert "Du har lagts till som kommunredaktör i Samverkansregistret för Laxå." in body
    assert "Ditt användarnamn: anna.laxa" in body
    # At the registry's configured address, whatever Host the sender's browser sent.
    [link] = re.findall(re.escape(settings.REGISTRY_BASE_URL) + r"/\S+/losenord/\S+/", body)

    # The editor follows the link in a browser of their own, not signed in.
    admin_app.reset()
    page = admin_app.get(urlsplit(link).path).maybe_follow()
    assert "Samverkansregistret" in page.html.select_one("#site-name").text
    form = page.forms[0]
    form["new_password1"] = form["new_password2"] = "kort-2026"
    refused = form.submit()
    assert refused.status_code == 200
    assert "Det här lösenordet är för kort. Det måste innehålla minst 12 tecken." in refused.text
    form = refused.forms[0]
    form["new_password1"] = form["new_password2"] = NEW_PASSWORD
    done = form.submit().follow()
    assert "Ditt lösenord är sparat. Nu kan du logga in." in done.text

    login = done.click("Logga in").forms["login-form"]
    login["username"], login["password"] = "anna.laxa", NEW_PASSWORD
    index = login.submit().follow()
    assert index.html.select_one(".editor-role").get_text(strip=True) == "Kommunredaktör för Laxå"

    # The link works once.
    admin_app.reset()
    again = admin_app.get(urlsplit(link).path).maybe_follow()
    assert "Länken för att välja lösenord fungerar inte längre" in again.text


def test_registry_editor_needs_no_municipality(admin_app, personas, smtp_server, django_user_model):
    form = _fill(_editor_form(admin_app, personas["superuser"]), role="registry", municipality="")
    assert form.submit("_save").status_code == 302
    editor = django_user_model.objects.get(username="anna.laxa")
    assert [g.name for g in editor.groups.all()] == ["Registerredaktörer"]
    assert not EditorProfile.objects.filter(user=editor).exists()
    [(_, message)] = smtp_server.messages
    assert "Du har lagts till som registerredaktör i Samverkansregistret." in message.get_content()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"municipality": ""}, "municipality", "Välj vilken kommun kommunredaktören arbetar för."),
        ({"role": "registry"}, "municipality", "En registerredaktör får ändra allt"),
        ({"username": "LAXA"}, "username", "Det finns redan en användare med det användarnamnet."),
        ({"username": "<b>anna</b>"}, "username", "Fyll i ett giltigt användarnamn."),
        ({"email": "inte-en-adress"}, "email", "Ange en giltig mejladress."),
        ({"email": ""}, "email", "Det här fältet är obligatoriskt."),
        ({"first_name": ""}, "first_name", "Det här fältet är obligatoriskt."),
    ],
)
def test_bad_input_gets_a_swedish_message_and_creates_nobody(
    admin_app, personas, smtp_server, django_user_model, values, field, message
):
    before = django_user_model.objects.count()
    response = _fill(_editor_form(admin_app, personas["superuser"]), **values).submit("_save")
    assert response.status_code == 200
    errors = response.html.select_one(f".field-{field} .errorlist").get_text(" ", strip=True)
    assert errors.startswith(message)
    assert "<b>anna</b>" not in response.text  # what was typed comes back escaped
    assert django_user_model.objects.count() == before
    assert smtp_server.messages == []


def test_duplicate_email_is_refused(admin_app, personas, smtp_server, django_user_model):
    personas["laxa"].email = "Anna.Lindqvist@laxa.example.se"
    personas["laxa"].save()
    response = _fill(_editor_form(admin_app, personas["superuser"])).submit("_save")
    assert response.status_code == 200
    assert "Det finns redan en användare med den e-postadressen." in response.text
    assert not django_user_model.objects.filter(username="anna.laxa").exists()


def test_when_the_mail_server_is_down_nobody_is_created(
    admin_app, personas, settings, django_user_model
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    response = _fill(_editor_form(admin_app, personas["superuser"])).submit("_save")
    assert response.status_code == 200
    assert "E-postmeddelandet kunde inte skickas" in response.html.select_one(".errorlist").text
    assert not django_user_model.objects.filter(username="anna.laxa").exists()


@pytest.mark.parametrize("persona", ["laxa", "registry", "outsider"])
def test_only_those_who_may_add_users_reach_the_screen(admin_app, personas, persona):
    response = admin_app.get(reverse("admin:auth_user_add"), user=personas[persona], status=403)
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(admin_app, personas):
    response = admin_app.get(reverse("admin:auth_user_add"))
    assert response.status_code == 302
    assert urlsplit(response.location).path == reverse("admin:login")


def test_municipality_editor_cannot_post_the_form_either(
    admin_app, personas, smtp_server, django_user_model
):
    form = _fill(_editor_form(admin_app, personas["superuser"]))
    response = form.submit("_save", user=personas["laxa"], status=403)
    assert "CSRF" not in response.text  # refused for who they are, not for a stale token
    assert not django_user_model.objects.filter(username="anna.laxa").exists()
    assert smtp_server.messages == []


def test_a_new_link_can_be_sent_from_the_user_list(
    admin_app, personas, smtp_server, django_user_model
):
    personas["laxa"].email = "laxa@laxa.example.se"
    personas["laxa"].save()
    users = admin_app.get(reverse("admin:auth_user_changelist"), user=personas["superuser"])
    form = users.forms["changelist-form"]
    form["action"] = "send_new_link"
    form.get("_selected_action", index=_row(users, "laxa")).checked = True
    done = form.submit().follow()
    assert "En ny länk har skickats till laxa." in done.text
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["laxa@laxa.example.se"]
    assert "/losenord/" in message.get_content()


def _row(changelist, username):
    names = [a.get_text(strip=True) for a in changelist.html.select("#result_list tbody th a")]
    return names.index(username)


def test_the_signed_in_password_still_works_for_existing_editors(admin_app, personas):
    admin_app.extra_environ["REMOTE_ADDR"] = "10.0.0.4"
    login = admin_app.get(reverse("admin:login")).forms["login-form"]
    login["username"], login["password"] = "laxa", PASSWORD
    assert login.submit().status_code == 302
