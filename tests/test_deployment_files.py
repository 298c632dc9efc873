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


HAPROXY = (ROOT / "deploy" / "haproxy" / "haproxy.cfg").read_text()


def test_compose_runs_the_production_topology():
    services = COMPOSE["services"]
    assert set(services) == {
        "postgres", "postgres-replica", "pgbouncer", "redis", "migrate", "web", "lb", "worker",
        "beat",
    }  # fmt: skip
    assert services["web"]["command"][:2] == ["gunicorn", "loginexus.wsgi:application"]
    assert services["migrate"]["command"][2:] == ["migrate_schemas", "--noinput"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "loginexus", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "loginexus", "beat"]
    for name in ("migrate", "web", "worker", "beat"):
        assert services[name]["env_file"] == ".env"


def test_web_replicas_start_once_every_schema_is_migrated_and_sit_behind_the_balancer():
    web = COMPOSE["services"]["web"]
    assert web["deploy"]["replicas"] >= 2
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in web  # only the balancer is reachable from outside
    assert COMPOSE["services"]["lb"]["ports"] == ["8000:8000"]
    assert "server-template web 10 web:8000 check resolvers docker" in HAPROXY
    assert 'http-check send meth GET uri /healthz/ hdr Host "${BASE_DOMAIN}"' in HAPROXY
    # A write that reached a replica is tried again elsewhere only with an Idempotency-Key.
    assert "disable-l7-retry if { method POST PUT PATCH DELETE } " in HAPROXY
    assert "!{ req.hdr(Idempotency-Key) -m found }" in HAPROXY


def test_the_app_reaches_postgresql_through_pgbouncer_pooling_sessions():
    pgbouncer = COMPOSE["services"]["pgbouncer"]
    assert pgbouncer["environment"]["POOL_MODE"] == "session"
    assert pgbouncer["environment"]["DB_HOST"] == "postgres"
    assert "@pgbouncer:5432/" in env_example()["DATABASE_URL"]
    for name in ("migrate", "web", "worker", "beat"):
        assert "pgbouncer" in COMPOSE["services"][name]["depends_on"]


def test_a_hot_standby_streams_from_the_primary():
    primary = COMPOSE["services"]["postgres"]
    assert "wal_level=replica" in primary["command"]
    init = (ROOT / "deploy" / "postgres" / "replication.sh").read_text()
    assert "CREATE ROLE replicator WITH REPLICATION LOGIN" in init
    assert "host replication replicator all scram-sha-256" in init
    replica = (ROOT / "deploy" / "postgres" / "replica.sh").read_text()
    assert "pg_basebackup -h postgres -U replicator" in replica
    assert " -R " in replica  # writes standby.signal and primary_conninfo
    assert "hot_standby=on" in replica


def test_staff_reads_of_web_worker_and_beat_reach_the_standby_without_the_pooler():
    for name in ("web", "worker", "beat"):
        replica_url = COMPOSE["services"][name]["environment"]["DATABASE_REPLICA_URL"]
        assert replica_url.startswith("postgres://loginexus:")
        assert replica_url.endswith("@postgres-replica:5432/loginexus")
        assert "postgres-replica" not in COMPOSE["services"][name]["depends_on"]
    assert "environment" not in COMPOSE["services"]["migrate"]


def test_compose_redis_keeps_its_queue_on_disk_across_restarts():
    redis = COMPOSE["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
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
