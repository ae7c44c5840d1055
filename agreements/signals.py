from django.db.models.signals import pre_save
from django.dispatch import receiver


@receiver(pre_save)
def fill_search_document(sender, instance, **kwargs):
    # pre_save also fires for loaddata's raw saves, so fixtures get their search text too.
    build = getattr(instance, "build_search_document", None)
    if build is not None:
        instance.search_document = build()
