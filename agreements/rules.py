"""Rules that span several rows, checked on every write path.

A write that can break one of these rules marks the aggregate it touched (a cooperation, a
post, a procurement). The marked aggregates are checked once, after all the writes of one
change (an admin save with its inline rows, a revert, a fixture load, a command), inside the
same transaction, with the aggregate's row locked. So a rule holds whichever path wrote the
rows, and also when two editors save at the same moment on PostgreSQL: the second check waits
for the first transaction and then sees its rows. A violation raises `RuleViolation` and the
whole change is rolled back.

The marks come from post_save/post_delete signals, which also fire for `loaddata`'s raw saves
and for rows deleted in a cascade; `checked_writes()` groups a change so that the rules see
its end state, not a half-written one. Model saves and deletes, QuerySet deletes and
`loaddata` open such a group themselves. `QuerySet.update()` and `bulk_create()` bypass the
signals and so these rules: the registry uses them only for derived columns and synthetic
benchmark data.
"""

import hashlib
import re
import threading
import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .formats import format_fte, nest_quotes

MAX_FTE = Decimal("1.00")

_state = threading.local()  # Django's connections are per thread, so is a change in progress.


class RuleViolation(ValidationError):
    """A change that would break a rule across records; nothing of it was saved."""


def _pending():
    return getattr(_state, "pending", None)


@contextmanager
def checked_writes():
    """Group writes into one change; check every aggregate it touched before it commits.

    Nested groups join the outermost one, which runs the checks.
    """
    if _pending() is not None:
        yield
        return
    _state.pending = defaultdict(set)
    _state.change_id = uuid.uuid4()
    _state.scratch = {}
    _state.notices = []
    try:
        with transaction.atomic():
            yield
            _check(_state.pending)
            _detach_outdated_citations(
                _state.scratch.get(_OUTDATED, {}), _state.pending.get("citation", set())
            )
            _restore_detached_citations(_state.scratch.get(_RESAVED, {}))
            for finish in _finishers:
                finish()
        _state.last_notices = _state.notices
    finally:
        _state.pending = None
        _state.change_id = None
        _state.scratch = None


# Run at the end of every change, after the rules (which may still write derived columns) and
# inside its transaction: the change feed records there what the change left behind.
_finishers = []


def at_end_of_change(finisher):
    """Register `finisher()` to run at the end of each change; returns it (a decorator)."""
    _finishers.append(finisher)
    return finisher


def change_scratch():
    """A dict that lasts as long as the change in progress, or None outside one: where a module
    collects what the change touched, to act on it in its `at_end_of_change` finisher."""
    return getattr(_state, "scratch", None)


def take_notices():
    """What the last change in this thread did on its own that the editor should be told
    (citations it took off), once; a list of sentences."""
    notices = getattr(_state, "last_notices", None) or []
    _state.last_notices = []
    return notices


class _Rollback(Exception):
    pass


def refusal_of(action):
    """The rule `action` (a write) would break, found by doing it and rolling it back.

    Lets a page warn before the editor confirms (a delete), with the same rules as the write.
    """
    try:
        with transaction.atomic():
            with checked_writes():
                action()
            raise _Rollback  # checked and allowed; undo it all the same
    except RuleViolation as violation:
        return violation
    except _Rollback:
        return None


def change_id():
    """The id of the change in progress, shared by the history rows it writes; or None."""
    return getattr(_state, "change_id", None)


def touch(kind, pk):
    """Mark an aggregate (`cooperation`, `post`, `procurement`) as changed, or a saved row
    (`commitment`) as part of this change. Outside a group the check runs at once."""
    if pk is None:
        return
    pending = _pending()
    if pending is not None:
        pending[kind].add(pk)
        return
    with transaction.atomic():
        _check({kind: {pk}})


