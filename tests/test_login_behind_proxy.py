"""The login lockout counts the real client, not the proxy, and cannot be steered by a header.

Through the admin's own login form (webtest), as staff and attackers reach it.
"""

import pytest

from tests.conftest import PASSWORD

PROXY = "10.0.0.2"  # REMOTE_ADDR as the app sees it behind a reverse proxy
CLIENT_A = "81.232.10.1"
CLIENT_B = "90.224.20.2"


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return settings.AXES_FAILURE_LIMIT


@pytest.fixture
def proxies(settings):
    """Configure `n` trusted proxies as DJANGO_TRUSTED_PROXY_COUNT=n does."""
    from registry.settings import client_address_settings

    def configure(n):
        for name, value in client_address_settings(n).items():
            setattr(settings, name, value)

    return configure


def log_in(app, username, password, remote_addr, forwarded_for=None):
    environ = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
    form = app.get("/admin/login/", extra_environ=environ).forms["login-form"]
    form["username"] = username
    form["password"] = password
    response = form.submit(extra_environ=environ, status="*")
    app.reset()  # each attempt as a fresh browser: no session carried over
    return response


def logged_in(response):
    return response.status_code == 302 and response["Location"].endswith("/admin/")


def locked_out(response):
    return response.status_code == 429


def test_behind_one_proxy_a_lockout_hits_the_client_not_everyone(
    personas, admin_app, proxies, limit
):
    proxies(1)
    for _ in range(limit):
        assert not logged_in(log_in(admin_app, "laxa", "fel", PROXY, CLIENT_A))
    assert locked_out(log_in(admin_app, "laxa", PASSWORD, PROXY, CLIENT_A))
    # Another client through the same proxy still gets in.
    assert logged_in(log_in(admin_app, "laxa", PASSWORD, PROXY, CLIENT_B))


def test_behind_one_proxy_a_forged_header_cannot_frame_another_client(
    personas, admin_app, proxies, limit
):
    proxies(1)
    # The attacker at A claims to be B; the proxy appends A, the address it really saw.
    for _ in range(limit + 2):
        log_in(admin_app, "laxa", "fel", PROXY, f"{CLIENT_B}, {CLIENT_A}")
    assert logged_in(log_in(admin_app, "laxa", PASSWORD, PROXY, CLIENT_B))
    assert locked_out(log_in(admin_app, "laxa", PASSWORD, PROXY, CLIENT_A))


def test_without_proxies_a_forged_header_does_not_evade_the_lockout(
    personas, admin_app, proxies, limit
):
    proxies(0)
    attacker = "81.232.30.3"
    for i in range(limit):
        log_in(admin_app, "laxa", "fel", attacker, f"90.224.40.{i + 1}")
    assert locked_out(log_in(admin_app, "laxa", PASSWORD, attacker, "90.224.40.99"))
    # Someone else, at their own address, is not affected.
    assert logged_in(log_in(admin_app, "laxa", PASSWORD, CLIENT_B))


def test_a_negative_proxy_count_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from registry.settings import client_address_settings

    with pytest.raises(ImproperlyConfigured):
        client_address_settings(-1)
