"""Shrinking on worker processes (docs/campaigns.md, "Replay and shrink"):
the shrunk counterexamples are the same, byte for byte, whatever --jobs
is, while the candidates really run on several workers at once; a worker
that dies is replaced and its candidate run once more; Ctrl-C ends it all,
and every worker is reaped."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

# Three groups to shrink, each over several steps: twins with a delay and
# duplicates (pbft and hotstuff, two seeds each: the lowest run number of
# a group is shrunk, whichever worker finished first), and equivocation
# with a partition and tampering (shrunk over several passes).
CAMPAIGN = """\
name: shrinkjobs
defaults:
  clients: 4
  requests: 4
  batch: 2
  gst: 200ms
  max_time: 30s
cells:
  - name: twins
    protocol: [pbft, hotstuff]
    n: 4
    byzantine: f+1
    attack_mode: all
    attacks: [twins, "delay:dist=uniform,lo=0us,hi=2ms", "duplicate:p=0.1,copies=2"]
    seeds: 2
    expect: violation-found
    shrink: true
  - name: tamper
    protocol: pbft
    n: 4
    byzantine: f+1
    attack_mode: all
    attacks: [equivocate, "partition:period=40ms", "tamper:p=0.1"]
    seeds: 1
    expect: violation-found
    shrink: true
