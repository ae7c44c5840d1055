"""django-axes' access attempts, with a clean-up action that works and speaks Swedish.

axes' own action reads the time of the current login attempt from the request, which only
its login handling sets, so from the admin it fails with a server error; and it builds its
message with an f-string inside gettext, so no translation can ever match.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext


class RegistryAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.action(description=gettext_lazy("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = timezone.now()
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d utgånget inloggningsförsök har rensats bort.",
                "%(count)d utgångna inloggningsförsök har rensats bort.",
                count,
            )
            % {"count": count},
        )


def install(site):
    if site.is_registered(AccessAttempt):
        site.unregister(AccessAttempt)
        site.register(AccessAttempt, RegistryAccessAttemptAdmin)