def _check(pending):
    # Locks are taken in one order (posts, cooperations, procurements, each by id), so two
    # changes touching the same aggregates queue up instead of deadlocking.
    saved_commitments = pending.get("commitment", set())
    errors = []
    for pk in sorted(pending.get("post", ())):
        errors += check_post(pk, saved=saved_commitments)
    for pk in sorted(pending.get("cooperation", ())):
        errors += check_cooperation(pk)
    for pk in sorted(pending.get("procurement", ())):
        errors += check_procurement(pk)
    if errors:
        raise RuleViolation(errors)


def _lock(model, pk):
    # NO KEY UPDATE: the inserts in this change hold KEY SHARE locks on the same row (foreign
    # key checks); a plain FOR UPDATE would deadlock two editors against each other.
    return model._default_manager.select_for_update(no_key=True).filter(pk=pk).first()


def lock_post(post_id):
    """Take the post's lock before reading anything that a rule about the post depends on."""
    from .models import Post

    _lock(Post, post_id)


# --- validity periods ------------------------------------------------------------------------

# An unknown start is "since before anything we know"; an unknown end is "still running".
_EARLIEST, _LATEST = date.min, date.max


def _period(row):
    return (row.start_date or _EARLIEST, row.end_date or _LATEST)


def _overlap(a, b):
    return a[0] <= b[1] and b[0] <= a[1]


def _within(inner, outer):
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _period_words(row):
    start = row.start_date and row.start_date.isoformat()
    end = row.end_date and row.end_date.isoformat()
    if start and end:
        return _("från %(start)s till %(end)s") % {"start": start, "end": end}
    if start:
        return _("från %(start)s") % {"start": start}
    if end:
        return _("till %(end)s") % {"end": end}
    return _("utan känt start- eller slutdatum")


def peak_total(rows):
    """(highest total FTE at any moment, that moment's start) over rows with validity periods.

    Totals only change where a period starts, so checking every start is enough.
    """
    peak, when = Decimal("0"), None
    for start in sorted({_period(r)[0] for r in rows}):
        total = sum(
            (r.fte or 0 for r in rows if _overlap(_period(r), (start, start))), Decimal("0")
        )
        if total > peak:
            peak, when = total, start
    return peak, when


def _moment(when):
    """When the peak starts, for the sentence: "från 2027-01-01", or nothing if unknown."""
    if when is None or when == _EARLIEST:
        return ""
    return " " + _("från %(date)s") % {"date": date_format(when, "Y-m-d")}


# --- the rules -----------------------------------------------------------------------------


def check_post(post_id, saved=()):
    """A post is never financed above one full-time post, at any time.

    Counts every commitment that is not superseded, over its validity period: one that ends
    still counts while it runs, one that starts later counts from its start.
    """
    from .models import Post, StaffingCommitment

    post = _lock(Post, post_id)
    if post is None:
        return []
    rows = list(
        StaffingCommitment.objects.filter(post_id=post_id, superseded_by__isnull=True)
        .select_related("financer")
        .order_by("pk")
    )
    own = post.employer_share or Decimal("0")  # the employer's own share, where known
    total, when = peak_total(rows)
    total += own
    if total <= MAX_FTE:
        return []
    at_peak = [r for r in rows if _overlap(_period(r), (when, when))]
    facts = {
        "post": post.name,
        "when": _moment(when),
        "total": format_fte(total, min_decimals=1),
    }
    committed = sum((r.fte or 0 for r in at_peak if r.pk not in saved), Decimal("0"))
    if not any(r.pk in saved for r in at_peak):
        # No commitment of this change is in the sum: the employer's own share was raised.
        message = _(
            "Tjänsten ”%(post)s” skulle%(when)s finansieras med sammanlagt %(total)s "
            "heltidstjänst, men en tjänst rymmer högst 1,0. Andra kommuners åtaganden tar upp "
            "%(committed)s, så arbetsgivarens egen andel kan vara högst %(left)s."
        ) % {
            **facts,
            "committed": format_fte(committed, min_decimals=1),
            "left": format_fte(max(MAX_FTE - committed, Decimal("0")), min_decimals=1),
        }
    else:
        taken = (
            _("Arbetsgivarens egen andel och andra åtaganden tar redan upp %(n)s")
            if own
            else _("Andra åtaganden tar redan upp %(n)s")
        ) % {"n": format_fte(own + committed, min_decimals=1)}
        message = _(
            "Tjänsten ”%(post)s” skulle%(when)s finansieras med sammanlagt %(total)s "
            "heltidstjänst, men en tjänst rymmer högst 1,0. %(taken)s, så det som återstår att "
            "finansiera är %(left)s. Registrera åtagandet på en ny tjänst, eller avsluta ett "
            "befintligt åtagande (fyll i ”gäller till”) innan det nya börjar."
        ) % {
            **facts,
            "taken": taken,
            "left": format_fte(max(MAX_FTE - own - committed, Decimal("0")), min_decimals=1),
        }
    return [ValidationError(message, code="post_over_full_time")]


