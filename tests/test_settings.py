"""The production profile: refuses to start without its secrets, and passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "p" * 20 + "-production-only-secret-key-with-enough-entropy-" + "q" * 10,
    "DATABASE_URL": "postgres://loginexus:secret@db.internal:5432/loginexus",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "BASE_DOMAIN": "loginexus.example",
    "STRIPE_SECRET_KEY": "sk_test_" + "x" * 30,
}


def run_django(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "loginexus.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STRIPE_SECRET_KEY"]
)
def test_production_refuses_to_start_without_its_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_django("print('started')", env)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert f"{missing} must be set when DJANGO_ENV=production" in result.stderr


def test_production_turns_debug_off_and_secure_cookies_and_hsts_on():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS[:2])",
        {**PRODUCTION_ENV, "DEBUG": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 5)[:5] == ["False", "True", "True", "31536000", "True"]
    assert "['loginexus.example', '.loginexus.example']" in result.stdout


def test_production_passes_check_deploy():
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_accepts_any_subdomain_of_the_base_domain():
    result = run_django(
        "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS[:2])",
        {"DJANGO_ENV": "development", "BASE_DOMAIN": "logi.test"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['logi.test', '.logi.test']"


@pytest.mark.parametrize(("debug", "expected"), [(None, "False"), ("true", "True")])
def test_development_runs_with_debug_off_unless_debug_is_true(monkeypatch, debug, expected):
    monkeypatch.delenv("DEBUG", raising=False)
    env = {"DJANGO_ENV": "development"} | ({"DEBUG": debug} if debug else {})
    result = run_django("from django.conf import settings as s; print(s.DEBUG)", env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_replica_url_adds_a_standby_read_through_the_tenants_backend_never_built_for_tests():
    result = run_django(
        "from django.conf import settings as s; r = s.DATABASES['replica']; "
        "print(r['ENGINE'], r['HOST'], r['PORT'], r['NAME'], r['USER'], r['TEST']['MIRROR'], "
        "r['OPTIONS']['connect_timeout'], s.REPLICA_MAX_LAG_SECONDS, s.DATABASE_ROUTERS[0])",
        {
            "DJANGO_ENV": "development",
            "DATABASE_REPLICA_URL": "postgres://reader:secret@standby.internal:5432/loginexus",
            "REPLICA_MAX_LAG_SECONDS": "2.5",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "loginexus.tenancy.postgresql_backend", "standby.internal", "5432", "loginexus",
        "reader", "default", "2", "2.5", "loginexus.replica.PrimaryRouter",
    ]  # fmt: skip


def test_without_a_replica_url_the_primary_is_the_only_database():
    result = run_django(
        "from django.conf import settings as s; "
        "print(list(s.DATABASES), s.REPLICA_MAX_LAG_SECONDS)",
        {"DJANGO_ENV": "development", "DATABASE_REPLICA_URL": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default'] 5.0"
