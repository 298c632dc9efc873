"""`make cluster`'s generated HAProxy and PgBouncer configurations keep the production stack's
rules on loopback ports, and the launcher knows the command (HAProxy, PgBouncer and the cluster
itself are not needed here: `make bench-cluster` runs them)."""

import configparser
import subprocess
import sys
from pathlib import Path

from loginexus import local
from loginexus.cluster import Ports, haproxy_config, pgbouncer_config

ROOT = Path(__file__).resolve().parent.parent


def test_the_balancer_checks_each_web_node_on_healthz_with_the_public_host():
    config = haproxy_config(ports=Ports(balancer=9100), host="example.test")

    assert "bind 127.0.0.1:9100" in config
    servers = [line.split() for line in config.splitlines() if line.strip().startswith("server ")]
    assert [server[1:3] for server in servers] == [
        ["web1", "127.0.0.1:9101"], ["web2", "127.0.0.1:9102"], ["web3", "127.0.0.1:9103"],
    ]  # fmt: skip
    assert all(server[3] == "check" for server in servers)
    assert 'http-check send meth GET uri /healthz/ hdr Host "example.test"' in config
    assert "http-check expect status 200" in config
    # A node whose port refuses a connection is out at once, not after two checks.
    assert "observe layer4 error-limit 1 on-error mark-down" in config


def test_the_balancer_repeats_a_write_that_reached_a_node_only_with_an_idempotency_key():
    config = haproxy_config(ports=Ports(), host="localhost")

    assert "option redispatch 1" in config
    assert "retry-on conn-failure empty-response response-timeout" in config
    assert (
        "http-request disable-l7-retry if { method POST PUT PATCH DELETE }"
        " !{ req.hdr(Idempotency-Key) -m found }"
    ) in config
    # Every listener is on loopback: nothing of the cluster is reachable from elsewhere.
    binds = [line.split()[1] for line in config.splitlines() if line.strip().startswith("bind ")]
    assert binds == ["127.0.0.1:8100", "127.0.0.1:8109"]


def test_pgbouncer_pools_sessions_in_front_of_the_primary_and_retries_it_within_a_second(
    tmp_path,
):
    ports = Ports(balancer=8200)
    parsed = configparser.ConfigParser(inline_comment_prefixes=(";",))
    parsed.read_string(pgbouncer_config(ports=ports, directory=tmp_path))

    assert dict(parsed["databases"]) == {"*": f"host=127.0.0.1 port={ports.primary}"}
    bouncer = parsed["pgbouncer"]
    assert bouncer["pool_mode"] == "session"
    assert (bouncer["listen_addr"], bouncer["listen_port"]) == ("127.0.0.1", str(ports.pgbouncer))
    assert bouncer["server_login_retry"] == "1"
    assert bouncer["auth_file"] == str(tmp_path / "userlist.txt")


def test_ports_of_two_clusters_never_meet():
    ours, theirs = Ports(), Ports(balancer=8300)

    def every(ports: Ports) -> set[int]:
        return {ports.balancer, *ports.web, ports.stats, ports.simulator, ports.primary,
                ports.standby, ports.pgbouncer, ports.redis}  # fmt: skip

    assert len(every(ours)) == 10
    assert every(ours).isdisjoint(every(theirs))


def test_cluster_is_a_command_of_the_launcher():
    assert "cluster" in local.COMMANDS
    usage = subprocess.run(
        [sys.executable, "-m", "loginexus.local"], cwd=ROOT, capture_output=True, text=True
    )
    assert usage.returncode == 2
    assert "python -m loginexus.local cluster" in usage.stdout
    makefile = (ROOT / "Makefile").read_text()
    assert "\tpython -m loginexus.local cluster" in makefile.replace("$(PY)", "python")
