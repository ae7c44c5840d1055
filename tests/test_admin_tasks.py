"""The admin is shaped by the tasks: sections by task, the editor's role in the header,
slugs that fill themselves in, Swedish throughout, decimal commas."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TASK_SECTIONS = [
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
    assert models["Samverkan och parter"] == ["Samverkan", "Parter", "Invändningar", "Kommuner"]
    assert models["Finansiering"] == ["Tjänster", "Finansieringsåtaganden"]
    assert models["Upphandlingar"] == ["Planerade upphandlingar"]
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
    assert "Grupper" in sections[-1][2]


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
        ("laxa", "Kommunredaktör för Laxå."),
        ("hallsberg", "Kommunredaktör för Hallsberg."),
        ("registry", "Registerredaktör."),
        ("superuser", "Superanvändare."),
    ],
)
def test_header_says_whom_the_editor_works_for(admin_app, personas, persona, role):
    page = admin_app.get(reverse("admin:agreements_cooperation_changelist"), user=personas[persona])
    assert page.html.select_one("#user-tools .editor-role").get_text(strip=True) == role


def test_outsider_header_claims_no_role(admin_app, personas):
    page = admin_app.get(reverse("admin:index"), user=personas["outsider"])
    assert page.html.select_one("#user-tools .editor-role") is None
