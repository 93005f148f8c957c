"""A results directory knows what made it, and a campaign says when it could
not do everything (issue #13): --resume and --merge refuse another
campaign's or another version's directory, --merge names the missing runs,
a lock keeps two invocations out of one directory, a dead worker is
replaced and its run tried again (then recorded as a harness error, not a
protocol failure), and a run that hits its wall-clock limit is recorded as
such, without a verdict."""
import json
import os
import subprocess
import time

import pytest

CAMPAIGN = """\
name: trust
defaults:
  clients: 2
  requests: 2
  gst: 100ms
cells:
  - name: drops
    protocol: [pbft, hotstuff]
    n: 4
    byzantine: 0..f
    attacks:
      - drop:p=0.1
    seeds: 1..3
    expect: safe
"""

# One run long enough (n = 64, many requests) to be caught in the act.
SLOW = """\
name: slow
max_wall: 3600s
defaults:
  clients: 8
  requests: 400
cells:
  - name: big
    protocol: pbft
    n: 64
    byzantine: 0
    seeds: 1
    expect: safe
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def records(d):
    with open(os.path.join(d, "runs.jsonl")) as f:
        return [json.loads(line) for line in f]


def manifest(d):
    with open(os.path.join(d, "campaign.json")) as f:
        return json.load(f)


def test_the_directory_records_its_campaign_and_version(byzlab, tmp_path):
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    out = tmp_path / "out"
    r = byzlab("campaign", camp, "--out", out, "-q", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    m = manifest(out)
    version = byzlab("--version").stdout.split()[1]
    assert m["version"] == version
    assert m["campaign"] == "trust" and m["runs"] == 12
    assert m["shards"] == ["1/1"]
    assert "drop:p=0.1" in m["definition"]
    assert "#" not in m["definition"]  # canonical: no comments
    # A comment or a blank line changes nothing: --resume goes on.
    camp.write_text("# a comment\n\n" + CAMPAIGN)
    r = byzlab("campaign", camp, "--out", out, "-q", "--resume")
    assert r.returncode == 0, r.stderr


def test_resume_refuses_an_edited_campaign(byzlab, tmp_path):
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    out = tmp_path / "out"
    assert byzlab("campaign", camp, "--out", out, "-q").returncode == 0
    camp.write_text(CAMPAIGN.replace("p=0.1", "p=0.9"))
    r = byzlab("campaign", camp, "--out", out, "-q", "--resume")
    assert r.returncode == 2
    assert "holds the runs of campaign 'trust'" in r.stderr
    assert "--accept-mismatch" in r.stderr
    assert len(records(out)) == 12  # untouched
    r = byzlab("campaign", camp, "--out", out, "-q", "--resume",
               "--accept-mismatch")
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr
    assert len(manifest(out)["mixed"]) == 1


def test_resume_refuses_another_campaigns_directory(byzlab, tmp_path):
    other = write(tmp_path, "o.yaml", CAMPAIGN.replace("name: trust",
                                                       "name: other"))
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    out = tmp_path / "out"
    assert byzlab("campaign", other, "--out", out, "-q").returncode == 0
    r = byzlab("campaign", camp, "--out", out, "-q", "--resume")
    assert r.returncode == 2
    assert "campaign 'other'" in r.stderr and "'trust'" in r.stderr


def test_resume_refuses_a_directory_without_a_manifest(byzlab, tmp_path):
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    out = tmp_path / "out"
    assert byzlab("campaign", camp, "--out", out, "-q").returncode == 0
    os.unlink(out / "campaign.json")
    r = byzlab("campaign", camp, "--out", out, "-q", "--resume")
    assert r.returncode == 2
    assert "no campaign.json" in r.stderr


def test_a_second_invocation_on_one_directory_is_refused(byzlab, tmp_path):
    slow = write(tmp_path, "s.yaml", SLOW)
    out = tmp_path / "out"
    first = subprocess.Popen([os.environ.get("BYZLAB", "build/byzlab"),
                              "campaign", str(slow), "--out", str(out),
                              "-q", "--jobs", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        lock = out / ".lock"
        for _ in range(200):
            if lock.exists() and lock.read_text().strip():
                break
            time.sleep(0.05)
        r = byzlab("campaign", slow, "--out", out, "-q", "--force")
        assert r.returncode == 2
        assert f"another byzlab (pid {first.pid})" in r.stderr
        r = byzlab("campaign", slow, "--out", out, "-q", "--resume")
        assert r.returncode == 2
    finally:
        first.terminate()
        first.communicate(timeout=120)
    # Once it ended, the directory is free again.
    r = byzlab("campaign", slow, "--out", out, "-q", "--resume",
               "--max-wall", "100ms")
    assert r.returncode in (0, 3), r.stderr
    assert "another byzlab" not in r.stderr


def test_merge_names_the_missing_runs(byzlab, tmp_path):
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    for k in (1, 2):
        r = byzlab("campaign", camp, "--shard", f"{k}/3", "--out",
                   tmp_path / f"s{k}", "-q")
        assert r.returncode == 0, r.stderr
    r = byzlab("campaign", "--merge", tmp_path / "s1", tmp_path / "s2",
               "--out", tmp_path / "m", "-q")
    assert r.returncode == 2
    assert "4 of 12 runs" in r.stderr
    assert "2, 5, 8, 11" in r.stderr and "1/3, 2/3" in r.stderr
    assert not (tmp_path / "m" / "runs.jsonl").exists()
    r = byzlab("campaign", "--merge", tmp_path / "s1", tmp_path / "s2",
               "--out", tmp_path / "m", "-q", "--partial")
    assert r.returncode == 3
    assert "INCOMPLETE" in r.stdout
    assert manifest(tmp_path / "m")["missing"] == 4
    assert "INCOMPLETE" in (tmp_path / "m" / "summary.md").read_text()
    r = byzlab("campaign", camp, "--shard", "3/3", "--out", tmp_path / "s3",
               "-q")
    assert r.returncode == 0
    r = byzlab("campaign", "--merge", tmp_path / "s1", tmp_path / "s2",
               tmp_path / "s3", "--out", tmp_path / "all", "-q")
    assert r.returncode == 0, r.stderr
    assert len(records(tmp_path / "all")) == 12
    assert manifest(tmp_path / "all")["shards"] == ["1/3", "2/3", "3/3"]


def test_merge_refuses_two_campaigns(byzlab, tmp_path):
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    other = write(tmp_path, "o.yaml",
                  CAMPAIGN.replace("name: trust", "name: other"))
    assert byzlab("campaign", camp, "--out", tmp_path / "a", "-q").returncode == 0
    assert byzlab("campaign", other, "--out", tmp_path / "b",
                  "-q").returncode == 0
    r = byzlab("campaign", "--merge", tmp_path / "a", tmp_path / "b", "--out",
               tmp_path / "m", "-q")
    assert r.returncode == 2
    assert "not one campaign's" in r.stderr


def run_env(byzlab_args, env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run([os.environ.get("BYZLAB", "build/byzlab"),
                           *map(str, byzlab_args)], capture_output=True,
                          text=True, env=env, timeout=300)


def test_a_dead_worker_is_replaced_and_its_run_tried_again(tmp_path):
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    out = tmp_path / "out"
    r = run_env(["campaign", camp, "--out", out, "-q", "--jobs", "2"],
                {"BYZLAB_TEST_KILL_WORKER": "3@1"})
    assert r.returncode == 0, r.stderr
    assert "the worker on run 3 killed by signal 9" in r.stderr
    assert "trying the run once more" in r.stderr
    recs = records(out)
    assert sorted(x["index"] for x in recs) == list(range(12))
    assert "every expectation held" in r.stdout


def test_a_run_whose_worker_dies_twice_is_a_harness_error(tmp_path):
    camp = write(tmp_path, "c.yaml", CAMPAIGN)
    out = tmp_path / "out"
    r = run_env(["campaign", camp, "--out", out, "-q", "--jobs", "2"],
                {"BYZLAB_TEST_KILL_WORKER": "3"})
    assert r.returncode == 3, r.stdout + r.stderr
    assert "recorded as a harness error" in r.stderr
    assert "EXPECTATIONS NOT MET" not in r.stdout
    assert "every expectation held" not in r.stdout
    assert "INCOMPLETE: 1 run(s) could not be carried out" in r.stdout
    recs = {x["index"]: x for x in records(out)}
    assert len(recs) == 12
    assert recs[3]["verdict"] == "harness-error"
    assert recs[3]["safe"] is None and recs[3]["met"] is None
    summary = (out / "summary.md").read_text()
    assert "Runs without a verdict" in summary
    # --resume carries out what the harness could not.
    r = run_env(["campaign", camp, "--out", out, "-q", "--resume"], {})
    assert r.returncode == 0, r.stderr
    recs = [x for x in records(out) if x["index"] == 3]
    assert recs[-1]["verdict"] == "pass"


def test_a_run_at_its_wall_clock_limit_has_no_verdict(byzlab, tmp_path):
    slow = write(tmp_path, "s.yaml", SLOW.replace("max_wall: 3600s",
                                                  "max_wall: 200ms"))
    out = tmp_path / "out"
    r = byzlab("campaign", slow, "--out", out, "-q")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "1 hit their wall-clock limit" in r.stdout
    (rec,) = records(out)
    assert rec["verdict"] == "wall-limit"
    assert rec["safe"] is None and rec["live"] is None and rec["met"] is None
    assert "max_wall 0.2 s" in rec["why"]
    assert not list((out / "failures").iterdir())
    # --max-wall on the command line wins over the file.
    r = byzlab("campaign", slow, "--out", out, "-q", "--force", "--max-wall",
               "150ms")
    assert r.returncode == 3
    assert "max_wall 0.15 s" in records(out)[0]["why"]


def test_run_max_wall(byzlab):
    r = byzlab("run", "--n", "64", "--clients", "8", "--requests", "400",
               "--max-wall", "200ms")
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.startswith("WALL-LIMIT")
    assert "stopped at --max-wall" in r.stderr
    for bad in ("0", "-1s", "2d", "86401s"):
        r = byzlab("run", "--max-wall", bad)
        assert r.returncode == 2, bad
        assert "--max-wall" in r.stderr


def test_bad_max_wall_in_a_campaign_file(byzlab, tmp_path):
    camp = write(tmp_path, "c.yaml",
                 CAMPAIGN.replace("name: trust", "name: trust\nmax_wall: soon"))
    r = byzlab("campaign", camp, "--out", tmp_path / "o", "-q")
    assert r.returncode == 2
    assert "c.yaml:2: max_wall: 'soon'" in r.stderr
