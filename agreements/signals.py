from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .models import (
    Objection,
    Party,
    ProcurementBuyer,
    StaffingCommitment,
)
from .models.base import TimestampedModel


@receiver(pre_save)
def fill_search_document(sender, instance, **kwargs):
    # pre_save also fires for loaddata's raw saves, so fixtures get their search text too.
    build = getattr(instance, "build_search_document", None)
    if build is not None:
        instance.search_document = build()


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
