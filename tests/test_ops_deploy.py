"""The hardened deployment: check --deploy passes with production settings, HTTPS and its
cookies and HSTS follow one switch, the CSP is strict and the templates keep to it, and
no URL serves MEDIA_ROOT directly."""

import base64
import os
import re
import secrets
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
