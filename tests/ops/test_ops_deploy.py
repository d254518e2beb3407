"""The hardened deployment: check --deploy passes with production settings, HTTPS and its
cookies and HSTS follow one switch, the CSP is strict and the templates keep to it, no URL
serves MEDIA_ROOT directly, and the image, the locks, compose and gunicorn are as intended."""

import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(settings.BASE_DIR)


def production_env(**overrides) -> dict:
    """What an operator sets: no DEBUG, a real key, the public host, TLS at the proxy."""
    env = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "anquan.jyt.shanxi.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://anquan.jyt.shanxi.gov.cn",
        "HTTPS": "1",
        "PROXY_SETS_X_FORWARDED_PROTO": "1",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "STAFF_ID_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "STAFF_ID_HASH_KEY": secrets.token_hex(32),
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_https_the_deploy_check_fails_on_what_https_turns_on():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(HTTPS="0"))
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def _setting(name: str, env: dict) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(repr(getattr(settings, {name!r}, None)))"
    )
    result = subprocess.run(  # noqa: S603 - our own code
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_forwarded_proto_header_is_believed_only_when_told():
    told = production_env()
    assert _setting("SECURE_PROXY_SSL_HEADER", told) == "('HTTP_X_FORWARDED_PROTO', 'https')"
    untold = production_env(PROXY_SETS_X_FORWARDED_PROTO=None)
    assert _setting("SECURE_PROXY_SSL_HEADER", untold) == "None"


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=None))
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.django_db
@override_settings(
    SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SESSION_COOKIE_SECURE=True
)
def test_pages_over_tls_carry_hsts_and_a_strict_csp(client):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy, "no inline, no eval, no outside host"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


# -- templates keep to the policy ------------------------------------------------------

_VIOLATIONS = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "on*= handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "style= attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx eval (hx-on, hx-vars, js:)": re.compile(r"hx-on|hx-vars|=\s*[\"']js:", re.I),
}


def _templates() -> list[Path]:
    skip = {".venv", "staticfiles", "node_modules", ".git"}
    return sorted(
        path
        for path in ROOT.rglob("*.html")
        if not skip & set(path.relative_to(ROOT).parts) and "templates" in path.parts
    )


def test_no_template_breaks_the_content_security_policy():
    templates = _templates()
    assert len(templates) > 50
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in templates
        for name, pattern in _VIOLATIONS.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_the_scan_catches_each_kind_of_violation():
    samples = [
        "<script>alert(1)</script>",
        '<button onclick="go()">',
        '<div class="x" style="width: 5%">',
        "<style>.a{}</style>",
        '<a href="javascript:void(0)">',
        '<div hx-on:click="x()">',
    ]
    for sample, (name, pattern) in zip(samples, _VIOLATIONS.items(), strict=True):
        assert pattern.search(sample), name
    assert not _VIOLATIONS["inline <script>"].search('<script src="/static/js/a.js"></script>')


# -- media only through scoped views ---------------------------------------------------


def _views(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry


def test_no_url_serves_the_media_folder():
    from django.views.static import serve

    assert not [p for p in _views(get_resolver().url_patterns) if p.callback is serve]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["evidence/2023/11/photo.jpg", "imports/2023/11/staff.xlsx", "dismissals/2023/11/a.pdf"],
)
def test_a_stored_upload_is_not_reachable_by_its_path(client, cast, name):
    stored = default_storage.save(name, ContentFile(b"\xff\xd8\xff\xe0 private"))
    assert (Path(settings.MEDIA_ROOT) / stored).is_file()
    client.force_login(cast.province)
    for url in (f"/media/{stored}", f"/{stored}", f"/static/{stored}"):
        assert client.get(url).status_code == 404, url


# -- the image and its build context ---------------------------------------------------


def _docker_pattern(pattern: str) -> re.Pattern:
    """A .dockerignore line as Docker reads it (moby's patternmatcher): cleaned like a path,
    `*` and `?` stop at a slash, `**` crosses folders, and a bare name is anchored at the top."""
    pattern = os.path.normpath(pattern.lstrip("/"))
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
            i += 1
    return re.compile(out + r"\Z")


def _dockerignore(text: str) -> list[tuple[bool, re.Pattern]]:
    lines = (line.strip() for line in text.splitlines())
    return [
        (line.startswith("!"), _docker_pattern(line.removeprefix("!")))
        for line in lines
        if line and not line.startswith("#")
    ]


def _left_out(path: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    """Docker leaves a file out when a pattern matches it or a folder above it; the last
    matching line wins, so a later `!pattern` brings it back."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    left_out = False
    for negated, pattern in rules:
        if any(pattern.match(prefix) for prefix in prefixes):
            left_out = not negated
    return left_out


def test_the_dockerignore_reader_follows_dockers_rules():
    rules = _dockerignore("cache\n**/*.pyc\nsecret/\n!secret/public.txt")
    assert _left_out("cache/a", rules) and not _left_out("app/cache/a", rules)
    assert _left_out("x.pyc", rules) and _left_out("app/sub/x.pyc", rules)
    assert _left_out("secret/key", rules) and not _left_out("secret/public.txt", rules)
    assert not _left_out("secrets.py", rules)


def test_secrets_uploads_and_the_venv_never_reach_the_image():
    rules = _dockerignore((ROOT / ".dockerignore").read_text())
    for path in [
        ".env", ".env.production", "var", "var/secret_key", "var/staff_id_key",
        "var/demo.sqlite3", ".git", ".git/config", ".venv", ".venv/bin/python",
        "media", "media/evidence/2023/11/photo.jpg", "staticfiles/css/app.css",
        "accounts/__pycache__/models.cpython-311.pyc", ".pytest_cache/README.md",
        ".ruff_cache/CACHEDIR.TAG", ".hypothesis/examples/a", "test-results/trace.zip",
        "db.sqlite3",
    ]:  # fmt: skip
        assert _left_out(path, rules), path
    for path in [
        "manage.py", "pyproject.toml", "requirements/lock.txt", "config/settings.py",
        "config/gunicorn.conf.py", "accounts/models.py", "templates/base.html",
        "static/js/widths.js", "locale/zh_Hans/LC_MESSAGES/django.po",
    ]:  # fmt: skip
        assert not _left_out(path, rules), path


def test_the_image_installs_the_lock_with_hashes_and_what_backup_and_the_pdf_need():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"pip install [^\n]*--require-hashes -r requirements/lock\.txt", dockerfile)
    assert "pip install -e" not in dockerfile
    # python:3.11-slim moved to Debian trixie, which has no postgresql-client-15.
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", dockerfile, re.M)
    apt = re.search(r"apt-get install -y --no-install-recommends ([^\n]+)", dockerfile)
    assert apt and {"postgresql-client-15", "fonts-noto-cjk", "fontconfig"} <= set(
        apt.group(1).split()
    )
    assert "rm -rf /var/lib/apt/lists/*" in dockerfile
    assert re.search(r"^USER anquan$", dockerfile, re.M)
    # backup refuses a pg_dump of another major than the server's.
    server = re.search(r"image: postgres:(\d+)", (ROOT / "docker-compose.yml").read_text())
    assert server and f"postgresql-client-{server.group(1)} " in apt.group(1) + " "


# -- the locks -------------------------------------------------------------------------


def _pins(lock: Path) -> dict[str, str]:
    text = lock.read_text()
    pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\\n\s+--hash=sha256:", text, re.M))
    entries = re.findall(r"^[a-z0-9].*$", text, re.M)
    assert len(entries) == len(pins), "every entry pins one exact version, with its hashes"
    return pins


def _names(requirements: list[str]) -> set[str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    return {canonicalize_name(Requirement(line).name) for line in requirements}


def test_the_locks_pin_every_dependency_with_hashes():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins(ROOT / "requirements/lock.txt")
    dev = _pins(ROOT / "requirements/lock-dev.txt")
    for lock in ("lock.txt", "lock-dev.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        # Nothing of the machine that made it: another index or folder would not be there.
        assert "--index-url" not in text and "--find-links" not in text and "file://" not in text
    # A dependency added to pyproject.toml without `make lock` fails here, not in the image.
    assert _names(project["dependencies"]) <= set(runtime), "run `make lock`"
    assert _names(project["optional-dependencies"]["dev"]) <= set(dev), "run `make lock`"
    assert {name: dev[name] for name in runtime} == runtime, "tests run production's versions"
    assert "django-import-export" not in runtime


def test_make_installs_from_the_locks_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r $(LOCK)" in makefile
    assert "--require-hashes -r $(LOCK_DEV)" in makefile
    assert "pip install --quiet -e ." not in makefile, "the project adds no dependency of its own"


# -- docker-compose.yml and gunicorn ---------------------------------------------------


def _compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def test_migrations_run_once_before_web_worker_and_beat_start():
    services = _compose()["services"]
    migrate = services["migrate"]
    assert _command(migrate).split() == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert "migrate" not in _command(services[name]), name


def test_web_runs_gunicorn_from_its_config_file():
    web = _compose()["services"]["web"]
    command = _command(web)
    assert command.startswith("gunicorn ") and "-c config/gunicorn.conf.py" in command
    assert "config.wsgi:application" in command


def _gunicorn_settings(monkeypatch, **env) -> dict:
    import runpy

    for name in [name for name in os.environ if name.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config/gunicorn.conf.py"))


def test_gunicorn_serves_with_threads_and_finishes_requests_before_compose_kills_it(monkeypatch):
    conf = _gunicorn_settings(monkeypatch)
    assert conf["worker_class"] == "gthread" and conf["threads"] > 1
    assert 1 <= conf["workers"] <= conf["MAX_DEFAULT_WORKERS"]
    assert conf["accesslog"] is None, "RequestLogMiddleware logs each request once"
    assert conf["control_socket_disable"] is True
    assert conf["forwarded_allow_ips"] == "", "the app alone decides which proxy to believe"
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["graceful_timeout"] <= conf["timeout"]
    grace = _compose()["services"]["web"]["stop_grace_period"]
    assert int(grace.removesuffix("s")) > conf["graceful_timeout"]


def test_gunicorn_takes_its_numbers_from_the_environment_and_refuses_bad_ones(monkeypatch):
    conf = _gunicorn_settings(
        monkeypatch, GUNICORN_WORKERS="12", GUNICORN_THREADS="8", GUNICORN_BIND="127.0.0.1:9000"
    )
    assert (conf["workers"], conf["threads"], conf["bind"]) == (12, 8, "127.0.0.1:9000")
    with pytest.raises(SystemExit, match="GUNICORN_THREADS"):
        _gunicorn_settings(monkeypatch, GUNICORN_THREADS="four")
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS"):
        _gunicorn_settings(monkeypatch, GUNICORN_WORKERS="0")


def _compose_client() -> list[str] | None:
    """`docker compose` (the plugin) where it is installed, else the older `docker-compose`."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(  # noqa: S603 - fixed arguments
            [docker, "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file(tmp_path):
    client = _compose_client()
    assert client, "no docker compose client: `make test` installs Debian's docker-compose"
    # A copy beside an empty .env: the real one holds the operator's secrets and is not in
    # the checkout, and compose refuses a missing env_file.
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").touch()
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [*client, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "POSTGRES_PASSWORD": "check-only"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
