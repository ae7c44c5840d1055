"""The shipped nginx configuration in front of gunicorn: a shared cache that keeps what is public
and nothing else, conditional requests, static files, the client's address, and no poisoning.

nginx runs deploy/nginx/registry.conf.template as shipped (deploy/nginx.py fills in ports,
paths and a self-signed certificate); gunicorn runs the production settings on a SQLite file
with the seed. Requests go over HTTPS to 127.0.0.1 with the registry's name in Host, as a
browser's would after DNS.
"""

import http.cookiejar
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from deploy import nginx

from .test_production import STRONG_KEY, manage

ROOT = Path(__file__).resolve().parent.parent
NAME = "registry.test"
MAX_AGE, STALE = 2, 1
# nginx keeps time in whole seconds: a copy may live up to a second past its max-age.
NGINX_CLOCK = 1.5
AGREEMENT = "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/"
STAFF, STAFF_PASSWORD = "redaktor", "Ett-långt-lösenord-för-nginx-2026"


def _require_nginx():
    if nginx.executable() is None:
        message = "nginx is not installed (apt-get install nginx); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """gunicorn with the seed behind nginx; yields a client for https://registry.test."""
    _require_nginx()
    folder = tmp_path_factory.mktemp("nginx")
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": NAME,
        "REGISTRY_BASE_URL": f"https://{NAME}",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{NAME}",
        "DJANGO_BEHIND_PROXY": "true",
        "DJANGO_TRUSTED_PROXY_COUNT": "1",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DJANGO_HTTP_MAX_AGE": str(MAX_AGE),
        "DJANGO_HTTP_STALE_WHILE_REVALIDATE": str(STALE),
        "DJANGO_LOGIN_FAILURE_LIMIT": "3",
    }
    manage("migrate", "--noinput", env=env)
    manage("loaddata", "fixtures/seed.json", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage(
        "createsuperuser", "--noinput", "--username", STAFF, "--email", "r@example.se",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": STAFF_PASSWORD},
    )  # fmt: skip
    app_port = nginx.free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    app = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "registry.wsgi", "-c", "registry/gunicorn.conf.py"],
        cwd=ROOT,
        env={
            **base, **env, "GUNICORN_BIND": f"127.0.0.1:{app_port}", "GUNICORN_WORKERS": "2",
            "GUNICORN_ACCESSLOG": "",
        },
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        nginx.wait_for_port(app_port)
        with nginx.running(folder / "nginx", f"127.0.0.1:{app_port}", folder / "static") as ports:
            yield Site(ports["https"], ports["http"], env)
    finally:
        app.terminate()
        app.wait(timeout=10)


class Site:
    def __init__(self, https_port, http_port, env):
        self.https_port, self.http_port, self.env = https_port, http_port, env
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def opener(self, cookies=None):
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        handlers = [urllib.request.HTTPSHandler(context=self.context), NoRedirect()]
        if cookies is not None:
            handlers.append(urllib.request.HTTPCookieProcessor(cookies))
        return urllib.request.build_opener(*handlers)

    def get(self, path, host=NAME, cookies=None, data=None, scheme="https", **headers):
        port = self.https_port if scheme == "https" else self.http_port
        request = urllib.request.Request(
            f"{scheme}://127.0.0.1:{port}{path}", data=data, headers={"Host": host, **headers}
        )
        try:
            with self.opener(cookies).open(request, timeout=20) as response:
                return response.status, response.headers, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def change_agreement_description(self, text):
        code = (
            "from agreements.models import Cooperation; "
            "c = Cooperation.objects.get(slug='avtalssamverkan-hallsberg-laxa-lekeberg'); "
            f"c.description = {text!r}; c.save()"
        )
        manage("shell", "--no-imports", "-c", code, env=self.env)

    def log_in(self, username=STAFF, password=STAFF_PASSWORD, cookies=None):
        cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        _, _, page = self.get("/admin/login/", cookies=cookies)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token,
             "next": "/admin/"}
        ).encode()  # fmt: skip
        status, _headers, body = self.get(
            "/admin/login/", cookies=cookies, data=data, Origin=f"https://{NAME}",
            Referer=f"https://{NAME}/admin/login/",
        )  # fmt: skip
        return status, cookies, body


def test_a_public_page_is_served_from_nginx_on_the_second_request(site):
    first = site.get("/kommuner/")
    second = site.get("/kommuner/")
    assert first[0] == second[0] == 200
    assert first[1]["X-Cache-Status"] == "MISS"
    assert second[1]["X-Cache-Status"] == "HIT"
    assert second[2] == first[2] and "Hallsberg" in second[2]
    # nginx keeps it for max-age; browsers behind it revalidate each time (no Age header).
    assert first[1]["Cache-Control"] == second[1]["Cache-Control"] == "public, no-cache"


