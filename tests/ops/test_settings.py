import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import envbool, envint, envlist, envstr


def test_envbool_reads_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert envbool("X_FLAG", "0") is True
    monkeypatch.setenv("X_FLAG", "0")
    assert envbool("X_FLAG", "1") is False


@pytest.mark.parametrize(("helper", "value"), [(envbool, "maybe"), (envint, "ten")])
def test_bad_values_fail_loudly(monkeypatch, helper, value):
    monkeypatch.setenv("X_VALUE", value)
    with pytest.raises(ImproperlyConfigured, match="X_VALUE"):
        helper("X_VALUE", "0")


def test_a_required_value_fails_loudly_when_missing(monkeypatch):
    monkeypatch.delenv("X_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_MISSING"):
        envstr("X_MISSING")


def test_envlist_splits_and_trims(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example , b.example ,")
    assert envlist("X_HOSTS", "") == ["a.example", "b.example"]


def test_tests_run_on_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"


def test_production_static_files_collect_with_hashed_names(settings, tmp_path):
    """The production storage (manifest + compression) accepts every vendored file."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/echarts-5.6.0/echarts.min.js" in manifest
    assert list(tmp_path.glob("vendor/bootstrap-5.3.9/css/bootstrap.min.*.css.gz"))


def test_each_test_worker_gets_its_own_redis_database_once(monkeypatch):
    from config.settings import _redis_for_test_worker

    monkeypatch.delenv("REDIS_URL_PER_TEST_WORKER", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    shifted = _redis_for_test_worker("redis://127.0.0.1:6379/3")
    assert shifted == "redis://127.0.0.1:6379/5"
    # A worker or beat process the test starts inherits the environment: no second shift.
    assert _redis_for_test_worker(shifted) == shifted
    assert _redis_for_test_worker("redis://127.0.0.1:6390/0") == "redis://127.0.0.1:6390/0"


def test_outside_a_test_worker_the_redis_url_is_kept(monkeypatch):
    from config.settings import _redis_for_test_worker

    monkeypatch.delenv("REDIS_URL_PER_TEST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert _redis_for_test_worker("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"
    assert _redis_for_test_worker("") == ""
