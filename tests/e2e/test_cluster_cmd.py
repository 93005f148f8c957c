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


def test_a_twin_is_named_once_and_canonically(byzlab, tmp_path):
    """r01 named replica 1 as r1 does, and the later silently replaced the
    earlier's endpoint (issue #13, strict readers)."""
    assert byzlab("keygen", "--n", 4, "--out", tmp_path / "keys").returncode == 0
    cluster = tmp_path / "c.yaml"
    cluster.write_text(
        "protocol: pbft\nn: 4\nclients: 1\nbyzantine: [r1]\n"
        "cluster:\n  keys: keys\n"
        "  replicas: [ipc://@bz-a0, ipc://@bz-a1, ipc://@bz-a2, ipc://@bz-a3]\n"
        "  clients: [ipc://@bz-c0]\n"
        "  twins:\n    r1: ipc://@bz-t1\n    r01: ipc://@bz-t2\n")
    r = byzlab("cluster", "status", "--cluster", cluster)
    assert r.returncode == 2
    assert f"{cluster}:11: cluster.twins: 'r01' is not a replica" in r.stderr


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


def test_commits_lost_from_a_killed_trace_leave_no_gap(byzlab, tmp_path):
    """A SIGKILL between the PERSIST that makes a commit stick and its trace
    line: after the restart the replica's trace goes on with a restore at
    the first height above the gap (and a note), so the checkers see no
    gap. Simulated by cutting the last commit lines off the killed
    replica's trace before restarting it."""
    import signal
    import subprocess
    exe = os.environ.get("BYZLAB") or str(
        Path(__file__).resolve().parents[2] / "build" / "byzlab")
    tag = f"gap{os.getpid()}"
    assert byzlab("keygen", "--n", 4, "--out", tmp_path / "keys").returncode == 0
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "protocol: pbft\nn: 4\nclients: 1\n"
        "cluster:\n  keys: keys\n  data: data\n  replicas:\n" +
        "".join(f"    - ipc://@{tag}-r{i}\n" for i in range(4)) +
        f"  clients: [ipc://@{tag}-c0]\n")

    def node(i):
        return subprocess.Popen([exe, "node", "--cluster", str(cluster),
                                 "--id", str(i), "-q"])
    nodes = [node(i) for i in range(4)]
    try:
        for k in range(2):
            c = byzlab("client", "--cluster", cluster, "--id", 0,
                       "--requests", 6, "-q", "--deadline", "20s",
                       "--trace", tmp_path / "c0.jsonl")
            assert c.returncode == 0, c.stderr
            if k == 0:
                st3 = tmp_path / "data" / "replica-3" / "status"
                deadline = time.time() + 10
                while time.time() < deadline and not (
                        st3.exists() and "height 6\n" in st3.read_text()):
                    time.sleep(0.05)
                nodes[3].kill()
                nodes[3].wait()
                tr = tmp_path / "data" / "replica-3" / "trace.jsonl"
                lines = tr.read_text().splitlines(keepends=True)
                # Its heights: commits, or a state transfer (restore) when
                # it caught up that way.
                commits = [i for i, l in enumerate(lines)
                           if '"ev":"commit"' in l or '"ev":"restore"' in l]
                assert len(commits) >= 2
                cut = set(commits[-2:])  # the last two commits untraced
                tr.write_text("".join(l for i, l in enumerate(lines)
                                      if i not in cut))
                nodes[3] = node(3)
        deadline = time.time() + 10
        while time.time() < deadline:
            st = (tmp_path / "data" / "replica-3" / "status").read_text()
            if "height 12\n" in st:
                break
            time.sleep(0.1)
    finally:
        for p in nodes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in nodes:
            p.wait(timeout=10)
    traces = [str(tmp_path / "data" / f"replica-{i}" / "trace.jsonl")
              for i in range(4)] + [str(tmp_path / "c0.jsonl")]
    chk = byzlab("check", "--cluster", cluster, "--merged",
                 tmp_path / "all.jsonl", *traces)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    t3 = (tmp_path / "data" / "replica-3" / "trace.jsonl").read_text()
    assert '"ev":"restore","replica":3' in t3
    assert "were committed before a crash but not traced" in t3
