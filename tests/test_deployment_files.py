"""The production-like stack stays consistent with the settings (Docker cannot run here)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "loginexus" / "settings.py").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_compose_runs_postgres_redis_web_worker_and_beat():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    assert "gunicorn loginexus.wsgi:application" in services["web"]["command"]
    assert "migrate_schemas" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "loginexus", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "loginexus", "beat"]
    for name in ("web", "worker", "beat"):
        assert services[name]["env_file"] == ".env"


def test_compose_redis_keeps_its_queue_on_disk_across_restarts():
    redis = COMPOSE["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_every_variable_of_the_example_env_is_read_by_the_settings_or_compose():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    for name in env_example():
        read_by_settings = re.search(rf'env\.\w+\(\s*"{name}"|"{name}"', SETTINGS)
        assert read_by_settings or f"${{{name}" in compose_text, name


def test_example_env_holds_the_secrets_production_requires_and_no_real_key():
    example = env_example()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STRIPE_SECRET_KEY"} <= set(example)
    assert example["DJANGO_ENV"] == "production"
    assert not example["STRIPE_SECRET_KEY"]


def test_every_variable_the_settings_read_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', SETTINGS))
    names |= set(re.findall(r'_required_in_production\(\s*"([A-Z_]+)"', SETTINGS))
    assert names
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing
