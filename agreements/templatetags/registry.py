from django import template
from django.utils.html import conditional_escape, format_html, format_html_join

from ..formats import format_amount, format_file_size, format_fte, format_fte_posts

register = template.Library()


@register.filter
def sv(text):
    """The registry's own prose, written in Swedish, marked as Swedish on a page in another
    language (WCAG 3.1.2, language of parts), so that a screen reader reads it as Swedish."""
    from django.utils.html import format_html
    from django.utils.translation import get_language

    if not text or (get_language() or "sv").startswith("sv"):
        return text
    return format_html('<span lang="sv">{}</span>', text)


@register.filter
def fte(value):
    """A share of a full-time post in the reader's notation: 0,5 in Swedish, 0.5 in English."""
    return format_fte(value)


@register.filter
def amount(value):
    return format_amount(value)


@register.filter
def fte_posts(value):
    """A share with its unit, in the right plural form: "0,5 heltidstjänst", "0 heltidstjänster"."""
    return format_fte_posts(value)


@register.filter
def file_size(value):
    """A file's size in decimal units: "38,3 kB" (kB is 1000 bytes), "38.3 kB" in English."""
    return format_file_size(value)


# fact, provenance and source_links write their markup with format_html rather than a template:
# a page of a municipality at national scale shows several hundred facts, and an included
# template per fact and per set of links was a third of its render.


@register.simple_tag
def fact(obj, name, attributed=False):
    """A structured value with what supports it: its source, the registry's interpretation
    with its reasoning, "unknown – the source says nothing", or "source missing"."""
    from .. import facts

    attribution = facts.attribution(obj, name) if attributed else ""
    return _fact(facts.provenance(obj, name), attribution)


def _fact(fact, attribution="", hide_value=False):
    from django.utils.translation import gettext

    from .. import facts

    parts = [] if hide_value else [sv(fact.text) if fact.prose else conditional_escape(fact.text)]
    if attribution:
        parts.append(format_html(" {}", attribution))
    if fact.status == facts.MISSING:
        parts.append(format_html(' <span class="missing">({})</span>', gettext("Källa saknas")))
    parts.append(source_links(fact.citations))
    parts.extend(
        format_html(
            ' <small class="interpretation">{} <span lang="sv">{}</span></small>',
            gettext("Registrets tolkning:"),
            citation.interpretation,
        )
        for citation in fact.interpretations
    )
    return format_html(
        '<span class="fact{}">{}</span>',
        " unknown" if fact.status == facts.UNKNOWN else "",
        format_html_join("", "{}", ((part,) for part in parts)),
    )


@register.simple_tag
def source_links(cited):
    """Links to the passages `cited`: "källa" for one, "källor: 1 2" for several, each named
    to a screen reader by its words and its source."""
    from django.utils.translation import gettext

    from .. import facts

    passages = facts.distinct_passages(cited or [])
    if not passages:
        return ""

    def named(citation):
        return format_html(
            '<span class="visually-hidden">: {} {}</span>',
            facts.passage_name(citation),
            gettext("i %(title)s") % {"title": citation.source.title},
        )

    if len(passages) == 1:
        (citation,) = passages
        links = format_html(
            '<a href="{}" class="source-link">{}{}</a>',
            citation.get_absolute_url(),
            gettext("källa"),
            named(citation),
        )
    else:
        links = format_html_join(
            "",
            ' <a href="{}" class="source-link"><span class="visually-hidden">{} </span>{}{}</a>',
            (
                (citation.get_absolute_url(), gettext("källa"), number, named(citation))
                for number, citation in enumerate(passages, 1)
            ),
        )
        links = format_html("{}{}", gettext("källor:"), links)
    # A real space before the links, not a margin alone: copied text read "0,5källa".
    return format_html(' <span class="source-links">{}</span>', links)


@register.filter
def yes_no_unknown(value):
    """Ja, Nej, or Okänt for a value the sources may not state."""
    from django.utils.translation import gettext

    if value is None:
        return gettext("Okänt")
    return gettext("Ja") if value else gettext("Nej")


@register.filter
def lowerfirst(text):
    """ "Upphandlarna i Hallsberg" -> "upphandlarna i Hallsberg": names keep their capitals."""
    text = str(text)
    return text[:1].lower() + text[1:]


@register.filter
def cited_for(obj, name):
    """The citations of `obj` for field `name` or for the record as a whole."""
    return [c for c in getattr(obj, "cited", None) or [] if c.field_name in ("", name)]


@register.simple_tag
def provenance(obj, name):
    """What supports a value shown next to it in other words: links, interpretation, gaps."""
    from .. import facts

    return _fact(facts.provenance(obj, name), hide_value=True)


@register.simple_tag
def mark(obj, name):
    """ " (tolkning)" after a value in a list when it is the registry's interpretation."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    from .. import facts

    if not facts.is_interpretation(obj, name):
        return ""
    return format_html(' <span class="interpretation-mark">({})</span>', gettext("tolkning"))


@register.filter
def marked(obj, name):
    """The value in words, "(registrets tolkning)" after it when it is one: for plain text
    such as a page's description, where the lists' mark (a span) cannot go."""
    from .. import facts

    return facts.text_with_mark(obj, name)


@register.simple_tag
def reading_split(split, fte=False):
    """ " (1 enligt källorna, 1 enligt registrets tolkning av dem)" after a total that counts
    interpretations too (facts.split_by_reading); nothing when the sources state it all."""
    from django.utils.html import format_html

    from .. import facts

    note = facts.split_note(split, fte=fte)
    return format_html(' <span class="figure-split">({})</span>', note) if note else ""


@register.simple_tag
def as_of(*objects):
    """As of when the facts about these records hold (their sources' newest date)."""
    from .. import facts

    return facts.record_as_of(*objects)


@register.filter
def state(commitment):
    """ "senast kända", "ersatt", "gäller nu (bekräftat …)": facts.state_text."""
    from .. import facts

    return facts.state_text(commitment)


@register.filter
def assessment(claim):
    """ "Missvisande enligt Caroline Dieker (M), kommunstyrelsens ordförande"."""
    from .. import facts

    return facts.assessment_text(claim)


@register.filter
def reported_by(obj, name):
    """ "enligt Caroline Dieker (M), …": who reports what field `name` of `obj` says."""
    from .. import facts

    return facts.attribution(obj, name)


@register.filter
def financing(municipality):
    from .. import facts

    return facts.financing_text(municipality)


@register.filter
def distinct_passages(citations):
    """One citation per passage cited: "[källa][källa]" to the same words is one link."""
    from .. import facts

    return facts.distinct_passages(citations or [])


@register.filter
def passage_name(citation):
    """ "”ett avtal som har ingåtts …”": the words a link leads to, for its accessible name."""
    from .. import facts

    return facts.passage_name(citation)


@register.filter
def quoted_passages(citations):
    """The page's quotes once each, those within another shown as part of it."""
    from .. import facts

    return facts.quoted_passages(citations or [])


@register.filter
def in_page_language(api_url):
    """The API address in the page's language: an English page's JSON link gives English
    labels (`?lang=en`), as the page does; a Swedish page's needs nothing added."""
    from django.conf import settings
    from django.utils import translation
    from rest_framework.utils.urls import replace_query_param

    language = translation.get_language()
    if not api_url or language == settings.LANGUAGE_CODE:
        return api_url
    return replace_query_param(api_url, "lang", language)
