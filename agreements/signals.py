from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from . import rules
from .models import (
    CITABLE_FIELDS,
    Citation,
    Cooperation,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)
from .models.base import TimestampedModel, VersionedModel
from .models.sources import store_citation_positions


@receiver(pre_save)
def fill_search_document(sender, instance, **kwargs):
    # pre_save also fires for loaddata's raw saves, so fixtures get their search text too.
    build = getattr(instance, "build_search_document", None)
    if build is not None:
        instance.search_document = build()


@receiver(pre_save)
def bump_version(sender, instance, raw=False, **kwargs):
    # Each real save is a new version; a form still holding the old one is then stale. Counted
    # from the stored row, so that saving an old copy (a revert) still moves the version on.
    if isinstance(instance, VersionedModel) and not raw and instance.pk is not None:
        stored = sender._default_manager.filter(pk=instance.pk).values_list("version", flat=True)
        instance.version = max(stored.first() or 0, instance.version or 0) + 1


@receiver(pre_save)
def stamp_updated_at(sender, instance, raw=False, **kwargs):
    if not isinstance(instance, TimestampedModel):
        return
    if not raw:
        instance.updated_at = timezone.now()
        return
    # A fixture load keeps the stored time, so loading the same fixture twice changes nothing.
    if instance.updated_at is None and instance.pk is not None:
        instance.updated_at = (
            sender.objects.filter(pk=instance.pk).values_list("updated_at", flat=True).first()
        )
    if instance.updated_at is None:
        instance.updated_at = timezone.now()


# Child rows change what their parent's page shows, so they count as a change of the parent.
PARENT_OF = {
    Party: "cooperation",
    StaffingCommitment: "cooperation",
    Objection: "cooperation",
    ProcurementBuyer: "procurement",
}


def touch_parent(sender, instance, raw=False, **kwargs):
    if raw:
        return
    field = PARENT_OF[sender]
    parent_model = sender._meta.get_field(field).related_model
    parent_model.objects.filter(pk=getattr(instance, f"{field}_id")).update(
        updated_at=timezone.now()
    )


for child in PARENT_OF:
    post_save.connect(touch_parent, sender=child, dispatch_uid=f"touch-saved-{child.__name__}")
    post_delete.connect(touch_parent, sender=child, dispatch_uid=f"touch-deleted-{child.__name__}")


@receiver(post_save)
def baseline_history_for_loaded_rows(sender, instance, raw=False, **kwargs):
    # loaddata saves raw and django-simple-history then records nothing, so the first real
    # edit would have nothing to compare with. Record the loaded state once, as its creation.
    if not raw or not isinstance(instance, VersionedModel) or not hasattr(sender, "history"):
        return
    if not sender.history.filter(**{sender._meta.pk.attname: instance.pk}).exists():
        sender.history.bulk_history_create(
            [instance],
            default_change_reason="loaddata",
            custom_historical_attrs={"change_group": rules.change_id()},
        )


@receiver(pre_create_historical_record)
def group_history_by_change(sender, history_instance, **kwargs):
    # The rows one change writes (an admin save with its inline rows) share one id.
    history_instance.change_group = rules.change_id()


# What each row's rules across records are about (agreements/rules.py). Raw saves count too:
# a fixture must obey the same rules as a form.
RULE_AGGREGATES = {
    Cooperation: [("cooperation", "pk")],
    # The employer's own share counts towards the post's one full-time post, as the
    # commitments do: raising it is checked like adding a commitment.
    Post: [("post", "pk")],
    PlannedProcurement: [("procurement", "pk")],
    Party: [("cooperation", "cooperation_id")],
    StaffingCommitment: [
        ("cooperation", "cooperation_id"),
        ("post", "post_id"),
        ("commitment", "pk"),
    ],
    ProcurementBuyer: [("procurement", "procurement_id")],
}


def mark_for_rules(sender, instance, **kwargs):
    for kind, attribute in RULE_AGGREGATES[sender]:
        rules.touch(kind, getattr(instance, attribute))


for model in RULE_AGGREGATES:
    post_save.connect(mark_for_rules, sender=model, dispatch_uid=f"rules-saved-{model.__name__}")
    post_delete.connect(
        mark_for_rules, sender=model, dispatch_uid=f"rules-deleted-{model.__name__}"
    )


@receiver(pre_save, sender=SourceDocument)
def prepare_loaded_source(sender, instance, raw=False, using=None, **kwargs):
    # loaddata saves raw, bypassing save(): a fixture names its seeds/ file, and the text,
    # checksum and the citations' positions must follow from it here, as they do on save().
    if raw:
        instance.prepare_text()
        store_citation_positions(instance.citation_positions(), using)


@receiver(pre_save, sender=Citation)
def locate_loaded_citation(sender, instance, raw=False, **kwargs):
    # The same check as Citation.save(): a fixture cannot bring in a quote the text lacks.
    if raw:
        instance.locate()


# A citation vouches for the value it was checked against (agreements/rules.py).
def outdate_citations(sender, instance, raw=False, **kwargs):
    rules.note_outdated_citations(instance, raw=raw)


def detach_after_lone_save(sender, instance, **kwargs):
    rules.lone_save_done(instance)


def citation_seen(sender, instance, **kwargs):
    rules.citation_saved(instance.pk)


for citable in set(CITABLE_FIELDS.values()):
    pre_save.connect(outdate_citations, sender=citable, dispatch_uid=f"outdate-{citable.__name__}")
    post_save.connect(
        detach_after_lone_save, sender=citable, dispatch_uid=f"detach-{citable.__name__}"
    )
post_save.connect(citation_seen, sender=Citation, dispatch_uid="citation-seen-saved")
post_delete.connect(citation_seen, sender=Citation, dispatch_uid="citation-seen-deleted")
