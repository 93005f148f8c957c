"""byzlab cluster up|status|down: a long-lived local cluster to poke at with
the client, then its per-process traces judged together (byzlab check
--cluster)."""
import json
import os
import time
from pathlib import Path


def pids_of(cluster):
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(cluster).encode() in cmd and b"node" in cmd:
            out.append(int(p.name))
    return out


def test_cluster_up_status_down_and_check(byzlab, tmp_path):
    tag = f"cup{os.getpid()}"
    assert byzlab("keygen", "--n", 4, "--out", tmp_path / "keys").returncode == 0
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "protocol: hotstuff\nn: 4\nclients: 1\nrequests: 5\n"
        "cluster:\n  keys: keys\n  data: data\n  replicas:\n" +
        "".join(f"    - ipc://@{tag}-r{i}\n" for i in range(4)) +
        f"  clients: [ipc://@{tag}-c0]\n")
    try:
        up = byzlab("cluster", "up", "--cluster", cluster)
        assert up.returncode == 0, up.stdout + up.stderr
        assert up.stdout.count("started") == 4
        assert len(pids_of(cluster)) == 4
        again = byzlab("cluster", "up", "--cluster", cluster)
        assert again.returncode == 2 and "already running" in again.stderr
        c = byzlab("client", "--cluster", cluster, "--id", 0, "--op",
                   "put x 7", "--op", "get x", "--json", "--trace",
                   tmp_path / "c0.jsonl", "--deadline", "20s")
        assert c.returncode == 0, c.stdout + c.stderr
        assert json.loads(c.stdout.splitlines()[-1])["accepted"] == 2
        time.sleep(0.3)  # status files are written every 100 ms
        st = byzlab("cluster", "status", "--cluster", cluster)
        assert st.returncode == 0, st.stdout
        rows = [l.split() for l in st.stdout.splitlines()[1:]]
        assert [r[1] for r in rows] == ["alive"] * 4
        assert all(int(r[4]) == 2 for r in rows), st.stdout
    finally:
        down = byzlab("cluster", "down", "--cluster", cluster)
    assert down.returncode == 0 and down.stdout.count("stopped") == 4, \
        down.stdout
    assert pids_of(cluster) == []
    st = byzlab("cluster", "status", "--cluster", cluster)
    assert st.returncode == 1 and "down" in st.stdout
    traces = sorted(str(p) for p in (tmp_path / "data").glob(
        "replica-*/trace.jsonl")) + [str(tmp_path / "c0.jsonl")]
    chk = byzlab("check", "--cluster", cluster, "--merged",
                 tmp_path / "all.jsonl", *traces)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    assert "PASS" in chk.stdout and "agreement=0" in chk.stdout
    lines = (tmp_path / "all.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["ev"] == "run"
    assert json.loads(lines[-1])["ev"] == "end"
    assert sum('"ev":"commit"' in l for l in lines) == 8


def test_cluster_bad_usage(byzlab, tmp_path):
    r = byzlab("cluster", "sideways", "--cluster", "x.yaml")
    assert r.returncode == 2 and "up, status or down" in r.stderr
    r = byzlab("cluster", "up")
    assert r.returncode == 2 and "--cluster" in r.stderr
    r = byzlab("cluster", "status", "--cluster", tmp_path / "missing.yaml")
    assert r.returncode == 2 and "missing.yaml" in r.stderr


def test_host_names_and_ipv6_endpoints(byzlab, tmp_path):
    """A cluster file written with host names (as across hosts) and IPv6
    literals: each process listens on every interface at its port for a
    name, on the address for a literal."""
    base = 20000 + os.getpid() % 20000
    assert byzlab("keygen", "--n", 4, "--out", tmp_path / "keys").returncode == 0
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "protocol: pbft\nn: 4\nclients: 1\n"
        "cluster:\n  keys: keys\n  replicas:\n"
        f"    - tcp://localhost:{base}\n"
        f"    - \"tcp://[::1]:{base + 1}\"\n"
        f"    - tcp://127.0.0.1:{base + 2}\n"
        f"    - tcp://localhost:{base + 3}\n"
        f"  clients: [\"tcp://[::1]:{base + 4}\"]\n")
    try:
        up = byzlab("cluster", "up", "--cluster", cluster)
        assert up.returncode == 0, up.stdout + up.stderr
        c = byzlab("client", "--cluster", cluster, "--id", 0, "--op",
                   "put a b", "--op", "get a", "--deadline", "20s")
        assert c.returncode == 0, c.stdout + c.stderr
        assert "value b" in c.stdout
    finally:
        byzlab("cluster", "down", "--cluster", cluster)