def check_cooperation(cooperation_id):
    """The host is the party with the host role; whoever finances is a party; one share at a
    time per post and financer."""
    from .models import Cooperation, Party, StaffingCommitment

    cooperation = _lock(Cooperation, cooperation_id)
    if cooperation is None:
        return []
    parties = {
        p.municipality_id: p
        for p in Party.objects.filter(cooperation_id=cooperation_id)
        .select_related("municipality")
        .order_by("municipality__name")
    }
    # The host is derived from the parties, in this one place: a party's role cannot say one
    # thing and the cooperation another, whichever form changed it.
    host = next((m for m, p in parties.items() if p.role == Party.Role.HOST), None)
    errors = []
    if host is not None and cooperation.has_host is False:
        errors.append(
            ValidationError(
                _(
                    "Samverkan är markerad som utan värdkommun, men en part har rollen "
                    "värdkommun. Ändra det ena eller det andra."
                ),
                code="host_contradiction",
            )
        )
    elif host is None and cooperation.has_host:
        errors.append(
            ValidationError(
                _(
                    "Samverkan är markerad som att den har en värdkommun: ge den parten rollen "
                    "värdkommun, eller lämna ”har värdkommun” tomt om källan inte säger vem."
                ),
                code="host_missing",
            )
        )
    errors += _bound_in_non_binding(cooperation, parties.values())
    derived = {"host_id": host}
    if host is not None:
        derived["has_host"] = True  # a host party says so itself
    if any(getattr(cooperation, k) != v for k, v in derived.items()):
        Cooperation.objects.filter(pk=cooperation_id).update(**derived)

    today = timezone.localdate()
    open_rows = [
        c
        for c in StaffingCommitment.objects.filter(
            cooperation_id=cooperation_id, superseded_by__isnull=True
        ).select_related("financer", "post")
        if c.end_date is None or c.end_date >= today
    ]
    for c in open_rows:
        fte = format_fte(c.fte) if c.fte is not None else _("en okänd andel")
        facts = {"financer": c.financer, "fte": fte, "post": c.post.name}
        party = parties.get(c.financer_id)
        if party is None or not party.is_bound:
            # "Gäller till" counts the day itself: a commitment that ends today still holds
            # today, so the editor who typed today's date is told the day it must end by.
            message = _(
                "%(financer)s finansierar %(fte)s av ”%(post)s” i den här samverkan och måste "
                "därför vara part, bunden genom beslut eller avtal, så länge åtagandet gäller. "
                "Avsluta först åtagandet: ”gäller till” senast %(yesterday)s, eftersom det "
                "gäller hela den dag som står där. Eller behåll kommunen som part, med ett "
                "slutdatum om den har lämnat."
            )
            facts["yesterday"] = (today - timedelta(days=1)).isoformat()
            errors.append(ValidationError(message % facts, code="financer_not_party"))
        elif not _within(_period(c), _period(party)):
            message = _(
                "%(financer)s är part %(party_period)s, men åtagandet om %(fte)s av ”%(post)s” "
                "gäller %(period)s. Ange datum så att åtagandet ligger inom tiden som part."
            )
            facts |= {"party_period": _period_words(party), "period": _period_words(c)}
            errors.append(ValidationError(message % facts, code="outside_party_period"))
    chains = defaultdict(list)
    for c in open_rows:
        chains[(c.post_id, c.financer_id)].append(c)
    for rows in chains.values():
        if any(_overlap(_period(a), _period(b)) for i, a in enumerate(rows) for b in rows[i + 1 :]):
            first = rows[0]
            errors.append(
                ValidationError(
                    _(
                        "%(financer)s har redan ett gällande åtagande för ”%(post)s” under "
                        "samma tid. Ett ändrat åtagande registreras som ett nytt som ersätter "
                        "det gamla: välj det gamla i fältet ”ersätter”."
                    )
                    % {"financer": first.financer, "post": first.post.name},
                    code="two_current_in_chain",
                )
            )
    return errors


