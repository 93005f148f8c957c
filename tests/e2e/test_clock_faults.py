"""Clock faults (issue #16, item 4; docs/attacks.md, clock): a replica's
local clock runs fast or slow, or jumps, in the simulator; the replica
stays honest. The attack must run on both protocols, change the run it
acts on, leave a rate-1 clock's run as it was, replay from a saved failure,
and refuse bad texts and the zmq driver with exit 2."""
import glob
import json
import os

import pytest


def run_json(byzlab, *args):
    r = byzlab("run", *args, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def count(o, kind):
    return o["messages"].get(kind, {}).get("count", 0)


@pytest.mark.parametrize("protocol", ["pbft", "hotstuff"])
def test_the_issue_example_passes_on_both_protocols(byzlab, protocol):
    r = byzlab("run", "--protocol", protocol, "--attack",
               "clock:replica=2,rate=1.5,jump=+200ms")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("PASS "), r.stdout
    # the run line says the attack, in its canonical text
    assert "attacks clock:replica=2,rate=1.5,jump=+200ms,at=50ms" in r.stdout
    # and the replica stays honest: nobody is Byzantine
    assert "byzantine none" in r.stdout


def test_a_clock_fault_changes_the_run(byzlab):
    plain = run_json(byzlab, "--protocol", "pbft")
    skew = run_json(byzlab, "--protocol", "pbft", "--attack",
                    "clock:replica=2,rate=1.5,jump=+200ms")
    assert skew["verdict"] == "pass"
    assert skew["trace_hash"] != plain["trace_hash"]
    # the jump fires replica 2's view timer at once: it asks for a view
    # change the others never needed
    assert count(plain, "pbft/view-change") == 0
    assert count(skew, "pbft/view-change") > 0
    # HotStuff: the jumping replica sends TIMEOUTs
    plain = run_json(byzlab, "--protocol", "hotstuff")
    skew = run_json(byzlab, "--protocol", "hotstuff", "--attack",
                    "clock:replica=2,rate=1.5,jump=+200ms")
    assert count(plain, "hotstuff/timeout") == 0
    assert count(skew, "hotstuff/timeout") > 0


@pytest.mark.parametrize("protocol", ["pbft", "hotstuff"])
def test_a_correct_clock_leaves_the_run_as_it_was(byzlab, protocol):
    """rate 1, no offset, no jump: the same events and messages (the trace
    hash differs only by the run line, which names the attack)."""
    plain = run_json(byzlab, "--protocol", protocol)
    one = run_json(byzlab, "--protocol", protocol, "--attack",
                   "clock:replica=1")
    assert one["attacks"] == ["clock:replica=1,rate=1"]
    for k in ("events", "messages", "virtual_us", "trace_lines",
              "liveness_bound_us"):
        assert one[k] == plain[k], k


def test_a_slow_clock_stretches_the_liveness_bound(byzlab):
    plain = run_json(byzlab, "--protocol", "pbft")
    fast = run_json(byzlab, "--protocol", "pbft", "--attack",
                    "clock:replica=0,rate=2")
    slow = run_json(byzlab, "--protocol", "pbft", "--attack",
                    "clock:replica=0,rate=0.5")
    retry_max = 400000  # the scenario's default retry_max, not stretched
    assert fast["liveness_bound_us"] == plain["liveness_bound_us"]
    assert slow["liveness_bound_us"] - retry_max == \
        2 * (plain["liveness_bound_us"] - retry_max)


def test_the_same_attack_gives_the_same_hash_from_a_scenario_file(
        byzlab, tmp_path):
    text = "clock:replica=3,rate=0.75,offset=-5ms,jump=+120ms,at=30ms"
    o = run_json(byzlab, "--protocol", "hotstuff", "--seed", 3,
                 "--attack", text)
    f = tmp_path / "f.json"
    f.write_text(json.dumps({"scenario": {
        "protocol": "hotstuff", "n": 4, "seed": 3, "attacks": [text]}}))
    p = run_json(byzlab, "--scenario", f)
    assert p["trace_hash"] == o["trace_hash"]


def test_a_saved_failure_with_a_clock_fault_replays(byzlab, tmp_path):
    """Beyond the threshold (twins), with a skewed honest clock: the
    campaign saves the violation, and replay reproduces its trace hash."""
    camp = tmp_path / "c.yaml"
    camp.write_text("""name: clockfail
driver: sim
defaults:
  clients: 4
  requests: 4
  batch: 4
  gst: 300ms
cells:
  - name: beyond-clock
    protocol: pbft
    n: 4
    byzantine: f+1
    attack_mode: all
    attacks: [twins, "clock:replica=3,drift=+250000,jump=-1ms,at=10ms"]
    seeds: 2
    stop_on_violation: true
    expect: violation-found
""")
    out = tmp_path / "out"
    r = byzlab("campaign", camp, "--out", out, "-q", "--jobs", 1)
    assert r.returncode == 0, r.stdout + r.stderr
    failures = sorted(glob.glob(str(out / "failures" / "*.json")))
    assert failures, os.listdir(out)
    saved = json.loads(open(failures[0]).read())
    assert "clock:replica=3,rate=1.25,jump=-1ms,at=10ms" in \
        saved["scenario"]["attacks"]
    r = byzlab("replay", *failures)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reproduced" in r.stdout


@pytest.mark.parametrize("attack,msg", [
    ("clock", "clock: replica= is required"),
    ("clock:replica=2,rate=20", "bad value \"20\" for rate: a decimal from "
     "0.1 to 10"),
    ("clock:replica=2,drift=1.5", "bad value \"1.5\" for drift"),
    ("clock:replica=7", "bad value \"7\" for replica: a replica from 0 to 3"),
    ("clock:replica=2,jump=200", "bad value \"200\" for jump"),
    ("clock:replica=2,offset=+1e3ms", "bad value \"+1e3ms\" for offset"),
    ("clock:replica=2,at=5ms", "clock: at does not apply without jump="),
    ("clock:replica=2,until=5ms", "clock: until does not apply"),
    ("clock:replica=2,rate=2,drift=10", "give rate= or drift=, not both"),
])
def test_bad_clock_attacks_exit_2_naming_the_key(byzlab, attack, msg):
    r = byzlab("run", "--attack", attack)
    assert r.returncode == 2, r.stdout + r.stderr
    assert msg in r.stderr, r.stderr


def test_two_clocks_for_one_replica_are_refused(byzlab):
    r = byzlab("run", "--attack", "clock:replica=2,rate=2", "--attack",
               "clock:replica=2,rate=0.5")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "replica 2 has two clock faults" in r.stderr, r.stderr


def test_the_zmq_driver_refuses_clock_faults(byzlab):
    r = byzlab("run", "--driver", "zmq", "--attack",
               "clock:replica=1,rate=2", timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "clock faults run in the simulator only" in r.stderr, r.stderr
