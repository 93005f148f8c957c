"""`byzlab run` as a new user meets it (issue #9 items 3 and 4): one front
door for scenario fields (options, scenario files, campaign files share one
table), and the traps that used to catch people: network attacks without a
GST, the two spellings of --byzantine, twins' names, parameters that did
nothing."""
import json
import re

import pytest

HASH = re.compile(r"trace ([0-9a-f]{64})")


def run_json(byzlab, *args):
    r = byzlab("run", "--json", *args)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return json.loads(r.stdout)


# ---- one front door --------------------------------------------------------

# (option, bad value, field, message after "NAME: ")
BOUNDS = [
    ("--n", "0", "n", "'0' is not a whole number from 1 to 256"),
    ("--requests", "0", "requests", "'0' is not a whole number from 1 to 1000000"),
    ("--clients", "2000", "clients", "'2000' is not a whole number from 1 to 1024"),
    ("--keys", "5000", "keys", "'5000' is not a whole number from 1 to 4096"),
    ("--batch", "300", "batch", "'300' is not a whole number from 1 to 256"),
    ("--window", "0", "window", "'0' is not a whole number from 1 to 4096"),
    ("--checkpoint", "4096", "checkpoint", "'4096' is not a whole number from 1 to 512"),
    ("--loss", "1.5", "loss", "'1.5' is not a probability from 0 to 1"),
    ("--timeout", "0", "timeout", "'0' is not a duration"),
    ("--latency", "fast", "latency", "'fast' is not a duration"),
    ("--max-time", "soon", "max_time", "'soon' is not a duration"),
    ("--protocol", "paxos", "protocol", "unknown protocol 'paxos' (available: pbft, hotstuff, toy, tendermint, raft)"),
    ("--byzantine", "9", "byzantine", "'9' is not a count up to n = 4"),
]


@pytest.mark.parametrize("opt,value,field,msg", BOUNDS)
def test_options_scenario_files_and_campaign_files_share_one_parser(
        byzlab, tmp_path, opt, value, field, msg):
    r = byzlab("run", opt, value)
    assert r.returncode == 2
    assert f"{opt}: {msg}" in r.stderr, r.stderr
    f = tmp_path / "s.yaml"
    f.write_text(f"# a scenario\n{field}: '{value}'\n")
    r = byzlab("run", "--scenario", f)
    assert r.returncode == 2
    assert f"{f}:2: {field}: {msg}" in r.stderr, r.stderr
    if field in ("byzantine", "protocol"):
        return  # campaign cells read these two as their own matrix axes
    c = tmp_path / "c.yaml"
    c.write_text(f"name: x\ndefaults:\n  {field}: '{value}'\n"
                 "cells:\n  - name: a\n    seeds: 1\n")
    r = byzlab("campaign", c, "--out", tmp_path / "out")
    assert r.returncode == 2
    assert f"{field}: {msg}" in r.stderr, r.stderr


SCENARIO = """\
# twins beyond the threshold
protocol: pbft
n: 4
byzantine: [r0, r1]
attacks:
  - twins
clients: 4
requests: 4
batch: 4
gst: 200ms
stop_on_violation: true
"""


def test_a_scenario_file_runs_like_its_options(byzlab, tmp_path):
    f = tmp_path / "twins.yaml"
    f.write_text(SCENARIO)
    r = byzlab("run", "--scenario", f)
    o = byzlab("run", "--byzantine", "r0,r1", "--attack", "twins",
               "--clients", 4, "--requests", 4, "--batch", 4, "--gst", "200ms",
               "--stop-on-violation")
    assert r.returncode == o.returncode == 1, r.stdout + r.stderr
    assert "agreement" in r.stdout
    assert HASH.search(r.stdout).group(1) == HASH.search(o.stdout).group(1)


def test_options_after_the_file_override_it_and_before_it_do_not(byzlab, tmp_path):
    f = tmp_path / "twins.yaml"
    f.write_text(SCENARIO)
    o = run_json(byzlab, "--seed", 9, "--n", 7, "--scenario", f,
                 "--protocol", "hotstuff", "--attack", "silent",
                 "--byzantine", "1", "--stop-on-violation")
    # n from the file (which overrides --n 7), seed from before it (the
    # file has none), protocol from after it
    assert o["protocol"] == "hotstuff" and o["n"] == 4 and o["seed"] == 9
    # a list given again replaces the file's: silent alone, on replica 0
    assert o["attacks"] == ["silent"] and o["byzantine"] == [0]


def test_a_saved_failure_is_a_scenario_file(byzlab, tmp_path):
    o = run_json(byzlab, "--byzantine", 2, "--attack", "equivocate",
                 "--requests", 2, "--gst", "100ms", "--seed", 4)
    f = tmp_path / "f.json"
    scen = {"protocol": "pbft", "n": 4, "seed": 4, "requests": 2,
            "gst_us": 100000, "byzantine": [0, 1],
            "attacks": ["equivocate"]}
    f.write_text(json.dumps({"scenario": scen}))
    p = run_json(byzlab, "--scenario", f)
    assert p["trace_hash"] == o["trace_hash"]