def _bound_in_non_binding(cooperation, parties):
    """A municipality bound by decision or agreement in a cooperation recorded as binding no
    one (not legally binding, or a network or study by its form) contradicts the record."""
    if cooperation.form in cooperation.NON_BINDING_FORMS:
        why = _("har formen ”%(form)s” och är därmed inte juridiskt bindande") % {
            "form": cooperation.get_form_display().lower()
        }
    elif cooperation.legally_binding is False:
        why = _("är registrerad som inte juridiskt bindande")
    else:
        return []
    return [
        ValidationError(
            _(
                "%(municipality)s har åtagandegraden ”%(level)s”, men samverkan %(why)s. Välj "
                "en åtagandegrad som inte binder (nämnd, muntlig ambition eller "
                "avsiktsförklaring), eller be en registerredaktör rätta samverkan om källan "
                "säger att den är bindande."
            )
            % {"municipality": p.municipality.name, "level": p.get_level_display(), "why": why},
            code="bound_in_non_binding",
        )
        for p in parties
        if p.is_bound
    ]


def check_procurement(procurement_id):
    """A joint procurement has at least two buyers, and exactly one lead among them.

    "Joint" is stated by a source (and may be cited), so it is never flipped to fit the
    buyers: a joint procurement left with one buyer is refused, and the editor decides
    whether the buyer list or the "joint" answer is what is wrong.
    """
    from .models import PlannedProcurement, ProcurementBuyer

    procurement = _lock(PlannedProcurement, procurement_id)
    if procurement is None:
        return []
    leads = list(
        ProcurementBuyer.objects.filter(procurement_id=procurement_id).values_list(
            "is_lead", flat=True
        )
    )
    if len(leads) > 1 and procurement.joint is False:
        return [
            ValidationError(
                _(
                    "Upphandlingen har flera köpare men är markerad som inte gemensam. Ändra "
                    "”gemensam upphandling” eller ta bort köpare."
                ),
                code="joint_contradiction",
            )
        ]
    if procurement.joint and len(leads) < 2:
        return [
            ValidationError(
                _(
                    "Upphandlingen är markerad som gemensam men har %(count)s köpare. Lägg till "
                    "en köpare, eller ändra först ”Gemensam upphandling” till nej eller okänt "
                    "om källan inte säger att flera kommuner köper tillsammans."
                )
                % {"count": len(leads)},
                code="joint_with_one_buyer",
            )
        ]
    if len(leads) > 1 and sum(leads) != 1:
        return [
            ValidationError(
                _(
                    "En gemensam upphandling (flera köpare) behöver exakt en samordnande "
                    "kommun bland köparna. Markera den köpare som leder upphandlingen som "
                    "samordnande."
                ),
                code="joint_without_one_lead",
            )
        ]
    return []


# --- database constraints as messages ------------------------------------------------------


