"""What a fresh clone relies on: migrations, locked dependencies, documented environment."""

import ast
import re
import tomllib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# Where the application and its operators' tooling read the environment.
CODE = [*sorted((ROOT / "registry").rglob("*.py")), *sorted((ROOT / "agreements").rglob("*.py"))]
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")
# Read by Django itself, set by wsgi.py/asgi.py/manage.py: nothing for an operator to choose.
NOT_OPERATOR_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


# --- locked dependencies ---------------------------------------------------------------------


def _pins():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)
    }


def test_every_requirement_in_pyproject_is_locked_in_a_version_it_allows():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    build = [
        line
        for line in (ROOT / "requirements-build.in").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    pins = _pins()
    unlocked = []
    for line in [*project["dependencies"], *project["optional-dependencies"]["dev"], *build]:
        requirement = Requirement(line)
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned, prereleases=True):
            unlocked.append(f"{line} (locked: {pinned})")
    assert not unlocked, "run `make lock`: " + ", ".join(unlocked)


def test_every_locked_version_carries_a_hash():
    blocks = re.split(r"\n(?=\S)", (ROOT / "requirements.lock").read_text(encoding="utf-8"))
    pinned = [block for block in blocks if "==" in block.split("\n", 1)[0]]
    assert len(pinned) == len(_pins()) > 20
    assert all("--hash=sha256:" in block for block in pinned)


# --- environment variables -------------------------------------------------------------------


def _reads_environment(node):
    """`os.environ.get(...)`, `os.getenv(...)`, `os.environ[...]`: a read of the environment."""
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) == "os.environ"
    return isinstance(node, ast.Call) and ast.unparse(node.func) in {
        "os.environ.get",
        "os.getenv",
    }


def _variables_read(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Helpers such as settings.env_bool(name) read the variable their caller names.
    helpers = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        and any(_reads_environment(node) for node in ast.walk(function))
        and function.args.args
    }
    names = set()
    for node in ast.walk(tree):
        if _reads_environment(node):
            argument = node.slice if isinstance(node, ast.Subscript) else node.args[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in helpers
            and node.args
        ):
            argument = node.args[0]
        else:
            continue
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
    return names


def variables_the_code_reads():
    names = set().union(*(_variables_read(path) for path in CODE))
    # The Makefile's own recipes read the environment as shell parameters: $${NAME:-default}.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    names |= set(re.findall(r"\$\$\{?([A-Z][A-Z0-9_]+)", makefile))
    return {name for name in names if ENV_NAME.match(name)} - NOT_OPERATOR_SETTINGS


def test_the_scan_finds_variables_read_directly_and_through_helpers():
    read = variables_the_code_reads()
    # One of each kind: os.environ.get, os.environ[...] (settings.py) and env_bool (a helper),
    # gunicorn.conf.py's own reads.
    assert {"DATABASE_URL", "DJANGO_S3_BUCKET", "DJANGO_DEBUG", "GUNICORN_WORKERS"} <= read


def _env_example_names():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))


def test_env_example_lists_every_variable_the_code_reads_and_no_other():
    documented = _env_example_names()
    read = variables_the_code_reads()
    missing, stale = sorted(read - documented), sorted(documented - read)
    assert not missing, f"missing from .env.example: {missing}"
    assert not stale, f"in .env.example but read nowhere: {stale}"


def test_readme_lists_every_variable_the_code_reads():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", readme))
    missing = sorted(variables_the_code_reads() - mentioned)
    assert not missing, f"missing from README.md: {missing}"
