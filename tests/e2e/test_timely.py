"""The progress checker (`timely`, docs/trace.md) judges Tendermint heights
and Raft terms: the view before a judged one is the highest one below it
that a `view` line names, not only the one numbered one less. A give-up
planted into a trace of a judged view is reported (the check is not
vacuous), and the Tendermint run that found the lost round 0 is timely."""
import json

import pytest


def plant(src, dst, line):
    """Copy trace src to dst with line inserted in time order."""
    lines = src.read_text().splitlines()
    t = json.loads(line)["t"]
    i = next(k for k, l in enumerate(lines)
             if k > 0 and json.loads(l)["t"] > t)
    lines.insert(i, line)
    dst.write_text("\n".join(lines) + "\n")


def views(trace):
    return [json.loads(l) for l in trace.read_text().splitlines()
            if '"ev":"view"' in l]


def test_the_early_proposal_keeps_round_0(byzlab):
    # ci.yaml attacks-tendermint-n4-b0-a4-s1: replica 0, proposer of
    # height 9, got height 8's proposal while at height 7 and dropped it;
    # round 0 of height 9 was then given up by the three others.
    r = byzlab("run", "--protocol", "tendermint", "--n", 4, "--seed", 1,
               "--attack", "reorder:p=0.3,max=10ms", "--gst", "300ms",
               "--clients", 4, "--requests", 4, "--batch", 4, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    o = json.loads(r.stdout)
    assert o["verdict"] == "pass" and o["timely"] is True, o
    assert o["violations"]["progress"] == 0


@pytest.mark.parametrize("protocol,args,give_up", [
    # round 0 of height 2 follows round 0 of height 1 (view 2^24 below it)
    ("tendermint", [],
     {"t": 6000, "replica": 1, "view": 2 << 24, "leader": 1}),
    # term 4 follows term 1, whose leader crashed (honest, not up)
    ("raft", ["--crash", "0@50ms"],
     {"t": 150000, "replica": 1, "view": 4, "leader": 2}),
])
def test_a_planted_give_up_is_reported(byzlab, tmp_path, protocol, args,
                                       give_up):
    trace = tmp_path / "t.jsonl"
    r = byzlab("run", "--protocol", protocol, "--n", 4 if protocol ==
               "tendermint" else 3, "--gst", 0, *args, "--trace", trace)
    assert r.returncode == 0 and "timely" not in r.stdout, r.stdout
    entered = [v for v in views(trace) if v["view"] == give_up["view"]]
    assert entered and all(v["what"] == "enter" for v in entered)
    assert {v["leader"] for v in entered} == {give_up["leader"]}
    assert all(v["t"] < give_up["t"] for v in entered)

    planted = tmp_path / "planted.jsonl"
    line = dict(t=give_up["t"], ev="view", replica=give_up["replica"],
                view=give_up["view"], leader=give_up["leader"],
                what="give-up")
    plant(trace, planted, json.dumps(line, separators=(",", ":")))
    c = byzlab("check", planted)
    # progress does not decide the verdict; it is the `timely` line
    assert c.returncode == 0, c.stdout + c.stderr
    assert (f"timely   no: replica {give_up['replica']} gave up view "
            f"{give_up['view']}, led by honest replica "
            f"{give_up['leader']}, at t={give_up['t']}") in c.stdout
    assert "progress=1" in c.stdout


def test_a_restarted_raft_replica_enters_late(byzlab, tmp_path):
    # It may have slept through the election: its first view line after
    # the restart is enter-late, the others enter in step.
    trace = tmp_path / "t.jsonl"
    r = byzlab("run", "--protocol", "raft", "--n", 3, "--gst", 0,
               "--crash", "2@30ms,restart@80ms", "--trace", trace)
    assert r.returncode == 0, r.stdout
    mine = [v for v in views(trace) if v["replica"] == 2]
    after = [v for v in mine if v["t"] >= 80000 and v["what"] != "give-up"]
    assert after and after[0]["what"] == "enter-late", mine
    assert all(v["what"] == "enter" for v in after[1:]), mine
    assert all(v["what"] == "enter" for v in mine if v["t"] < 30000), mine
