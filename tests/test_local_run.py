"""`make run` as a developer meets it: its own servers, in the data directory it is given, on
127.0.0.1 with DEBUG off; and gone with everything it started within 15 s of SIGTERM, Ctrl-C, a
closed terminal or make's death, whatever it was doing."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil
import pytest
import redis

from loginexus import local

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
READY = "Press Ctrl-C to stop everything."
STOP_SECONDS = 15
MAKE, PGREP = shutil.which("make"), shutil.which("pgrep")
# The test session's own servers and settings: the launcher must find and choose its own.
CLEARED = {
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_ENV",
    "DJANGO_SETTINGS_MODULE", "DEBUG", "RUN_HOST", "PORT", "SITE_PORT", "CSRF_TRUSTED_ORIGINS",
    "LOCAL_DATA_DIR", "STRIPE_SECRET_KEY", "STRIPE_PUBLIC_KEY", "STRIPE_WEBHOOK_SECRET",
    "STRIPE_SIMULATOR_URL",
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _using(data_dir: Path) -> list[psutil.Process]:
    """Processes naming the data directory (PostgreSQL, Redis, beat, the simulator), as pgrep -f."""
    return [
        process
        for process in psutil.process_iter(["cmdline"])
        if str(data_dir) in " ".join(process.info["cmdline"] or [])
    ]


class Launcher:
    """`make run` (or `command`) started as a terminal starts it: in a session of its own."""

    def __init__(self, data_dir: Path, command: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self.web_port, self.simulator_port = _free_port(), _free_port()
        env = {name: value for name, value in os.environ.items() if name not in CLEARED}
        env.update(
            LOCAL_DATA_DIR=str(data_dir),
            PORT=str(self.web_port),
            STRIPE_SIMULATOR_URL=f"http://127.0.0.1:{self.simulator_port}",
        )
        # This interpreter's virtualenv, installed already: make is not to reinstall it.
        make = [MAKE, "--no-print-directory", "-o", ".venv/.requirements-installed"]
        self.process = subprocess.Popen(
            command or [*make, f"PY={sys.executable}", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.seen: dict[int, psutil.Process] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until(self, ready, what: str, timeout: float = 150) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the launcher never got to {what}:\n{self.output[-6000:]}")
            time.sleep(0.05)

    def wait_until_ready(self) -> None:
        self.wait_until(lambda: READY in self.output, "printing its URLs")

    def started(self) -> list[psutil.Process]:
        """make, its descendants, and the servers pg_ctl and the others left to init."""
        found: dict[int, psutil.Process] = {}
        roots = [psutil.Process(self.process.pid)] if self.process.poll() is None else []
        for root in [*roots, *_using(self.data_dir)]:
            try:
                for process in [root, *root.children(recursive=True)]:
                    found[process.pid] = process
            except psutil.NoSuchProcess:
                pass
        self.seen.update(found)
        return list(found.values())

    def url(self, path: str) -> str:
        return f"http://localhost:{self.web_port}{path}"

    def assert_stops_everything(
        self, started: list[psutil.Process], cause: str, *, launcher: psutil.Process | None = None
    ) -> None:
        """The started process, and `launcher` (the Python process) if given, end within 15 s,
        and nothing they started outlives them."""
        begun = time.monotonic()
        while self.process.poll() is None or (launcher is not None and _alive(launcher)):
            if time.monotonic() - begun > STOP_SECONDS:
                pytest.fail(f"the launcher still runs {STOP_SECONDS} s after {cause}")
            time.sleep(0.05)
        took = time.monotonic() - begun
        alive = [_command(process) for process in started if _alive(process)]
        assert alive == [], f"{took:.1f} s after {cause}, alive: {alive}\n{self.output[-3000:]}"
        pgrep = subprocess.run([PGREP, "-af", str(self.data_dir)], capture_output=True, text=True)
        assert pgrep.stdout == ""

    def kill(self) -> None:
        """Stop what a failed test left behind, PostgreSQL cleanly, so the next test can start."""
        self.started()
        left = [process for process in self.seen.values() if _alive(process)]
        for process in left:
            with suppress(psutil.Error):
                # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for its clients.
                process.send_signal(
                    signal.SIGINT if process.name() == "postgres" else signal.SIGTERM
                )
        _gone, alive = psutil.wait_procs(left, timeout=10)
        for process in alive:
            with suppress(psutil.Error):
                process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """One data directory for the module: migrated by the first start, reused by the others."""
    # Short: PostgreSQL's and Redis's Unix socket paths must fit in 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="loginexus-run-"))
    yield path
    for process in _using(path):
        if _alive(process):
            process.kill()
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _launched(data_dir: Path, command: list[str] | None = None) -> Iterator[Launcher]:
    launcher = Launcher(data_dir, command)
    try:
        yield launcher
    finally:
        if launcher.process.poll() is None or _using(data_dir):
            launcher.kill()


@pytest.fixture
def launcher(data_dir) -> Iterator[Launcher]:
    with _launched(data_dir) as launcher:
        yield launcher


def _get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (the local server)
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _listening_addresses(port: int) -> set[str]:
    return {
        connection.laddr.ip
        for connection in psutil.net_connections("tcp")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
    }


def test_make_run_serves_on_loopback_with_debug_off_and_keeps_redis_in_an_append_only_file(
    launcher,
):
    launcher.wait_until_ready()
    try:
        assert _listening_addresses(launcher.web_port) == {"127.0.0.1"}
        assert _listening_addresses(launcher.simulator_port) == {"127.0.0.1"}
        assert f"http://localhost:{launcher.web_port}/admin/" in launcher.output

        status, headers, body = _get(launcher.url("/static/css/app.css"))
        assert (status, headers["Content-Type"].split(";")[0]) == (200, "text/css")
        assert body
        status, _headers, body = _get(launcher.url("/no-such-page/"))
        assert status == 404
        assert "DEBUG = True" not in body

        shared = redis.Redis(unix_socket_path=str(launcher.data_dir / "redis" / "redis.sock"))
        assert shared.config_get("appendonly") == {"appendonly": "yes"}
        shared.close()
        assert (launcher.data_dir / "redis" / "appendonly.aof").exists()
    finally:
        os.kill(launcher.process.pid, signal.SIGTERM)
        launcher.process.wait(timeout=STOP_SECONDS)


@pytest.mark.parametrize(
    ("signum", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGHUP, True)],
    ids=["SIGTERM-to-make", "SIGINT-to-the-terminals-group", "SIGHUP-to-the-terminals-group"],
)
def test_make_run_stops_everything_it_started_within_15_s(launcher, signum, to_group):
    launcher.wait_until_ready()
    started = launcher.started()
    commands = [_command(process) for process in started]
    for part in ["postgres -D", "redis-server", "runserver", "worker", "beat", "billing.simulator"]:
        assert any(part in command for command in commands), (part, commands)

    (os.killpg if to_group else os.kill)(launcher.process.pid, signum)

    launcher.assert_stops_everything(started, signal.Signals(signum).name)


def test_make_run_killed_outright_is_followed_by_everything_it_started(launcher):
    launcher.wait_until_ready()
    started = launcher.started()
    (python,) = [p for p in started if "loginexus.local run" in _command(p)]

    os.kill(launcher.process.pid, signal.SIGKILL)  # make goes, and tells no one

    launcher.assert_stops_everything(started, "make's SIGKILL", launcher=python)


def test_make_run_sent_sigterm_while_it_migrates_leaves_nothing_running(launcher):
    def migrating() -> bool:
        return any("migrate_schemas" in _command(process) for process in launcher.started())

    launcher.wait_until(migrating, "migrate_schemas")
    started = launcher.started()

    os.kill(launcher.process.pid, signal.SIGTERM)

    launcher.assert_stops_everything(started, "SIGTERM during migrate_schemas")
    assert READY not in launcher.output


def test_manage_passes_sigterm_on_to_its_command_and_stops_its_servers(data_dir):
    code = "import time; print('managing', flush=True); time.sleep(60)"
    manage = [sys.executable, "-m", "loginexus.local", "manage", "shell", "-c", code]
    with _launched(data_dir, manage) as launcher:
        launcher.wait_until(lambda: "managing" in launcher.output, "the shell's command")
        started = launcher.started()
        commands = [_command(process) for process in started]
        for part in ["postgres -D", "redis-server", "manage.py shell"]:
            assert any(part in command for command in commands), (part, commands)

        os.kill(launcher.process.pid, signal.SIGTERM)

        launcher.assert_stops_everything(started, "SIGTERM")


def test_private_redis_keeps_nothing_on_disk(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    with tempfile.TemporaryDirectory(prefix="loginexus-redis-") as data:
        monkeypatch.setattr(local, "DATA", Path(data))
        with local.embedded_redis(private=True) as url:
            private = redis.Redis.from_url(url)
            assert private.config_get("appendonly") == {"appendonly": "no"}
            assert private.config_get("save") == {"save": ""}
            private.close()
