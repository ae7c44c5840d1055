#!/usr/bin/env python
"""make bench: the registry at national scale on PostgreSQL, under the production server.

For every public page kind, the API lists and the admin changelists it measures SQL queries
per page, p50/p95 latency under concurrency (wrk) and throughput relative to /healthz on the
same server in the same run. It prints a table, writes it to bench/results.md and into the
README between the bench markers.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
NOTES = ROOT / "bench" / "notes.md"
RESULTS_NOTES = "\n" + NOTES.read_text(encoding="utf-8") if NOTES.exists() else ""

PUBLIC = [
    ("home", "/"),
    ("municipality list", "/kommuner/"),
    ("municipality detail", "/kommuner/syntetisk-9001/"),
    ("cooperation list", "/samverkan/"),
    ("cooperation list, filtered", "/samverkan/?municipality=syntetisk-9002&status=active"),
    ("cooperation detail", "/samverkan/syntetisk-samverkan-00001/"),
    ("procurement list", "/upphandlingar/"),
    ("procurement list, page 100", "/upphandlingar/?page=100"),
    ("procurement list, filtered", "/upphandlingar/?procurement_year=2027&joint=1&cpv=7731"),
    ("procurement detail", "/upphandlingar/syntetisk-upphandling-050000/"),
    ("source list", "/kallor/"),
    ("source detail", "/kallor/askersund-svar-interpellation-upphandling/"),
    # The joint-buying finder pairs procurements across 100,000 in SQL, a page at a time.
    ("joint-buying finder", "/mojligheter/"),
    ("joint-buying finder, page 20", "/mojligheter/?page=20"),
    ("joint-buying finder, filtered", "/mojligheter/?county=91&year=2027&cpv=450"),
    ("English cooperation detail", "/en/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/"),
    # Last: searches are never cached, and their backlog would slow whatever ran next.
    ("search, 100k procurements", "/upphandlingar/?q=vinterv%C3%A4gh%C3%A5llning+ramavtal"),
]
API = [
    ("API municipalities", "/api/v1/municipalities/"),
    ("API cooperations", "/api/v1/cooperations/"),
    ("API procurements", "/api/v1/procurements/"),
    ("API procurements, filtered", "/api/v1/procurements/?municipality=syntetisk-9003"),
    ("API sources", "/api/v1/sources/"),
    ("API citations", "/api/v1/citations/"),
    ("OCDS releases", "/api/v1/ocds/releases/"),
    ("API joint-buying finder", "/api/v1/opportunities/"),
    ("API change feed, first page", "/api/v1/changes/"),
]
ADMIN = [
    ("admin cooperations", "/admin/agreements/cooperation/"),
    ("admin procurements", "/admin/agreements/plannedprocurement/"),
    ("admin commitments", "/admin/agreements/staffingcommitment/"),
    ("admin parties", "/admin/agreements/party/"),
    ("admin citations", "/admin/agreements/citation/"),
    ("admin municipalities", "/admin/agreements/municipality/"),
    ("admin procurement search", "/admin/agreements/plannedprocurement/?q=vinter"),
]
COUNT_QUERIES = """
import json, sys
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
paths, cookie = json.loads(sys.stdin.read())
client = Client(HTTP_HOST="127.0.0.1")
client.cookies["sessionid"] = cookie
counts = {}
for path in paths:
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(path).status_code
    counts[path] = [len(ctx.captured_queries), status]
print(json.dumps(counts))
"""
ADMIN_SESSION = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True,
    "is_superuser": True})
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.set_expiry(3600)
session.save()
print(session.session_key)
"""


def manage(env, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, text=True,
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("wrk is needed: apt-get install wrk (as root)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # fmt: skip


def fresh_database(server, name):
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return conn.execute("SHOW server_version").fetchone()[0]


def wrk(url, connections, duration, cookie=None, host=None, app=None):
    """Measure `url`; `app` is the application server's base address when `url` is not it."""
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s",
           "-s", str(ROOT / "bench" / "report.lua"), url]  # fmt: skip
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: sessionid={cookie}"]
    if host:
        cmd[1:1] = ["-H", f"Host: {host}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    # Requests still queued when wrk stops must not slow the next measurement: a backlog of
    # uncached searches took longer than any fixed pause.
    drain((app or url).split("/", 3)[:3])
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def drain(parts, timeout=60):
    """Wait until the server answers /healthz promptly three times in a row."""
    url = "/".join(parts) + "/healthz"
    deadline, prompt = time.monotonic() + timeout, 0
    time.sleep(1)
    while prompt < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            urllib.request.urlopen(url, timeout=10).read()
        except OSError:
            prompt = 0
            continue
        prompt = prompt + 1 if time.monotonic() - started < 0.05 else 0
        time.sleep(0.2)


def wait_for(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"server did not answer at {url}")


def measure(env, base, args, cookie, page_cache):
    """Start gunicorn, measure /healthz and every page, stop it; admin and search uncached."""
    env = {**env, "DJANGO_PAGE_CACHE_SECONDS": "300" if page_cache else "0"}
    label = "cached" if page_cache else "uncached"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "registry.wsgi", "-c", "registry/gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    result = {"rows": {}}
    try:
        wait_for(f"{base}/healthz")
        # Warm up as the measured clients will ask: anonymous for public pages (filling the
        # shared cache when it is on), with the staff session for the admin.
        for _, path in PUBLIC + API:
            urllib.request.urlopen(base + path).read()
        if not page_cache:
            for _, path in ADMIN:
                urllib.request.urlopen(
                    urllib.request.Request(base + path, headers={"Cookie": f"sessionid={cookie}"})
                ).read()
        result["health"] = wrk(f"{base}/healthz", args.connections, args.duration)
        for name, path in PUBLIC + API:
            print(f"  {label}: {name} ...", flush=True)
            result["rows"][path] = wrk(base + path, args.connections, args.duration)
        if not page_cache:
            # The admin is never cached: one staff member at a time.
            for name, path in ADMIN:
                print(f"  {name} ...", flush=True)
                result["rows"][path] = wrk(base + path, 1, args.duration, cookie)
            result["search_single"] = wrk(base + PUBLIC[-1][1], 1, args.duration)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return result


def measure_nginx(env, base, args):
    """The shipped nginx configuration in front of gunicorn (page cache on): what most
    anonymous requests meet in production, served from nginx's cache within max-age."""
    sys.path.insert(0, str(ROOT))
    from deploy import nginx

    if nginx.executable() is None:
        print("  nginx is not installed (apt-get install nginx): no nginx column", flush=True)
        return None
    env = {**env, "DJANGO_PAGE_CACHE_SECONDS": "300", "DJANGO_BEHIND_PROXY": "true",
           "DJANGO_ALLOWED_HOSTS": env["DJANGO_ALLOWED_HOSTS"] + ",registry.test"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "registry.wsgi", "-c", "registry/gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    result = {"rows": {}}
    folder = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    try:
        wait_for(f"{base}/healthz")
        upstream = base.removeprefix("http://")
        static = Path(env.get("DJANGO_STATIC_ROOT") or ROOT / "staticfiles")
        with nginx.running(folder, upstream, static, workers=os.cpu_count()) as ports:
            front = f"https://127.0.0.1:{ports['https']}"
            for name, path in PUBLIC + API:
                print(f"  nginx: {name} ...", flush=True)
                result["rows"][path] = wrk(
                    front + path, args.connections, args.duration, host="registry.test", app=base
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    return result


def measure_export(env):
    """`manage.py export_bulk` at national scale: seconds, peak memory and the ZIP's size."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        out = manage({**env, "REGISTRY_EXPORT_DIR": folder}, "export_bulk")
        seconds = time.monotonic() - started
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    found = re.search(r"\(([\d.]+) s processortid\), högst (\d+) MB minne", out)
    return {
        "seconds": seconds,
        "cpu": float(found[1]),
        "peak_mb": int(found[2]),
        "size_mb": manifest["size"] / 1e6,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--duration", type=int, default=5, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() * 2 + 1)
    args = parser.parse_args()
    ensure_wrk()

    pg_version = fresh_database(args.server, args.database)
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DATABASE_URL": f"{args.server}/{args.database}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_CONN_MAX_AGE": "60",
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_ACCESSLOG": "",
        # The workers share the page cache, as several servers would in production.
        "DJANGO_CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/1"),
    }
    print(f"Database {args.database} on PostgreSQL {pg_version}; migrating ...", flush=True)
    manage(env, "migrate", "--noinput")
    started = time.monotonic()
    manage(env, "loaddata", "fixtures/seed.json")
    seed_seconds = time.monotonic() - started
    print(f"Seed fixtures loaded in {seed_seconds:.2f} s; generating national data ...", flush=True)
    started = time.monotonic()
    manage(env, "generate_scale_data")
    generate_seconds = time.monotonic() - started
    print(f"National data generated in {generate_seconds:.1f} s", flush=True)
    # The bulk download, before any server runs: the machine is otherwise quiet.
    export = measure_export(env)
    print(f"Bulk download written in {export['seconds']:.1f} s", flush=True)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "shell", "--no-imports", "-c", "from django.core.cache import cache; cache.clear()")
    cookie = manage(env, "shell", "--no-imports", "-c", ADMIN_SESSION).strip()
    # What autovacuum does soon after a bulk load in production: statistics for the planner,
    # and the visibility map that lets counts read an index instead of every row.
    manage(env, "shell", "--no-imports", "-c", "from django.db import connection; "
           "connection.cursor().execute('VACUUM ANALYZE')")  # fmt: skip

    pages = PUBLIC + API + ADMIN
    paths = json.dumps([[p for _, p in pages], cookie])
    counts = json.loads(manage(env, "shell", "--no-imports", "-c", COUNT_QUERIES, stdin=paths))

    # Two servers, one after the other: with the shared page cache (what a repeat visitor
    # gets) and without it (what a crawler, the first visitor after an edit and the long tail
    # of detail pages get). Each is compared with /healthz on the same server, in the same run.
    cached = measure(env, base, args, cookie, page_cache=True)
    uncached = measure(env, base, args, cookie, page_cache=False)
    # And a third: the shipped nginx configuration in front (deploy/nginx).
    proxied = measure_nginx(env, base, args)

    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: {os.cpu_count()} CPU "
        f"cores, {platform.machine()}, Python {platform.python_version()}, PostgreSQL "
        f"{pg_version}, gunicorn with {args.workers} workers, wrk {args.duration} s per URL, "
        f"{args.connections} connections (admin: 1).",
        "",
        f"Seed fixtures load: **{seed_seconds:.2f} s** (target < 2 s). National data set "
        f"(290 municipalities, 5,000 cooperations, 100,000 planned procurements): generated in "
        f"**{generate_seconds:.1f} s** (target < 300 s).",
        f"Bulk download (`export_bulk`, the whole registry as one ZIP): **{export['seconds']:.1f} "
        f"s** (target < 60 s; {export['cpu']:.1f} s of processor time), peak memory "
        f"**{export['peak_mb']} MB**, ZIP **{export['size_mb']:.1f} MB**.",
        "",
        f"`/healthz` at {args.connections} connections: {cached['health']['rps']:.0f} req/s "
        f"(p95 {cached['health']['p95']:.1f} ms) beside the cached pages, "
        f"{uncached['health']['rps']:.0f} req/s (p95 {uncached['health']['p95']:.1f} ms) beside "
        f"the uncached ones.",
        f"Search across 100,000 procurements, one connection, uncached: p50 "
        f"**{uncached['search_single']['p50']:.1f} ms**, p95 "
        f"**{uncached['search_single']['p95']:.1f} ms** (target p95 < 50 ms).",
        "",
        "Targets, uncached, at national scale: **required** ≥ 10 % of /healthz's throughput, "
        "p95 < 150 ms, no errors; **aimed for** ≥ 30 %, p95 < 50 ms. Admin changelists: p50 < "
        "300 ms. The cached columns show what the page cache adds on top; the nginx columns, "
        "what the shipped nginx configuration (deploy/nginx) adds in front of that, over HTTPS "
        "(anonymous requests within max-age are answered from nginx's cache).",
        "",
        "| kind | page | SQL queries | nginx req/s | nginx p95 ms | cached req/s "
        "| cached p95 ms | uncached p50 ms | uncached p95 ms | uncached req/s | vs /healthz "
        "| errors | targets |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    failures, missed_aims = [], []
    for kind, name, path in (
        [("public", *p) for p in PUBLIC]
        + [("api", *p) for p in API]
        + [("admin", *p) for p in ADMIN]
    ):
        queries, status = counts[path]
        fresh = uncached["rows"][path]
        hit = cached["rows"].get(path)
        errors = fresh["errors"] + fresh["non2xx"] + (hit["errors"] + hit["non2xx"] if hit else 0)
        ratio = fresh["rps"] / uncached["health"]["rps"]
        if kind == "admin":
            required = fresh["p50"] < 300 and status == 200 and errors == 0
            aimed = required
            verdict = "met: p50 < 300 ms" if required else "**not met**: p50 < 300 ms"
        else:
            required = ratio >= 0.10 and fresh["p95"] < 150 and status == 200 and errors == 0
            aimed = required and ratio >= 0.30 and fresh["p95"] < 50
            verdict = (
                "required and aimed for met" if aimed
                else "required met; aimed for **not met**" if required
                else "required **not met**"
            )  # fmt: skip
        if not required:
            failures.append(name)
        if not aimed and kind != "admin":
            missed_aims.append(name)
        cached_cells = f"{hit['rps']:.0f} | {hit['p95']:.1f}" if hit else "– | –"
        front = proxied["rows"].get(path) if proxied else None
        if front:
            errors += front["errors"] + front["non2xx"]
        nginx_cells = f"{front['rps']:.0f} | {front['p95']:.1f}" if front else "– | –"
        lines.append(
            f"| {kind} | {name} (`{path}`) | {queries} | {nginx_cells} | {cached_cells} | "
            f"{fresh['p50']:.1f} | "
            f"{fresh['p95']:.1f} | {fresh['rps']:.0f} | {ratio:.0%} | {errors} | {verdict} |"
        )
    search = uncached["search_single"]
    for check, ok in [("seed load", seed_seconds < 2), ("generation", generate_seconds < 300),
                      ("search p95, one connection", search["p95"] < 50),
                      ("bulk download", export["seconds"] < 60)]:  # fmt: skip
        if not ok:
            failures.append(check)
    lines += [
        "",
        "Required targets not met: " + (", ".join(failures) if failures else "none") + ".",
        # Every page short of its aim, those short of the requirement too: "none" here
        # must mean every page met it.
        "Aimed-for targets not met: " + (", ".join(missed_aims) if missed_aims else "none") + ".",
    ]
    table = "\n".join(lines)
    print("\n" + table)
    RESULTS.write_text(f"# Benchmark results\n\n{table}\n{RESULTS_NOTES}", encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    if START in readme and END in readme:
        head, rest = readme.split(START, 1)
        README.write_text(head + START + "\n" + table + "\n" + END + rest.split(END, 1)[1])
    print(f"\nWritten to {RESULTS.relative_to(ROOT)} and the README.")


if __name__ == "__main__":
    main()
