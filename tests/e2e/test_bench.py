"""`byzlab bench sim` (runs interleaved with sign/verify timings, the crypto
bound two ways, the mean batch) and `byzlab bench explore` (scenarios per
second of the Twins-style and threshold campaigns): their rows and fields,
and the errors of bad usage. The figures are the machine's: only their
presence and sense are checked, never a time."""
import glob
import json
import re

import pytest

SIM_ROW = re.compile(r"^pbft\s+n=4 batch 1 \(mean 1\.00\), window 64, 4 "
                     r"clients: (\d+) runs, (\d+) requests in \S+ CPU-s: "
                     r"(\d+) /CPU-s", re.M)
SHARED = re.compile(r"crypto bound, one shared cache:\s+(\d+) /s\s+ratio "
                    r"(\S+)\s+\((\d+) signs, (\d+) verifies")
EVERY = re.compile(r"crypto bound, every replica verifies:\s+(\d+) /s\s+"
                   r"ratio (\S+)\s+\((\d+) signs, (\d+) verifies")


def test_bench_sim_prints_the_bound_both_ways(byzlab):
    r = byzlab("bench", "sim", "--protocol", "pbft", "--requests", "100",
               "--seconds", "0.1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "timed in CPU time between the runs" in r.stdout
    m = SIM_ROW.search(r.stdout)
    assert m, r.stdout
    runs, requests = int(m.group(1)), int(m.group(2))
    assert runs >= 1 and requests == 100 * runs
    s, e = SHARED.search(r.stdout), EVERY.search(r.stdout)
    assert s and e, r.stdout
    assert float(s.group(2)) > 0 and float(e.group(2)) > 0
    # the same signatures; every verification >= the uncached ones, so the
    # bound without the shared cache is the lower one
    assert s.group(3) == e.group(3)
    assert int(e.group(4)) >= int(s.group(4)) >= 0 and int(e.group(4)) > 0
    assert int(e.group(1)) <= int(s.group(1))


def test_bench_sim_json_fields(byzlab):
    r = byzlab("bench", "sim", "--protocol", "hotstuff", "--requests", "100",
               "--seconds", "0.1", "--json")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    o = json.loads(lines[0])
    assert o["bench"] == "sim" and o["protocol"] == "hotstuff"
    assert o["batch"] == 1 and o["clients"] == 4 and o["runs"] >= 1
    assert o["requests"] == 100 * o["runs"]
    # every request executed by the 4 honest replicas, one per decision
    assert o["committed"] == 4 * o["requests"]
    assert o["decisions"] == o["committed"] and o["mean_batch"] == 1.0
    assert o["requests_per_cpu_sec"] > 0 and o["requests_per_sec"] > 0
    assert o["sign_us"] > 0 and o["verify_us"] > 0
    # (the simulator trusts what it signed for an honest node: a fault-free
    # run may verify nothing uncached)
    assert o["verifications"] >= o["uncached_verifications"] >= 0
    assert o["verifications"] > 0
    for way in ("shared_cache", "every_replica"):
        bound = o["bound_%s_per_sec" % way]
        assert bound > 0 and o["ratio_" + way] > 0
        assert abs(o["ratio_" + way] -
                   o["requests_per_cpu_sec"] / bound) < 0.01
    assert (o["bound_every_replica_per_sec"] <=
            o["bound_shared_cache_per_sec"])


def test_bench_sim_batches_fill_with_enough_clients(byzlab):
    # at batch 8 the default clients keep a window of batches in flight:
    # the mean batch is well above what 4 closed-loop clients give (at
    # most 4)
    r = byzlab("bench", "sim", "--protocol", "hotstuff", "--batch", "8",
               "--requests", "1024", "--seconds", "0.1", "--json")
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout.splitlines()[-1])
    assert o["batch"] == 8 and o["clients"] > 8
    assert o["mean_batch"] > 6, o
    assert o["committed"] == 4 * o["requests"]
    # --clients overrides: 4 clients cannot fill a batch of 8
    r = byzlab("bench", "sim", "--protocol", "hotstuff", "--batch", "8",
               "--clients", "4", "--requests", "100", "--seconds", "0.1",
               "--json")
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout.splitlines()[-1])
    assert o["clients"] == 4 and o["mean_batch"] <= 4


@pytest.mark.parametrize("args, says", [
    (["sim", "--clients", "0"], "--clients"),
    (["sim", "--clients", "1025"], "--clients"),
    (["crypto", "--clients", "4"], "--clients is an option of sim and zmq"),
    (["sim", "--seconds", "0"], "--seconds"),
    (["sim", "--requests", "3"], "--requests"),
    (["sim", "--n", "3"], "--n"),
    (["sim", "--protocol", "paxos"], "--protocol: unknown protocol 'paxos'"),
])
def test_bench_sim_bad_usage_exits_2(byzlab, args, says):
    r = byzlab("bench", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert says in r.stderr


def test_bench_help_names_explore(byzlab):
    r = byzlab("bench", "--help")
    assert r.returncode == 0
    assert "explore" in r.stdout and "every replica" in r.stdout
    r = byzlab("bench", "explore", "--help")
    assert r.returncode == 0
    for word in ("--runs", "--jobs", "--campaign", "--crypto", "--json",
                 "twins", "threshold", "Exit status"):
        assert word in r.stdout, word


def shm_dirs():
    return set(glob.glob("/dev/shm/byzlab-explore-*"))


def test_bench_explore_rows(byzlab):
    before = shm_dirs()
    r = byzlab("bench", "explore", "--runs", "3", "--jobs", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^(twins|threshold)\s+(\S+)\s+(\d+)/(\d+)\s+(\d+)\s+"
                     r"(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)$", line)
        if m:
            rows[(m.group(1), m.group(2))] = m.groups()
    # one row per campaign and crypto mode
    assert set(rows) == {(c, m) for c in ("twins", "threshold")
                         for m in ("ed25519", "fast")}
    for g in rows.values():
        assert g[2] == "3" and g[4] == "2"
        assert float(g[7]) > 0 and float(g[8]) > 0 and g[9] == "0"
    for m in ("ed25519", "fast"):
        assert rows[("twins", m)][3] == "300"
        assert int(rows[("threshold", m)][3]) > 1000
    assert shm_dirs() <= before  # the temporary directories are removed


@pytest.mark.parametrize("mode", ["ed25519", "fast"])
def test_bench_explore_json(byzlab, mode):
    r = byzlab("bench", "explore", "--campaign", "twins", "--crypto",
               mode, "--runs", "4", "--jobs", "1", "--json")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    o = json.loads(lines[0])
    assert o["bench"] == "explore" and o["campaign"] == "twins"
    assert o["crypto"] == mode and o["jobs"] == 1
    assert o["runs"] == 4 and o["campaign_runs"] == 300
    assert o["wall_seconds"] > 0 and o["cpu_seconds"] > 0
    assert o["scenarios_per_sec"] > 0 and o["scenarios_per_cpu_sec"] > 0
    assert o["unexpected"] == 0


@pytest.mark.parametrize("args, says", [
    (["--runs", "0"], "--runs"),
    (["--runs", "x"], "--runs"),
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "65"], "--jobs"),
    (["--campaign", "ci"], "--campaign: 'ci'"),
    (["--crypto", "rsa"], "--crypto: 'rsa'"),
    (["--runs"], "--runs needs a value"),
    (["--seconds", "1"], "unknown option '--seconds'"),
    (["extra"], "unexpected argument 'extra'"),
])
def test_bench_explore_bad_usage_exits_2(byzlab, args, says):
    r = byzlab("bench", "explore", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert says in r.stderr
    assert r.stdout == ""
