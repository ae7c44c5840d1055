"""Run the shipped nginx configuration (deploy/nginx/registry.conf.template) in a folder of its
own, in front of an application server: for tests/test_nginx.py and `make bench`.

Only the placeholders differ from a real installation (ports, paths, a self-signed
certificate); every directive of the template runs as shipped.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "registry.conf.template"
PLACEHOLDER = re.compile(r"\$\{(REGISTRY_[A-Z_]+)\}")


def executable():
    """Debian's nginx, or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def placeholders():
    return set(PLACEHOLDER.findall(TEMPLATE.read_text(encoding="utf-8")))


def render(values):
    """The template with every ${REGISTRY_...} replaced, as envsubst would; a missing value is
    an error, not an empty directive."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), TEMPLATE.read_text(encoding="utf-8"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def self_signed_certificate(folder: Path, name: str):
    certificate, key = folder / "registry.crt", folder / "registry.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


@contextlib.contextmanager
def running(folder: Path, upstream: str, static_root: Path, server_name="registry.test",
            workers=1):  # fmt: skip
    """Start nginx with the shipped configuration; yield {"http": port, "https": port}."""
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed_certificate(folder, server_name)
    ports = {"http": free_port(), "https": free_port()}
    (folder / "registry.conf").write_text(
        render(
            {
                "REGISTRY_SERVER_NAME": server_name,
                "REGISTRY_LISTEN_HTTP": f"127.0.0.1:{ports['http']}",
                "REGISTRY_LISTEN_HTTPS": f"127.0.0.1:{ports['https']}",
                "REGISTRY_TLS_CERTIFICATE": certificate,
                "REGISTRY_TLS_KEY": key,
                "REGISTRY_UPSTREAM": upstream,
                "REGISTRY_STATIC_ROOT": static_root,
                "REGISTRY_CACHE_DIR": folder / "cache",
            }
        ),
        encoding="utf-8",
    )
    # What Debian's /etc/nginx/nginx.conf provides around the http-context file, in `folder`.
    temp = "\n".join(
        f"    {kind}_temp_path {folder / ('tmp-' + kind)};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes {workers};
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    gzip on;
{temp}
    include {folder / "registry.conf"};
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [executable(), "-p", str(folder), "-c", str(folder / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        try:
            wait_for_port(ports["https"])
        except TimeoutError:
            process.kill()
            raise RuntimeError(f"nginx did not start: {process.communicate()[1]}") from None
        yield ports
    finally:
        process.terminate()
        process.wait(timeout=10)
