"""A peer that floods a replica at full speed with garbage, truncated,
oversized and wrongly signed frames (issue #12, item 8): the replica keeps
running, commits nothing wrong, serves honest clients during and after the
flood, and its memory stays bounded (each sender may fill at most its
receive queue, nodes/net.h)."""
import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

zmq = pytest.importorskip("zmq", reason="needs Debian's python3-zmq "
                          "(run pytest with /usr/bin/python3)")

N = 4
SRC = Path(__file__).resolve().parents[2]
ENV_MAGIC = 0x314C5A42


def envelope(frm, to, msg_id, lc=1, flags=0):
    return (ENV_MAGIC.to_bytes(4, "little") + flags.to_bytes(4, "little") +
            frm.to_bytes(4, "little") + to.to_bytes(4, "little") +
            msg_id.to_bytes(8, "little") + lc.to_bytes(8, "little"))


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def status(data, r):
    out = {}
    p = data / f"replica-{r}" / "status"
    if p.exists():
        for line in p.read_text().splitlines():
            k, _, v = line.partition(" ")
            out[k] = v
    return out


def flood(endpoint, stop, counts):
    """Send bad traffic of every kind as fast as the socket takes it."""
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUSH)
    s.setsockopt(zmq.SNDHWM, 1000)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    corpus = [p.read_bytes() for p in sorted((SRC / "tests" / "corpus" /
                                             "wire").glob("*.bin"))]
    rnd = random.Random(7)
    i = 0
    try:
        while not stop.is_set():
            kind = i % 6
            if kind == 0:      # one part, not an envelope
                s.send(os.urandom(40), zmq.NOBLOCK)
            elif kind == 1:    # an envelope of the wrong size
                s.send_multipart([os.urandom(31), os.urandom(100)],
                                 zmq.NOBLOCK)
            elif kind == 2:    # a good envelope, random bytes
                s.send_multipart([envelope(1, 0, i), os.urandom(300)],
                                 zmq.NOBLOCK)
            elif kind == 3:    # frames signed by keys this cluster lacks
                s.send_multipart([envelope(1, 0, i), rnd.choice(corpus)],
                                 zmq.NOBLOCK)
            elif kind == 4:    # truncated
                f = rnd.choice(corpus)
                s.send_multipart([envelope(2, 0, i), f[:len(f) // 2]],
                                 zmq.NOBLOCK)
            else:              # three parts
                s.send_multipart([envelope(3, 0, i), b"BZ", b"x"],
                                 zmq.NOBLOCK)
            counts[0] += 1
            i += 1
    except zmq.Again:
        counts[1] += 1
        time.sleep(0.001)
        if not stop.is_set():
            s.close()
            ctx.term()
            return flood(endpoint, stop, counts)
    s.close()
    ctx.term()


def test_a_flood_of_bad_frames_leaves_a_replica_working(byzlab, tmp_path):
    exe = os.environ.get("BYZLAB") or str(SRC / "build" / "byzlab")
    tag = f"flood{os.getpid()}"
    assert byzlab("keygen", "--n", N, "--clients", 1, "--out",
                  tmp_path / "keys").returncode == 0
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        f"protocol: pbft\nn: {N}\nclients: 1\nrequests: 20\ntimeout: 100ms\n"
        "cluster:\n  keys: keys\n  data: data\n  replicas:\n" +
        "".join(f"    - ipc://@{tag}-r{i}\n" for i in range(N)) +
        f"  clients: [ipc://@{tag}-c0]\n")
    # Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
    # default) before reuse: keep it small, so that RSS measures the node.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                           ":quarantine_size_mb=8").lstrip(":")
    nodes = [subprocess.Popen([exe, "node", "--cluster", str(cluster), "--id",
                               str(i), "-q"], stderr=subprocess.PIPE, env=env)
             for i in range(N)]
    stop = threading.Event()
    counts = [0, 0]
    th = threading.Thread(target=flood, args=(f"ipc://@{tag}-r0", stop,
                                              counts))
    try:
        time.sleep(0.3)
        r = byzlab("client", "--cluster", cluster, "--id", 0, "--requests", 5,
                   "--json", "--deadline", "20s")
        assert r.returncode == 0, r.stdout + r.stderr
        before = rss_kib(nodes[0].pid)
        th.start()
        time.sleep(2.0)  # the flood alone
        during = byzlab("client", "--cluster", cluster, "--id", 0,
                        "--requests", 10, "--json", "--deadline", "30s")
        stop.set()
        th.join(timeout=10)
        after = rss_kib(nodes[0].pid)
        print(f"flood: {counts[0]} messages ({counts[1]} waits), node 0 RSS {before} -> {after} KiB")
        assert during.returncode == 0, during.stdout + during.stderr
        assert json.loads(during.stdout.splitlines()[-1])["accepted"] == 10
        assert nodes[0].poll() is None, "the flooded replica died"
        assert counts[0] > 1000, counts
        # Bounded: 64 queued frames per sender at most, whatever it sends.
        assert after - before < 128 * 1024, (before, after)
        time.sleep(0.3)
        st = status(tmp_path / "data", 0)
        print(st)
        assert int(st["malformed"]) > 0 and int(st["rejected"]) > 0, st
        # Nothing wrong committed: every replica is at the same height.
        heights = [int(status(tmp_path / "data", i).get("height", 0))
                   for i in range(N)]
        assert min(heights) == max(heights) == 15, heights
    finally:
        stop.set()
        if th.is_alive():
            th.join(timeout=10)
        for p in nodes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in nodes:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    for p in nodes:
        assert p.returncode == 0, p.stderr.read().decode()
