"""The causality check (issue #16 item 3; lib/causal.h, docs/trace.md): a
receipt never precedes its send, and a commit is preceded by the quorum that
justifies it. It runs in every run and in `byzlab check`, and fires on a
planted mistake that no other checker sees in a fault-free run. Also the
bugs found on the way: virtual time ran backwards when an equivocating
coalition's halves were held "until GST" in a run without one, and the real
processes' adversary treated a GST of 0 unlike the simulator."""
import json

MUTANT = "execute-on-pre-prepare"


def test_a_replica_that_executes_on_the_pre_prepare_is_caught(byzlab,
                                                              tmp_path):
    t = tmp_path / "m.jsonl"
    r = byzlab("run", "--mutant", MUTANT, "--requests", "4", "--trace", t)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "why      causality: replica " in r.stdout
    assert "a decision needs 3" in r.stdout
    # no other checker fires: only causality sees it without faults
    checks = dict(kv.split("=") for kv in next(
        line for line in r.stdout.splitlines()
        if line.startswith("  checks")).split()[1:])
    assert int(checks.pop("causality")) > 0
    assert all(v == "0" for v in checks.values()), checks
    # the trace alone gives the same verdict
    c = byzlab("check", t)
    assert c.returncode == 1
    assert c.stdout.splitlines()[1] == r.stdout.splitlines()[1]


def test_correct_runs_pass_it_and_their_traces_too(byzlab, tmp_path):
    for proto in ("pbft", "hotstuff"):
        t = tmp_path / f"{proto}.jsonl"
        r = byzlab("run", "--protocol", proto, "--byzantine", "1", "--attack",
                   "equivocate", "--gst", "100ms", "--crash",
                   "2@20ms,restart@60ms", "--requests", "10", "--trace", t)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "causality=0" in r.stdout
        assert byzlab("check", t).returncode == 0


def test_a_trace_whose_receipt_comes_before_its_send_fails(byzlab, tmp_path):
    t = tmp_path / "h.jsonl"
    r = byzlab("run", "--protocol", "hotstuff", "--requests", "5", "--trace",
               t)
    assert r.returncode == 0, r.stdout
    lines = t.read_text().splitlines(True)
    docs = [json.loads(x) for x in lines]
    i = next(k for k, d in enumerate(docs)
             if d["ev"] == "send" and d["from"] == "r1" and k > 50)
    mid = docs[i]["id"]
    j = next(k for k, d in enumerate(docs)
             if d["ev"] == "deliver" and d["id"] == mid)
    moved = lines[:i] + [lines[j]] + lines[i:j] + lines[j + 1:]
    bad = tmp_path / "moved.jsonl"
    bad.write_text("".join(moved))
    c = byzlab("check", bad)
    assert c.returncode == 1, c.stdout + c.stderr
    to = docs[j]["to"]
    assert (f"causality: {to} received message {mid} from r1 before r1 "
            "sent it") in c.stdout
    # a receipt of a message no line sent
    gone = tmp_path / "gone.jsonl"
    gone.write_text("".join(lines[:i] + lines[i + 1:]))
    c = byzlab("check", gone)
    assert c.returncode == 1
    assert f"received message {mid} from r1, which no line sent" in c.stdout


def test_virtual_time_never_runs_backwards(byzlab, tmp_path):
    # The coalition's halves hear each other "at GST"; without a GST the
    # delay overflowed into a delivery in the past (9,201 lines of this
    # trace went back in time)
    t = tmp_path / "eq.jsonl"
    r = byzlab("run", "--protocol", "hotstuff", "--byzantine", "1",
               "--attack", "equivocate", "--loss", "0.05", "--seed", "1",
               "--requests", "20", "--trace", t)
    assert r.returncode in (0, 1), r.stderr
    last = 0
    for line in t.read_text().splitlines():
        now = json.loads(line)["t"]
        assert now >= last, line
        last = now
    assert byzlab("check", t).returncode == r.returncode


def test_real_processes_treat_a_gst_of_0_as_the_simulator_does(byzlab,
                                                               tmp_path):
    # No network fault: a GST of 0 is synchronous from the start. The real
    # adversary held the halves "until GST" forever (its relay line's
    # delay, 2^64 - t, then broke the merge of the traces).
    out = tmp_path / "z"
    r = byzlab("run", "--driver", "zmq", "--protocol", "hotstuff",
               "--byzantine", "1", "--attack", "equivocate", "--requests",
               "10", "--out", out, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "causality=0" in r.stdout
    ts = []
    for line in (out / "trace.jsonl").read_text().splitlines():
        d = json.loads(line)
        assert d.get("delay_us", 0) < 2 ** 63, line
        if d["ev"] in ("run", "end"):
            continue
        # lc is a hybrid logical clock (docs/trace.md): its physical part,
        # lc >> 13, is the microseconds since the run's epoch when the line
        # was written, at or after the event's t, never far ahead of it
        hlc = d["lc"] >> 13
        assert d["t"] - 1 <= hlc <= d["t"] + 1_000_000, line
        ts.append(d["t"])
    # so the merged order is the order of physical time, up to the time a
    # line takes to be written (a disk wait), not a Lamport counter's
    late = sum(1 for a, b in zip(ts, ts[1:]) if b + 50_000 < a)
    assert late == 0, late


def test_check_clocks_writes_each_lines_vector_and_lamport_clock(byzlab,
                                                                 tmp_path):
    t, out = tmp_path / "t.jsonl", tmp_path / "clk.jsonl"
    r = byzlab("run", "--protocol", "hotstuff", "--requests", "3", "--trace",
               t)
    assert r.returncode == 0
    c = byzlab("check", t, "--clocks", out)
    assert c.returncode == 0, c.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    plain = [json.loads(x) for x in t.read_text().splitlines()]
    assert len(lines) == len(plain)
    sent = {}
    for d, p in zip(lines, plain):
        # the same line, with "vc" and "lc" added to every node's event
        assert {k: v for k, v in d.items() if k not in ("vc", "lc")} == p
        if d["ev"] in ("run", "end"):
            assert "vc" not in d
            continue
        assert d["lc"] == sum(d["vc"].values())
        if d["ev"] in ("send", "loopback"):
            sent[d["id"]] = d
        elif d["ev"] == "deliver":
            s = sent[d["id"]]
            # happened-before: the receipt's clock covers the send's
            assert all(d["vc"].get(k, 0) >= v for k, v in s["vc"].items())
            assert d["lc"] > s["lc"]
    # the annotated trace is still a trace: the same verdict
    assert byzlab("check", out).returncode == 0
    # a target that cannot be written is named
    r = byzlab("check", t, "--clocks", tmp_path)
    assert r.returncode == 2 and "--clocks" in r.stderr
