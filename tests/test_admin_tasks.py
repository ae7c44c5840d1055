"""The admin is shaped by the tasks: sections by task, the editor's role in the header,
slugs that fill themselves in, Swedish throughout, decimal commas."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TASK_SECTIONS = [
    "Felrapporter från allmänheten",
    "Samverkan och parter",
    "Finansiering",
    "Upphandlingar",
    "Källor och citat",
]


def _sections(page):
    """(name, help, [model names]) of each section on the admin index, in order."""
    sections = []
    for module in page.html.select("#content-main .module"):
        help_line = module.select_one(".task-help")
        sections.append(
            (
                module.select_one("caption .section").get_text(strip=True),
                help_line.get_text(strip=True) if help_line else "",
                [th.get_text(strip=True) for th in module.select("th[scope=row]")],
            )
        )
    return sections


def test_index_lists_the_tasks_in_order_each_with_a_line_of_help(admin_app, personas):
    sections = _sections(admin_app.get(reverse("admin:index"), user=personas["registry"]))
    assert [name for name, _, _ in sections] == [*TASK_SECTIONS, "Referensdata och teknik"]
    assert all(help_line for _, help_line, _ in sections)
    models = {name: names for name, _, names in sections}
    assert models["Felrapporter från allmänheten"] == ["Felrapporter"]
    assert models["Samverkan och parter"] == [
        "Samverkan",
        "Medverkande kommuner",
        "Avtalsversioner",
        "Förslag",
        "Invändningar",
        "Kommuner",
    ]
    assert models["Finansiering"] == ["Tjänster", "Finansieringsåtaganden"]
    assert models["Upphandlingar"] == ["Upphandlingar"]
    assert models["Källor och citat"] == ["Källdokument", "Citat", "Interpellationer", "Påståenden"]
    # Rows edited inside their record, and reference data, are out of the way.
    assert models["Referensdata och teknik"] == ["Frågor i interpellation", "Köpare", "Län"]


def test_superuser_finds_users_as_a_task_and_login_logs_among_the_technical(admin_app, personas):
    page = admin_app.get(reverse("admin:index"), user=personas["superuser"])
    sections = _sections(page)
    assert [name for name, _, _ in sections] == [
        *TASK_SECTIONS,
        "Användare",
        "Referensdata och teknik",
    ]
    technical = page.html.select("#content-main .module")[-1]
    assert "technical" in technical["class"]
    assert {"Grupper", "Åtkomstförsök", "Åtkomstloggar", "Misslyckade inloggningar"} <= set(
        sections[-1][2]
    )


def test_sidebar_follows_the_same_tasks(admin_app, personas):
    page = admin_app.get(reverse("admin:agreements_post_changelist"), user=personas["registry"])
    captions = [c.get_text(strip=True) for c in page.html.select("#nav-sidebar caption")]
    assert captions == [*TASK_SECTIONS, "Referensdata och teknik"]
    current = page.html.select_one("#nav-sidebar [aria-current=page]")
    assert current.get_text(strip=True) == "Tjänster"


def test_app_page_behind_the_breadcrumb_still_lists_the_app(admin_app, personas):
    page = admin_app.get(reverse("admin:agreements_post_changelist"), user=personas["registry"])
    app_page = page.click("Samverkan och upphandling", index=0)
    assert app_page.status_code == 200
    assert "Administration av Samverkan och upphandling" in app_page.html.title.text


def test_outsider_is_told_there_is_nothing_to_see(admin_app, personas):
    page = admin_app.get(reverse("admin:index"), user=personas["outsider"])
    assert _sections(page) == []
    assert "Du har inte tillåtelse att se eller ändra någonting." in page.text


@pytest.mark.parametrize(
    ("persona", "role"),
    [
        ("laxa", "Kommunredaktör för Laxå"),
        ("hallsberg", "Kommunredaktör för Hallsberg"),
        ("registry", "Registerredaktör"),
        ("superuser", "Superanvändare"),
    ],
)
def test_header_says_whom_the_editor_works_for(admin_app, personas, persona, role):
    page = admin_app.get(reverse("admin:agreements_cooperation_changelist"), user=personas[persona])
    assert page.html.select_one("#user-tools .editor-role").get_text(strip=True) == role


def test_outsider_header_claims_no_role(admin_app, personas):
    page = admin_app.get(reverse("admin:index"), user=personas["outsider"])
    assert page.html.select_one("#user-tools .editor-role") is None


# --- slugs ---------------------------------------------------------------------------------


def _add_form(admin_app, user, model):
    page = admin_app.get(reverse(f"admin:agreements_{model}_add"), user=user)
    return page.forms[f"{model}_form"]


def test_blank_slug_is_formed_from_the_swedish_name_without_javascript(admin_app, personas):
    from agreements.models import Cooperation

    for expected in ["samverkan-laxa-orebro", "samverkan-laxa-orebro-2"]:
        form = _add_form(admin_app, personas["registry"], "cooperation")
        assert form["slug"].value == ""
        form["name"] = "Samverkan Laxå–Örebro"
        form["form"] = "network"
        form["status"] = "proposed"
        assert form.submit("_save").status_code == 302
        assert Cooperation.objects.filter(slug=expected, name="Samverkan Laxå–Örebro").exists()


def test_a_slug_typed_by_the_editor_is_kept(admin_app, personas):
    from agreements.models import Cooperation

    form = _add_form(admin_app, personas["registry"], "cooperation")
    form["name"] = "Samverkan Laxå–Örebro"
    form["slug"] = "eget-kortnamn"
    form["form"] = "network"
    form["status"] = "proposed"
    assert form.submit("_save").status_code == 302
    assert Cooperation.objects.get(name="Samverkan Laxå–Örebro").slug == "eget-kortnamn"


def test_post_slug_is_unique_per_employer(admin_app, personas):
    from agreements.models import Municipality, Post

    existing = Post.objects.get(
        slug="upphandlare-lekeberg-laxa"
    )  # Hallsberg's, slug upphandlare-lekeberg-laxa
    existing.name = "Upphandlare Lekeberg Laxå"
    existing.save()
    for code, expected in [
        ("1861", "upphandlare-lekeberg-laxa-2"),
        ("1860", "upphandlare-lekeberg-laxa"),
    ]:
        form = _add_form(admin_app, personas["registry"], "post")
        # The employer box is an autocomplete: the browser's script puts the chosen id here.
        form["employer"].force_value(str(Municipality.objects.get(code=code).pk))
        form["name"] = "Upphandlare Lekeberg Laxå"
        assert form.submit("_save").status_code == 302
        assert Post.objects.filter(employer__code=code, slug=expected).exists()


def test_claim_slug_from_a_long_statement_is_cut_between_words(admin_app, personas):
    from agreements.models import Claim, Municipality

    statement = (
        "Kommunerna i Sydnärke påstår att ett gemensamt upphandlingsteam sparar pengar åt "
        "alla, även åt de minsta kommunerna som Askersund och Laxå, redan första året."
    )
    form = _add_form(admin_app, personas["registry"], "claim")
    form["statement"] = statement
    form["made_by"] = str(Municipality.objects.get(code="1882").pk)
    form["channel"] = "pressmeddelande"
    assert form.submit("_save").status_code == 302
    slug = Claim.objects.get(statement=statement).slug
    assert slug.startswith("kommunerna-i-sydnarke-pastar-att-ett-gemensamt-upphandlingsteam")
    assert len(slug) <= 100
    assert slugify_words(statement)[: len(slug.split("-"))] == slug.split("-")


def slugify_words(text):
    from django.utils.text import slugify

    return [slugify(w) for w in text.replace(",", " ").replace(".", " ").split()]


def test_a_name_without_letters_gets_a_clear_message_not_an_error_page(admin_app, personas):
    from agreements.models import Cooperation

    before = Cooperation.objects.count()
    form = _add_form(admin_app, personas["registry"], "cooperation")
    form["name"] = "<?> – !"
    form["form"] = "network"
    form["status"] = "proposed"
    response = form.submit("_save")
    assert response.status_code == 200
    errors = response.html.select_one(".field-slug .errorlist").get_text(strip=True)
    assert errors.startswith("Det gick inte att bilda ett kortnamn")
    assert response.html.select_one("input#id_name")["value"] == "<?> – !"
    assert "<?> – !" not in response.text  # echoed escaped, never as markup
    assert Cooperation.objects.count() == before


@pytest.mark.parametrize(
    ("model", "source"),
    [
        ("cooperation", "name"),
        ("municipality", "name"),
        ("post", "name"),
        ("claim", "statement"),
        ("plannedprocurement", "title"),
        ("sourcedocument", "title"),
        ("interpellation", "title"),
    ],
)
def test_every_slug_fills_while_typing_and_may_be_left_blank(admin_app, personas, model, source):
    import json

    page = admin_app.get(reverse(f"admin:agreements_{model}_add"), user=personas["superuser"])
    script = page.html.select_one("#django-admin-prepopulated-fields-constants")
    prepopulated = json.loads(script["data-prepopulated-fields"])
    slug = next(p for p in prepopulated if p["id"] == "#id_slug")
    assert slug["dependency_list"] == [source]
    assert not slug["allowUnicode"]  # å, ä and ö fold to a, a and o, as on the server
    slug_input = page.html.select_one("input#id_slug")
    assert not slug_input.has_attr("required")
    assert "Lämna tomt så bildas det av" in page.html.select_one(".field-slug").get_text()


# --- Swedish throughout, decimal commas ----------------------------------------------------

ENGLISH_LEFTOVERS = [
    "Change history",
    "Revert",
    "Date/time",
    "Changed by",
    "Change reason",
    "Press the",
    "None",
    "Access attempts",
    "Attempt Time",
    "IP Address",
    "Failed Logins",
    "Form Data",
    "Meta Data",
    "Locked Out",
    "Attempt Remaining",
    "Clean up",
]


def _visible_text(page):
    html = page.html
    for hidden in html(["script", "style", "svg"]):
        hidden.decompose()
    return html.get_text(" ", strip=True)


def _no_english(page):
    text = _visible_text(page)
    return [word for word in ENGLISH_LEFTOVERS if word in text]


def _change_share(admin_app, user, commitment, share):
    page = admin_app.get(
        reverse("admin:agreements_staffingcommitment_change", args=[commitment.pk]), user=user
    )
    form = page.forms["staffingcommitment_form"]
    assert form["fte"].value == "0,50"  # the input shows a decimal comma
    form["fte"] = share
    assert form.submit("_save").status_code == 302
    return page


def test_history_and_revert_pages_are_swedish_with_decimal_commas(admin_app, personas):
    from agreements.models import StaffingCommitment

    laxa = StaffingCommitment.objects.get(financer__code="1860")
    page = _change_share(admin_app, personas["laxa"], laxa, "0,4")

    history = page.click("Historik", index=0)
    assert history.html.select_one("h1").get_text(strip=True).startswith("Ändringshistorik: Laxå")
    headings = [th.get_text(strip=True) for th in history.html.select("#change-history th")]
    assert headings == ["Post", "Datum och tid", "Kommentar", "Ändrad av",
                        "Orsak till ändringen", "Ändringar"]  # fmt: skip
    newest = history.html.select("#change-history tbody tr")[0].get_text(" ", strip=True)
    assert "Laxå: 0,4 av" in newest
    assert "Andel av heltidstjänst: 0,50 → 0,40" in " ".join(newest.split())
    assert _no_english(history) == []

    revert = history.click(href=r"/history/\d+/$", index=1)  # the original, from the seed
    assert revert.html.select_one("h1").get_text(strip=True).startswith("Återställ Laxå: 0,5 av")
    assert "Tryck på knappen ”Återställ” nedan" in revert.text
    form = next(f for f in revert.forms.values() if "fte" in f.fields)
    assert form["fte"].value == "0,50"
    assert [b.get("value") for b in revert.html.select("input[type=submit]")] == ["Återställ"]
    assert _no_english(revert) == []


def test_decimals_use_a_comma_in_lists_and_read_only_fields(admin_app, personas):
    from agreements.models import Cooperation

    commitments = admin_app.get(
        reverse("admin:agreements_staffingcommitment_changelist"), user=personas["registry"]
    )
    shares = [td.get_text(strip=True) for td in commitments.html.select("td.field-fte_display")]
    assert shares and all("," in s and "." not in s for s in shares)
    cooperation = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    page = admin_app.get(
        reverse("admin:agreements_cooperation_change", args=[cooperation.pk]),
        user=personas["registry"],
    )
    read_only = page.html.select_one(".field-fte_history .readonly").get_text(" ", strip=True)
    assert "Laxå: 0,5 av" in read_only
    # Related rows are named with commas too: the "supersedes" choice of each inline row.
    chosen = [
        o.get_text() for o in page.html.select("select[name$='-supersedes'] option[selected]")
    ]
    assert "Lekeberg: 0,3 av ”Upphandlingstjänst som avtalet med Lekeberg" in " ".join(chosen)


def test_login_attempt_pages_are_swedish(admin_app, personas):
    admin_app.extra_environ["REMOTE_ADDR"] = "10.0.0.5"
    login = admin_app.get(reverse("admin:login")).forms["login-form"]
    login["username"], login["password"] = "laxa", "fel lösenord"
    assert login.submit().status_code == 200

    index = admin_app.get(reverse("admin:index"), user=personas["superuser"])
    attempts = index.click("Åtkomstförsök", index=0)
    assert attempts.html.select_one(".breadcrumbs").get_text(" ", strip=True) == (
        "Hem › Inloggningsförsök › Åtkomstförsök"
    )
    columns = [th.get_text(strip=True) for th in attempts.html.select("#result_list thead th")]
    assert columns[1:] == [
        "Tidpunkt för försöket",
        "IP-adress",
        "Webbläsare (User-Agent)",
        "Användarnamn",
        "Sökväg",
        "Misslyckade inloggningar",
        "Status",
    ]
    assert "4 försök kvar" in attempts.html.select_one("#result_list tbody").text
    assert "Spärrad" in attempts.html.select_one("#changelist-filter").text
    assert _no_english(attempts) == []

    detail = admin_app.get(
        attempts.html.select_one("#result_list tbody th a")["href"], user=personas["superuser"]
    )
    headings = [h.get_text(strip=True) for h in detail.html.select("fieldset h2")]
    assert headings == ["Formulärdata", "Metadata"]
    assert _no_english(detail) == []

    form = attempts.forms["changelist-form"]
    form["action"] = "cleanup_expired_attempts"
    form.get("_selected_action", index=0).checked = True
    done = form.submit().follow()
    assert (
        "utgångna inloggningsförsök har rensats bort."
        in done.html.select_one(".messagelist").get_text()
    )


def test_user_form_is_swedish(admin_app, personas):
    users = admin_app.get(reverse("admin:auth_user_changelist"), user=personas["superuser"])
    page = users.click("laxa", index=0)
    headings = [h.get_text(strip=True) for h in page.html.select("fieldset h2, .inline-group h2")]
    assert headings == ["Personlig information", "Rättigheter", "Viktiga datum", "Redaktörsprofil"]
    assert page.html.select_one("label[for=id_first_name]").get_text(strip=True) == "Förnamn:"


def test_every_third_party_string_has_swedish():
    """A package upgrade that adds text without Swedish fails here, not in front of staff."""
    from django.core.management import call_command

    call_command("thirdparty_messages", check=True, verbosity=0)


def test_models_without_history_show_the_admin_log_instead_of_failing(admin_app, personas):
    from agreements.models import County

    county = County.objects.first()
    page = admin_app.get(
        reverse("admin:agreements_county_change", args=[county.pk]), user=personas["registry"]
    )
    history = page.click("Historik", index=0)
    assert history.status_code == 200
    assert "Ändringshistorik" in history.html.title.text
