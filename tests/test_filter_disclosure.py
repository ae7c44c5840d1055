"""The list filters sit behind a disclosure whose summary counts the filters in use."""

import pytest

pytestmark = pytest.mark.django_db

COOPERATIONS = "/samverkan/"


def disclosure(page):
    return page.html.select_one("details.filter-disclosure")


def summary_text(page):
    return " ".join(disclosure(page).summary.get_text().split())


def test_the_filter_form_is_inside_a_closed_disclosure_when_results_are_shown(seed, django_app):
    page = django_app.get(COOPERATIONS)
    assert disclosure(page).select_one("form.filter-form") is not None
    assert not disclosure(page).has_attr("open")
    assert page.html.select("tbody tr")


def test_summary_counts_two_filters_chosen_in_the_form(seed, django_app):
    form = django_app.get(COOPERATIONS).forms[0]
    form["q"] = "upphandling"
    form["legally_binding"] = "1"
    page = form.submit()
    assert summary_text(page) == "Filtrera och sortera (2 aktiva filter)"


def test_summary_says_one_filter_in_the_singular(seed, django_app):
    form = django_app.get(COOPERATIONS).forms[0]
    form["legally_binding"] = "0"
    page = form.submit()
    assert summary_text(page) == "Filtrera och sortera (1 aktivt filter)"


def test_summary_counts_in_english_on_the_english_page(seed, django_app):
    form = django_app.get("/en" + COOPERATIONS).forms[0]
    form["legally_binding"] = "1"
    form["status"] = "active"
    assert summary_text(form.submit()) == "Filter and sort (2 active filters)"


def test_sorting_and_empty_fields_are_not_counted_as_filters(seed, django_app):
    form = django_app.get(COOPERATIONS).forms[0]
    form["o"] = "-name"
    page = form.submit()  # the form also sends its empty fields: q=, municipality=, ...
    assert "q=" in page.request.url
    assert summary_text(page) == "Filtrera och sortera"


def test_a_search_of_only_spaces_is_not_counted(seed, django_app):
    page = django_app.get(COOPERATIONS, params={"q": "   "})
    assert summary_text(page) == "Filtrera och sortera"


def test_the_disclosure_is_open_when_a_value_was_refused(seed, django_app):
    form = django_app.get("/upphandlingar/").forms[0]
    form["procurement_year"] = "abc"
    page = form.submit(status=400)
    assert disclosure(page).has_attr("open")
    assert "Ange ett årtal med fyra siffror" in disclosure(page).get_text()


def test_the_disclosure_is_open_when_the_filters_leave_nothing(seed, django_app):
    form = django_app.get(COOPERATIONS).forms[0]
    form["q"] = "xyzzy"
    page = form.submit()
    assert page.html.select_one("p.empty") is not None
    assert disclosure(page).has_attr("open")
    assert summary_text(page) == "Filtrera och sortera (1 aktivt filter)"