def integrity_message(error: IntegrityError):
    """The Swedish message of the constraint an IntegrityError names, or a general one.

    Forms check constraints before saving, but not those on fields a form does not show, and
    not a row another editor saved meanwhile; this turns what the database refused into words.
    """
    from django.apps import apps

    text = str(error)
    for model in apps.get_app_config("agreements").get_models():
        for constraint in model._meta.constraints:
            name = constraint.name % {
                "app_label": model._meta.app_label,
                "class": model.__name__.lower(),
            }
            if name in text:
                return constraint.get_violation_error_message()
    return _(
        "Ändringen krockade med en annan post i registret och sparades inte. Ladda om sidan "
        "och försök igen."
    )


# --- a citation vouches only for the value it was checked against --------------------------

_OUTDATED = "outdated_citations"
_RESAVED = "resaved_citables"
# The mark a citation taken off for a changed value leaves in its history row
# (history_change_reason): the field and a digest of the value it supported, so that the
# citation can come back when that value does.
_DETACHED = "detached"


def _citation_link(model):
    """The name of Citation's foreign key to `model`, or None if it cannot be cited."""
    from .models import CITABLE_FIELDS

    return next((name for name, m in CITABLE_FIELDS.items() if m is model), None)


def _value_digest(field, value):
    """A digest that two values share when neither says anything the other does not
    (`_says_other`): prose by its words, a number by its value (0,50 and 0,5 alike)."""
    if isinstance(field, models.TextField):
        text = " ".join(_words(value))
    elif isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    else:
        text = str(value)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def citations_outdated_by(instance):
    """{citation id: (field, digest of the value it supported)} of `instance`'s citations
    about a field whose value this save of `instance` changes (called before the save)."""
    from .models import Citation

    link = _citation_link(type(instance))
    if link is None or instance.pk is None:
        return {}
    cited = dict(
        Citation.objects.filter(**{f"{link}_id": instance.pk})
        .exclude(field_name="")
        .values_list("pk", "field_name")
    )
    if not cited:
        return {}
    meta = type(instance)._meta
    fields = {}
    for name in set(cited.values()):
        try:
            fields[name] = meta.get_field(name)
        except Exception:  # a name no field has: clean() refuses it, nothing to follow
            continue
    attnames = [field.attname for field in fields.values()]
    stored = type(instance)._base_manager.filter(pk=instance.pk).values(*attnames).first()
    if stored is None:
        return {}
    changed = {
        name: _value_digest(field, stored[field.attname])
        for name, field in fields.items()
        if _says_other(field, stored[field.attname], getattr(instance, field.attname))
    }
    return {pk: (name, changed[name]) for pk, name in cited.items() if name in changed}


def _words(text):
    return re.findall(r"\w+", (text or "").casefold())


def _says_other(field, old, new):
    """Does the new value say something the old did not? For prose (a description, a
    summary), a change of punctuation, capitals or spacing does not; any other word does,
    however small: "betalar" and "betalar inte", "0,3" and "0,5" differ by one word."""
    if isinstance(field, models.TextField):
        return _words(old) != _words(new)
    return old != new


def note_outdated_citations(instance, raw=False):
    """Before `instance` is saved: its citations about a field the save changes no longer
    vouch for it. Unless the same change saves them too (the editor checked them against the
    new value), they are taken off at the end of the change, and the editor is told. And a
    citation taken off that way earlier comes back at the end of the change if the save gives
    the field back the value it supported (a revert, or the old value typed again)."""
    if instance.pk is None:
        return
    outdated = citations_outdated_by(instance)
    scratch = change_scratch()
    if scratch is None:
        instance._outdated_citations = outdated  # a lone save: handled right after it
        return
    scratch.setdefault(_OUTDATED, {}).update(outdated)
    if not raw:  # a fixture brings its own citations
        scratch.setdefault(_RESAVED, {}).setdefault(type(instance), set()).add(instance.pk)


def lone_save_done(instance):
    outdated = getattr(instance, "_outdated_citations", None)
    if outdated is not None:
        instance._outdated_citations = None
        with checked_writes():
            _detach_outdated_citations(outdated, set())
            _restore_detached_citations({type(instance): {instance.pk}})


