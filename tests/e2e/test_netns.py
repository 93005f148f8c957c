"""Replicas on several "hosts": one network namespace per replica, joined by
veth pairs to a bridge (in a namespace of its own, so the test never touches
the machine's network), with tc netem adding delay and loss on every
replica's link where the kernel has netem, beside the adversary process.
Needs root (CI runs as root); skipped otherwise, saying why."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

N = 4


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True,
                          check=check, timeout=30)


def netns_ok():
    if os.geteuid() != 0:
        return "needs root to create network namespaces (CI runs as root)"
    if not shutil.which("ip"):
        return "needs iproute2's ip"
    name = f"bzprobe{os.getpid()}"
    r = sh("ip", "netns", "add", name, check=False)
    if r.returncode:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    sh("ip", "netns", "del", name, check=False)
    return None


class Net:
    """A bridge namespace and one namespace per host, 10.77.K.x/24."""

    def __init__(self, tag, subnet):
        self.tag, self.subnet, self.hosts = tag, subnet, []
        self.br = f"{tag}br"
        sh("ip", "netns", "add", self.br)
        sh("ip", "-n", self.br, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.br, "link", "set", "br0", "up")
        self.netem = None  # why netem is not there, or None when it is

    def host(self, name, addr, netem=None):
        ns = f"{self.tag}{name}"
        a, b = f"{self.tag}{name}a"[-15:], f"{self.tag}{name}b"[-15:]
        sh("ip", "netns", "add", ns)
        self.hosts.append(ns)
        sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        sh("ip", "link", "set", a, "netns", ns)
        sh("ip", "link", "set", b, "netns", self.br)
        sh("ip", "-n", self.br, "link", "set", b, "master", "br0")
        sh("ip", "-n", self.br, "link", "set", b, "up")
        sh("ip", "-n", ns, "addr", "add", f"{self.subnet}.{addr}/24", "dev", a)
        sh("ip", "-n", ns, "link", "set", a, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        if netem:
            r = sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", a,
                   "root", "netem", *netem, check=False)
            if r.returncode:
                self.netem = r.stderr.strip() or "tc failed"
        return ns

    def close(self):
        for ns in self.hosts + [self.br]:
            sh("ip", "netns", "del", ns, check=False)


def test_replicas_in_separate_network_namespaces(byzlab, tmp_path):
    why = netns_ok()
    if why:
        pytest.skip(why)
    exe = os.environ.get("BYZLAB") or os.path.join(
        os.path.dirname(__file__), "..", "..", "build", "byzlab")
    tag = f"bz{os.getpid() % 100000}"
    subnet = f"10.77.{os.getpid() % 250 + 1}"
    keys = tmp_path / "keys"
    assert byzlab("keygen", "--n", N, "--clients", 1, "--out", keys).returncode == 0
    replicas = [f"tcp://{subnet}.{i + 1}:7000" for i in range(N)]
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "protocol: pbft\n"
        f"n: {N}\n"
        "clients: 1\n"
        "requests: 10\n"
        "timeout: 200ms\n"
        "gst: 1s\n"
        "attacks: [drop:p=0.05]\n"
        "cluster:\n"
        "  keys: keys\n"
        "  data: data\n"
        f"  epoch: {int(time.time() * 1e6)}\n"
        "  replicas:\n" + "".join(f"    - {e}\n" for e in replicas) +
        f"  clients: [tcp://{subnet}.100:7100]\n"
        f"  adversary: tcp://{subnet}.100:7200\n")
    net = Net(tag, subnet)
    procs = []
    try:
        hosts = [net.host(f"r{i}", i + 1, netem=["delay", "2ms", "loss", "1%"])
                 for i in range(N)]
        ops = net.host("ops", 100)
        if net.netem:
            print(f"tc netem is not available here ({net.netem}): delay "
                  "and loss come from the adversary's drop attack only")
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", ops, exe, "adversary", "--cluster",
             str(cluster), "--trace", str(tmp_path / "adv.jsonl")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        for i, ns in enumerate(hosts):
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, exe, "node", "--cluster",
                 str(cluster), "--id", str(i), "-q"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        r = subprocess.run(
            ["ip", "netns", "exec", ops, exe, "client", "--cluster",
             str(cluster), "--id", "0", "--json", "--deadline", "30s"],
            capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        assert summary["accepted"] == 10
        # Every replica committed everything (each on its own host).
        deadline = time.time() + 10
        heights = []
        while time.time() < deadline:
            heights = []
            for i in range(N):
                st = tmp_path / "data" / f"replica-{i}" / "status"
                h = 0
                if st.exists():
                    for line in st.read_text().splitlines():
                        if line.startswith("height "):
                            h = int(line.split()[1])
                heights.append(h)
            if min(heights) >= 10:
                break
            time.sleep(0.1)
        assert min(heights) >= 10, heights
        # The adversary saw the traffic and dropped some of it.
        adv = (tmp_path / "adv.jsonl").read_text()
        assert '"ev":"relay"' in adv
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        net.close()
    for p in procs:
        assert p.returncode == 0, p.stderr.read().decode()
