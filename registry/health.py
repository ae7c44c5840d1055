from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from agreements.cache import cache_status


def outbox_status():
    from agreements.alerts import outbox_status

    try:
        return outbox_status()
    except DatabaseError:
        return {"status": "unreachable"}


def database_status():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unreachable"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """For load balancers: each dependency's state, and an overall status.

    The database is required: without it the answer is 503, so traffic goes elsewhere. The page
    cache is not: without it pages come from the database, so the answer is 200 "degraded",
    and the load balancer keeps routing here.
    """
    checks = {"database": database_status(), "cache": cache_status()}
    if checks["database"] != "ok":
        return JsonResponse({"status": "error", **checks}, status=503)
    # Mail waiting longer than it should (the SMTP server or the worker is down) is worth an
    # alarm but no reason to route readers elsewhere: "degraded", like a missing cache.
    checks["outbox"] = outbox_status()
    degraded = checks["cache"] == "unreachable" or checks["outbox"]["status"] != "ok"
    return JsonResponse({"status": "degraded" if degraded else "ok", **checks})


# Load balancers may add a cache-buster to their probe; it must still get the JSON answer.
healthz.ignores_parameters = True