"""

STATS = re.compile(r"(\d+) candidate runs on (\d+) worker process(?:es)? "
                   r"\(([\d, ]+); CPU-s [\d., ]+\), at most (\d+) at once")

SRC = os.environ.get("BYZLAB_SRC") or os.path.join(
    os.path.dirname(__file__), "..", "..")
# A failure with three attacks and a crash (tests/corpus/failure).
FAILURE = os.path.join(SRC, "tests", "corpus", "failure", "ok-multi-pbft.json")


def exe():
    return os.environ.get("BYZLAB") or os.path.join(
        os.path.dirname(__file__), "..", "..", "build", "byzlab")


def run(*args, env=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([exe(), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=e)


def shrunk_files(out):
    return {p.name: p.read_bytes()
            for p in sorted((out / "failures").glob("*.shrunk.json"))}


def stats(text):
    m = STATS.search(text)
    assert m, text
    return (int(m[1]), int(m[2]), [int(x) for x in m[3].split(",")],
            int(m[4]))


@pytest.fixture(scope="module")
def campaign_dirs(tmp_path_factory):
    """The campaign run with --jobs 1 and --jobs 2."""
    base = tmp_path_factory.mktemp("shrinkjobs")
    p = base / "c.yaml"
    p.write_text(CAMPAIGN)
    got = {}
    for j in (1, 2):
        out = base / f"j{j}"
        r = run("campaign", p, "--out", out, "--jobs", j)
        assert r.returncode == 0, r.stdout + r.stderr
        got[j] = (out, r)
    return got


def test_campaign_shrinks_the_same_on_one_or_two_workers(campaign_dirs):
    (o1, r1), (o2, r2) = campaign_dirs[1], campaign_dirs[2]
    s1, s2 = shrunk_files(o1), shrunk_files(o2)
    assert len(s1) == 3, r1.stderr
    assert s1 == s2  # byte for byte: scenario, result, trace hash, steps
    for name, data in s1.items():
        doc = json.loads(data)
        assert doc["result"]["safe"] is False
        assert doc["shrink_steps"].count(";") >= 2, (name, doc["shrink_steps"])
    # each group's violation of the lowest run number was shrunk
    recs = [json.loads(line) for line in (o2 / "runs.jsonl").open()]
    first = {}
    for rec in sorted(recs, key=lambda r: r["index"]):
        if rec["safe"] is False:
            key = (rec["cell"], rec["protocol"], rec["n"], rec["b"])
            first.setdefault(key, rec["id"] + ".shrunk.json")
    assert sorted(first.values()) == sorted(s1)


def test_campaign_shrinks_on_both_workers_at_once(campaign_dirs):
    _, r1 = campaign_dirs[1]
    _, r2 = campaign_dirs[2]
    n1, w1, per1, most1 = stats(r1.stderr)
    assert (w1, most1) == (1, 1)
    n2, w2, per2, most2 = stats(r2.stderr)
    # the three groups' candidates ran on the two workers, two at once
    assert w2 == 2 and most2 == 2, r2.stderr
    assert len(per2) == 2 and min(per2) > 0, r2.stderr
    assert n2 >= n1


def test_shrink_jobs_gives_the_same_result(tmp_path):
    outs, logs = {}, {}
    for j in (1, 2, 3):
        target = tmp_path / f"s{j}.json"
        r = run("shrink", FAILURE, "--jobs", j, "-o", target)
        assert r.returncode == 0, r.stdout + r.stderr
        outs[j] = target.read_bytes()
        # the candidates tried, kept or undone, are listed in the same
        # order whatever ran them
        logs[j] = [line for line in r.stdout.splitlines()
                   if line.startswith("  try ")]
        if j == 2:
            n, w, per, most = stats(r.stdout)
            assert w == 2 and most == 2 and min(per) > 0, r.stdout
    assert outs[1] == outs[2] == outs[3]
    assert logs[1] == logs[2] == logs[3] and len(logs[1]) > 10
    doc = json.loads(outs[1])
    assert doc["result"]["safe"] is False
    r = run("replay", tmp_path / "s2.json")
    assert r.returncode == 0, r.stdout


def test_a_dead_shrink_worker_is_replaced_and_its_candidate_run_again(
        tmp_path):
    ref = tmp_path / "ref.json"
    assert run("shrink", "-q", FAILURE, "--jobs", 1, "-o",
               ref).returncode == 0
    got = tmp_path / "got.json"
    r = run("shrink", "-q", FAILURE, "--jobs", 2, "-o", got,
            env={"BYZLAB_TEST_KILL_SHRINK_WORKER": "1@1"})
    # candidate 1: the failure run again, always wanted
    assert r.returncode == 0, r.stdout + r.stderr
    assert "candidate 1 killed by signal 9" in r.stderr
    assert "running it once more" in r.stderr
    assert got.read_bytes() == ref.read_bytes()


def test_a_candidate_whose_worker_dies_twice_leaves_nothing(tmp_path):
    got = tmp_path / "got.json"
    r = run("shrink", "-q", FAILURE, "--jobs", 2, "-o", got,
            env={"BYZLAB_TEST_KILL_SHRINK_WORKER": "1"})
    assert r.returncode == 3, r.stdout + r.stderr
    assert "candidate 1 died twice (killed by signal 9" in r.stderr
    assert "nothing written" in r.stderr
    assert not got.exists()
    assert not list(tmp_path.iterdir())  # no temporary file either


def test_campaign_notes_a_group_it_could_not_shrink(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(CAMPAIGN)
    out = tmp_path / "out"
    # candidate 1 is the first group's run again: its worker dies twice
    r = run("campaign", p, "--out", out, "--jobs", 2,
            env={"BYZLAB_TEST_KILL_SHRINK_WORKER": "1"})
    assert r.returncode == 3, r.stdout + r.stderr
    assert "not shrunk" in r.stderr and "died twice" in r.stderr
    # the other groups are shrunk all the same
    assert len(shrunk_files(out)) == 2
    # --resume shrinks the one left, as it would have been
    r = run("campaign", p, "--out", out, "--jobs", 2, "--resume")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(shrunk_files(out)) == 3


def children(pid):
    kids = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return kids


def test_ctrl_c_ends_the_shrink_and_reaps_its_workers(tmp_path):
    target = tmp_path / "s.json"
    proc = subprocess.Popen([exe(), "shrink", "-q", "--jobs", "2", FAILURE,
                             "-o", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.time() + 30
    kids = []
    while time.time() < deadline and proc.poll() is None:
        kids = children(proc.pid)
        if len(kids) == 2:
            break
        time.sleep(0.005)
    assert len(kids) == 2, "the two workers did not start"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "interrupted; nothing written" in err
    assert not target.exists()
    # every worker was reaped: nothing is left of the session
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_ctrl_c_while_a_campaign_shrinks_then_resume(campaign_dirs, tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(CAMPAIGN)
    out = tmp_path / "out"
    proc = subprocess.Popen([exe(), "campaign", str(p), "--out", str(out),
                             "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    for line in proc.stderr:
        if line.startswith("shrinking "):
            break  # the runs are done; the shrink workers are on it
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # every worker was reaped
    # what was not shrunk is shrunk by --resume, as it would have been
    r = run("campaign", p, "--out", out, "--jobs", 2, "--resume")
    assert r.returncode == 0, r.stdout + r.stderr
    assert shrunk_files(out) == shrunk_files(campaign_dirs[1][0])