def citation_saved(pk):
    """A citation saved or deleted in this change: its editor has seen it."""
    pending = _pending()
    if pending is not None and pk is not None:
        pending["citation"].add(pk)


def _field_label(target, field):
    try:
        return str(type(target)._meta.get_field(field).verbose_name).capitalize()
    except Exception:
        return field


def _quote_excerpt(citation):
    quote = " ".join(citation.quote.split())
    return quote if len(quote) <= 80 else quote[:77] + "…"


def _notify(text):
    notices = getattr(_state, "notices", None)
    if notices is not None:
        notices.append(text)


def _detach_outdated_citations(outdated, checked):
    from .models import Citation

    doomed = [pk for pk in outdated if pk not in checked]
    if not doomed:
        return
    for citation in Citation.objects.with_targets().filter(pk__in=doomed).order_by("pk"):
        target = citation.target
        field, digest = outdated[citation.pk]
        _notify(
            _(
                "Citatet ”%(quote)s” ur ”%(source)s” stödde den tidigare lydelsen av "
                "”%(field)s” och har tagits bort från ”%(record)s”: det visas inte längre "
                "som källa. Citera källan på nytt om den stöder det nya värdet."
            )
            % {
                "quote": _quote_excerpt(citation),
                "source": citation.source.title,
                "field": _field_label(target, field),
                "record": nest_quotes(target),
            }
        )
        citation._change_reason = f"{_DETACHED} {field} {digest}"
        citation.delete()


def _restore_detached_citations(resaved):
    """Bring back the citations taken off for a changed value whose field has that value again.

    `resaved` is {model: ids saved in this change}. A citation an editor deleted stays deleted,
    and one that no longer passes its checks (its passage gone from an edited source, its
    anchor taken) stays off.
    """
    from .models import Citation

    for model, pks in resaved.items():
        link = _citation_link(model)
        if link is None:
            continue
        latest = {}
        deletions = Citation.history.filter(history_type="-", **{f"{link}_id__in": pks})
        for row in deletions.order_by("-history_date", "-history_id"):
            latest.setdefault(row.id, row)
        marked = {
            pk: row
            for pk, row in latest.items()
            if (row.history_change_reason or "").startswith(_DETACHED + " ")
        }
        if not marked:
            continue
        present = set(Citation.objects.filter(pk__in=marked).values_list("pk", flat=True))
        marked = {pk: row for pk, row in marked.items() if pk not in present}
        targets = model._base_manager.in_bulk({getattr(r, f"{link}_id") for r in marked.values()})
        for pk in sorted(marked):
            row = marked[pk]
            field_name, digest = row.history_change_reason.split(" ", 2)[1:]
            target = targets.get(getattr(row, f"{link}_id"))
            try:
                field = model._meta.get_field(field_name)
            except Exception:
                continue
            if target is None or _value_digest(field, getattr(target, field.attname)) != digest:
                continue
            citation = row.instance
            names = {
                "quote": _quote_excerpt(citation),
                "source": citation.source.title,
                "field": _field_label(target, field_name),
                "record": nest_quotes(target),
            }
            try:
                citation.full_clean()
            except ValidationError as refusal:
                # Say so, rather than leave the value without its source unseen: the anchor
                # may be taken by a newer citation, or the passage gone from an edited source.
                _notify(
                    _(
                        "”%(field)s” i ”%(record)s” har fått tillbaka det värde som citatet "
                        "”%(quote)s” ur ”%(source)s” stödde, men citatet kunde inte sättas "
                        "tillbaka: %(reason)s Citera källan på nytt om den stöder värdet."
                    )
                    % {**names, "reason": " ".join(refusal.messages)}
                )
                continue
            citation.save()
            _notify(
                _(
                    "Citatet ”%(quote)s” ur ”%(source)s” stöder åter ”%(field)s” i "
                    "”%(record)s”, som har fått tillbaka det värde citatet stödde: det visas "
                    "som källa igen."
                )
                % names
            )