@pytest.mark.parametrize("text,where", [
    ("n: 4\nbogus: 1\n", ":2: unknown scenario field 'bogus'"),
    ("n: 4\nattacks:\n  - drop\n  - dorp\n", ":4: attacks 'dorp': unknown attack"),
    ("crashes: [9@1s]\n", ":1: crash replica: '9' is not a whole number from 0 to 3"),
    ("gst: 300\n", ":1: gst: '300' is not a duration"),
    ("n: 4\nf: 2\n", ":2: f 2 needs n of at least 7"),
    ("n: [4, 7]\n", ":1: n: expected one value"),
    ("n: 4\n  bad indent: 1\n", ":2: "),
])
def test_scenario_file_errors_name_file_and_line(byzlab, tmp_path, text, where):
    f = tmp_path / "s.yaml"
    f.write_text(text)
    r = byzlab("run", "--scenario", f)
    assert r.returncode == 2
    assert f"{f}{where}" in r.stderr, r.stderr


def test_durations_on_the_command_line_may_omit_ms(byzlab):
    a = byzlab("run", "--gst", "300", "--loss", "0.1", "--crash", "1@20,restart@80")
    b = byzlab("run", "--gst", "300ms", "--loss", "0.1", "--crash",
               "1@20ms,restart@80ms")
    assert a.returncode == b.returncode == 0, a.stderr
    assert HASH.search(a.stdout).group(1) == HASH.search(b.stdout).group(1)


# ---- traps ---------------------------------------------------------------

def test_network_attacks_without_a_gst_act_for_the_whole_run(byzlab):
    # was: dropped nothing and passed
    o = run_json(byzlab, "--attack", "drop:p=0.2", "--requests", 5)
    assert o["adversary"]["dropped"] > 0
    assert o["no_gst"] is True and o["live"] is None
    assert o["verdict"] == "pass"
    r = byzlab("run", "--attack", "drop:p=0.2", "--requests", 5)
    assert "liveness not judged: no --gst" in r.stdout
    # loss as well
    o = run_json(byzlab, "--loss", "0.2", "--requests", 5)
    assert o["dropped"] > 0 and o["live"] is None


def test_readme_twins_example_finds_the_violation(byzlab):
    r = byzlab("run", "--byzantine", 2, "--attack", "twins",
               "--stop-on-violation")
    assert r.returncode == 1, r.stdout
    assert "agreement" in r.stdout


def test_byzantine_count_and_list_are_two_spellings(byzlab):
    assert run_json(byzlab, "--byzantine", "3", "--n", 10)["byzantine"] == [0, 1, 2]
    assert run_json(byzlab, "--byzantine", "r3")["byzantine"] == [3]
    assert run_json(byzlab, "--byzantine", "r0,r2")["byzantine"] == [0, 2]
    assert run_json(byzlab, "--byzantine", "0,2")["byzantine"] == [0, 2]
    r = byzlab("run", "--byzantine", "3,")
    assert r.returncode == 2
    assert ("--byzantine: '3,' is ambiguous: write r3 for replica 3 alone, "
            "or 3 for a count (replicas 0..2)") in r.stderr
    r = byzlab("run", "--byzantine", "r3", "--requests", 2)
    assert "faults   byzantine r3;" in r.stdout


def test_twins_read_r0t_in_the_trace(byzlab, tmp_path):
    t = tmp_path / "t.jsonl"
    r = byzlab("run", "--byzantine", 2, "--attack", "twins",
               "--stop-on-violation", "--trace", t)
    assert r.returncode == 1
    text = t.read_text()
    assert '"from":"r0t"' in text and '"to":"r1t"' in text
    assert "1073741" not in text
    twin_lines = [json.loads(x) for x in text.splitlines() if '"twin":true' in x]
    assert twin_lines and all(e["replica"] in (0, 1) for e in twin_lines)


@pytest.mark.parametrize("attack,msg", [
    ("delay:dist=exp,lo=1ms", "delay: lo does not apply to dist=exp"),
    ("delay:mean=3ms", "delay: mean does not apply to dist=uniform"),
    ("partition:groups=0|1,period=10ms", "partition: period does not apply with groups="),
    ("twins:split=off,skew=1ms", "twins: skew does not apply with split=off"),
    ("crash:at=5ms,until=1s", "crash: until does not apply"),
    ("restart:from=1ms", "restart: from does not apply"),
    ("partition:groups=0+1|4", 'partition: bad value "0+1|4" for groups'),
    ("mutate:to=1+9", 'mutate: bad value "1+9" for to'),
])
def test_attack_parameters_that_do_nothing_are_errors(byzlab, attack, msg):
    r = byzlab("run", "--byzantine", 1, "--attack", attack)
    assert r.returncode == 2
    assert msg in r.stderr, r.stderr


def test_crashes_cannot_leave_a_twin_running(byzlab):
    r = byzlab("run", "--byzantine", 1, "--attack", "twins", "--attack",
               "crash:at=5ms")
    assert r.returncode == 2
    assert "crash cannot be combined with twins" in r.stderr
    r = byzlab("run", "--byzantine", 1, "--attack", "twins", "--crash", "0@5ms")
    assert r.returncode == 2
    assert "its twin r0t would go on" in r.stderr


def test_rounds_reach_pbft_view_changes(byzlab, tmp_path):
    t = tmp_path / "t.jsonl"
    o = run_json(byzlab, "--crash", "0@0ms", "--gst", "200ms", "--requests", 3,
                 "--attack", "drop:p=1,rounds=v1", "--trace", t)
    assert o["verdict"] == "pass" and o["adversary"]["dropped"] > 0
    sent = {}
    for line in t.read_text().splitlines():
        e = json.loads(line)
        if e["ev"] == "send":
            sent[e["id"]] = e["msg"]
        elif e["ev"] == "drop" and e["why"] == "adversary":
            assert sent[e["id"]] in ("pbft/view-change", "pbft/new-view")
