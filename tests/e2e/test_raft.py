"""Raft (lib/raft, docs/raft.md) from the command line: a crash-fault
tolerant baseline that stays safe and live under crashes, restarts and
network attacks, and that one Byzantine replica breaks."""
import json
import os

import pytest

SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_json(byzlab, *args):
    r = byzlab("run", "--protocol", "raft", *args, "--json")
    assert r.returncode in (0, 1), r.stderr
    return r, json.loads(r.stdout)


@pytest.mark.parametrize("n", [3, 5, 7])
def test_fault_free_is_safe_and_live(byzlab, n):
    r, o = run_json(byzlab, "--n", n)
    assert r.returncode == 0 and o["verdict"] == "pass", r.stdout
    assert o["messages"]["raft/append"]["count"] > 0


@pytest.mark.parametrize("crashes", [
    # the first leader stops for good, under loss before GST
    ["--crash", "0@100ms"],
    # the leader and then a follower restart from their logs
    ["--crash", "0@20ms,restart@120ms", "--crash", "2@150ms,restart@250ms"],
])
def test_crashes_stay_safe_and_live(byzlab, crashes):
    r, o = run_json(byzlab, "--n", 3, "--gst", "300ms", "--attack",
                    "drop:p=0.2", "--clients", 4, "--requests", 4, *crashes)
    assert r.returncode == 0 and o["verdict"] == "pass", r.stdout


def test_two_of_five_down_at_once_stay_live(byzlab):
    # f = 2 of n = 5: one crashes for good, one restarts from its log
    r, o = run_json(byzlab, "--n", 5, "--gst", "300ms", "--attack",
                    "partition:period=40ms", "--clients", 4, "--requests", 4,
                    "--crash", "3@40ms", "--crash", "4@60ms,restart@250ms")
    assert r.returncode == 0 and o["verdict"] == "pass", r.stdout


def test_a_follower_behind_the_snapshots_catches_up(byzlab, tmp_path):
    trace = tmp_path / "t.jsonl"
    r = byzlab("run", "--protocol", "raft", "--n", 3, "--gst", "300ms",
               "--requests", 8, "--batch", 1, "--window", 4, "--checkpoint",
               4, "--attack", "partition:groups=0+1|2,from=5ms,until=250ms",
               "--trace", trace)
    assert r.returncode == 0 and r.stdout.startswith("PASS"), r.stdout
    notes = [json.loads(l) for l in trace.read_text().splitlines()
             if '"ev":"note"' in l]
    assert any(x["node"] == "r2" and "snapshot installed" in x["text"]
               for x in notes)


@pytest.mark.parametrize("n", [3, 5])
def test_one_byzantine_leader_equivocating_breaks_it(byzlab, n):
    r, o = run_json(byzlab, "--n", n, "--byzantine", 1, "--attack",
                    "equivocate", "--stop-on-violation")
    assert r.returncode == 1, r.stdout
    assert o["safe"] is False and o["violations"]["agreement"] > 0, r.stdout


def test_summary_and_page_say_what_f_counts_for_a_crash_fault_protocol(
        byzlab, tmp_path):
    """Issue #16: Raft's f counts crash faults, so its b = 1 row is beyond
    its model whatever its f: the summary says what f counts for each
    protocol, and the report page draws Raft's threshold at b = 1 (its
    panel says "crash faults"), PBFT's at f + 1."""
    p = tmp_path / "c.yaml"
    p.write_text("""\
name: models
defaults:
  clients: 2
  requests: 2
cells:
  - name: held
    protocol: [pbft, raft]
    n: 4
    byzantine: 0
    seeds: 1
    expect: [safe]
  - name: beyond
    protocol: raft
    n: 4
    byzantine: 1
    attacks: [equivocate]
    seeds: 1
    stop_on_violation: true
    expect: violation-found
""")
    out = tmp_path / "out"
    r = byzlab("campaign", p, "--out", out)
    assert r.returncode == 0, r.stdout + r.stderr
    md = (out / "summary.md").read_text()
    assert "raft crash (crash and omission, n >= 2f+1)" in md
    assert "pbft Byzantine (crash, omission and Byzantine, n >= 3f+1)" in md
    assert "| raft | 4 | 1 | 1 | 1 | 1 (100.0%) |" in md
    r = byzlab("report", "campaign", out)
    assert r.returncode == 0, r.stdout + r.stderr
    page = (out / "report.html").read_text()
    assert "raft n=4 (f=1, crash faults)" in page
    assert "pbft n=4 (f=1)</text>" in page
