"""`byzlab bench zmq` (`byzlab bench --driver zmq`): requests per second and
latency of real processes over ZeroMQ, next to the crypto bound measured in
the same run, for the smallest configuration; and the errors of bad usage.
The figures themselves are the machine's: only their presence and sense are
checked."""
import json
import re

import pytest

SMALL = ["--protocol", "pbft", "--n", "4", "--batch", "1", "--seconds", "1"]
ROW = re.compile(r"^pbft\s+4\s+direct\s+1\s+16\s+(\S+)\s+(\S+)\s+(\S+)\s+"
                 r"(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)"
                 r"\s+(\S+)$", re.M)


def test_the_smallest_configuration_prints_its_figures(byzlab):
    r = byzlab("bench", "zmq", *SMALL, "--path", "direct", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    for word in ("req/s", "p50 ms", "p99 ms", "bound", "ratio", "crypto"):
        assert word in r.stdout, word
    m = ROW.search(r.stdout)
    assert m, r.stdout
    rate, p50, p99 = (float(m.group(i)) for i in (1, 2, 3))
    bound, ratio = float(m.group(10)), float(m.group(11))
    assert rate > 0 and 0 < p50 <= p99
    assert bound > 0 and ratio > 0
    assert abs(ratio - rate / bound) < 0.02 + 0.01 * ratio


def test_driver_zmq_is_the_same_target_and_json_has_every_figure(byzlab):
    r = byzlab("bench", "--driver", "zmq", *SMALL, "--path", "adversary",
               "--json", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout
    o = json.loads(lines[0])
    assert o["bench"] == "zmq" and o["protocol"] == "pbft"
    assert o["n"] == 4 and o["f"] == 1 and o["batch"] == 1
    assert o["path"] == "adversary" and o["clients"] == 16
    assert o["requests_per_sec"] > 0 and o["window_requests"] > 0
    assert 0 < o["latency_ms"]["p50"] <= o["latency_ms"]["p99"]
    assert o["sign_us"] > 0 and o["verify_us"] > 0
    assert o["crypto_bound_per_sec"] > 0 and o["ratio"] > 0
    # Every request signed once by its client, and f+1 replies verified.
    assert o["client_signatures"] == o["accepted"]
    assert o["client_verifications"] >= 2 * o["accepted"]
    assert o["replica_signatures"] > 0 and o["replica_verifications"] > 0
    # The adversary process took part (it only forwarded).
    adv = o["cpu_us_per_request_by_process"]["adversary"]
    assert adv["user"] + adv["sys"] > 0
    assert o["views_given_up"] == 0


def test_out_keeps_the_run_folders(byzlab, tmp_path):
    out = tmp_path / "bench"
    r = byzlab("bench", "zmq", *SMALL, "--path", "direct", "--out", out,
               timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    run = out / "pbft-n4-b1-direct"
    assert (run / "cluster.yaml").exists() and (run / "c0.log").exists()
    status = (run / "data" / "replica-0" / "status").read_text()
    for key in ("signatures", "verifications", "verify_cache_hits",
                "views_given_up"):
        assert re.search(rf"^{key} \d+$", status, re.M), key
    # A second run into the same folder would mix two runs: refused.
    r = byzlab("bench", "zmq", *SMALL, "--path", "direct", "--out", out)
    assert r.returncode == 2
    assert "exists already" in r.stderr


@pytest.mark.parametrize("args,says", [
    (["zmq", "--path", "nowhere"], "--path: 'nowhere'"),
    (["zmq", "--n", "3"], "--n: '3'"),
    (["zmq", "--n", "4,"], "--n: '4,'"),
    (["zmq", "--batch", "0"], "--batch: '0'"),
    (["zmq", "--batch", "1,2,3,4,5,6,7,8,9"], "at most 8 values"),
    (["zmq", "--clients", "0"], "--clients: '0'"),
    (["zmq", "--protocol", "nope"], "unknown protocol 'nope'"),
    (["zmq", "--seconds", "1", "--requests", "100"], "exclude each other"),
    (["zmq", "--seconds", "0"], "--seconds: '0'"),
    (["--driver", "foo"], "--driver: 'foo' is not sim or zmq"),
    (["sim", "--driver", "zmq"], "disagree"),
    (["sim", "--path", "direct"], "--path is an option of zmq only"),
    (["crypto", "--n", "4,7"], "take one value"),
    (["zmq", "extra"], "unexpected argument 'extra'"),
    ([], "no target given"),
])
def test_bad_usage_exits_2_with_a_message(byzlab, args, says):
    r = byzlab("bench", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert says in r.stderr
    assert r.stdout == ""


def test_help_names_the_zmq_target_and_the_bound(byzlab):
    r = byzlab("bench", "--help")
    assert r.returncode == 0
    for text in ("zmq", "--driver", "--path", "--clients", "bound = cores"):
        assert text in r.stdout, text


@pytest.mark.parametrize("args,says", [
    (["--count", "0"], "--count: '0'"),
    (["--count", "1025"], "--count: '1025'"),
    (["--op", "get x", "--duration", "1s"], "--op and --duration"),
    (["--duration", "0"], "--duration: must be more than 0"),
])
def test_client_count_and_duration_are_checked(byzlab, tmp_path, args, says):
    r = byzlab("client", "--cluster", tmp_path / "none.yaml", "--id", "0",
               *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert says in r.stderr