def test_compressed_answers_say_they_vary_by_encoding(site):
    status, headers, _ = site.get("/kommuner/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]


def test_a_conditional_request_gets_304(site):
    _, headers, _ = site.get("/upphandlingar/")
    status, again, body = site.get("/upphandlingar/", **{"If-None-Match": headers["ETag"]})
    assert status == 304 and body == ""
    assert again["ETag"] == headers["ETag"]


def test_after_max_age_nginx_revalidates_with_the_application(site):
    site.get("/kallor/")
    # nginx counts freshness in whole seconds: one more, to be past stale-while-revalidate.
    time.sleep(MAX_AGE + STALE + NGINX_CLOCK)
    status, headers, body = site.get("/kallor/")
    # nginx asked with If-None-Match and the application answered 304: the kept copy is served.
    assert status == 200
    assert headers["X-Cache-Status"] == "REVALIDATED", (headers["X-Cache-Status"], headers["ETag"])
    assert "Askersund" in body


def test_a_change_is_visible_to_the_public_within_max_age(site):
    site.get(AGREEMENT)
    assert site.get(AGREEMENT)[1]["X-Cache-Status"] == "HIT"
    site.change_agreement_description("Beskrivningen är ändrad för testet.")
    changed = time.monotonic()
    seen = None
    while time.monotonic() - changed < MAX_AGE + STALE + 3:
        _status, _, body = site.get(AGREEMENT)
        if "Beskrivningen är ändrad för testet." in body:
            seen = time.monotonic() - changed
            break
        time.sleep(0.2)
    assert seen is not None, "the change never reached the public"
    # max-age, then at most one stale answer while nginx fetches the new page in the background.
    assert seen <= MAX_AGE + STALE + NGINX_CLOCK


def test_a_staff_page_is_never_cached_or_served_to_anyone_else(site):
    status, cookies, _ = site.log_in()
    assert status == 302
    for _ in range(2):
        status, headers, body = site.get("/admin/", cookies=cookies)
        assert status == 200 and STAFF in body
        assert headers["Cache-Control"] == "private, no-store"
        assert headers["X-Cache-Status"] == "BYPASS"
    status, headers, body = site.get("/admin/")
    assert status == 302 and headers["Location"].startswith("/admin/login/")
    assert STAFF not in body


def test_a_public_page_asked_by_staff_is_not_kept_for_the_public(site):
    _, cookies, _ = site.log_in()
    status, headers, _ = site.get("/oppna-data/", cookies=cookies)
    assert status == 200 and headers["X-Cache-Status"] == "BYPASS"
    assert headers["Cache-Control"] == "private, no-store"
    assert site.get("/oppna-data/")[1]["X-Cache-Status"] == "MISS"


def test_a_forged_host_header_cannot_poison_the_cache(site):
    # Another name is refused before the application: nginx closes the connection.
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        site.get("/api/v1/cooperations/", host="evil.example:6666")
    # The registry's name with a made-up port reaches the application without the port.
    status, _, body = site.get("/api/v1/cooperations/", host=f"{NAME}:6666")
    assert status == 200 and ":6666" not in body
    status, headers, body = site.get("/api/v1/cooperations/")
    assert status == 200 and headers["X-Cache-Status"] == "HIT"
    assert ":6666" not in body and "evil.example" not in body
    assert json.loads(body)["results"][0]["url"].startswith(f"https://{NAME}/api/v1/")


def test_static_files_are_served_by_nginx_with_a_long_life(site):
    _, _, page = site.get("/")
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    status, headers, body = site.get(stylesheet)
    assert status == 200 and "{" in body
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "X-Cache-Status" not in headers  # from disk, not from the application


def test_plain_http_moves_to_https_except_the_health_check(site):
    status, headers, _ = site.get("/kommuner/", scheme="http")
    assert status == 301 and headers["Location"] == f"https://{NAME}/kommuner/"
    status, _, body = site.get("/healthz", scheme="http")
    assert status == 200 and "database" in body


def test_the_login_lockout_sees_the_client_address_not_a_forged_one(site):
    # Failed logins from one client, each claiming another address in X-Forwarded-For: nginx
    # replaces the header, so all count against the real address and the lockout follows.
    statuses = []
    for attempt in range(4):
        cookies = http.cookiejar.CookieJar()
        _, _, page = site.get("/admin/login/", cookies=cookies)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": "gissning", "password": "fel", "csrfmiddlewaretoken": token}
        ).encode()
        status, _, _ = site.get(
            "/admin/login/", cookies=cookies, data=data, Origin=f"https://{NAME}",
            Referer=f"https://{NAME}/admin/login/",
            **{"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
        )  # fmt: skip
        statuses.append(status)
    assert statuses[0] == 200  # the form again, with an error
    assert statuses[-1] == 429  # locked out at DJANGO_LOGIN_FAILURE_LIMIT=3


def test_the_readme_fills_in_every_placeholder_of_the_template():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### HTTP caching and nginx", 1)[1].split("\n### ", 1)[0]
    assert nginx.placeholders() == set(re.findall(r"\b(REGISTRY_[A-Z_]+)=", section))
