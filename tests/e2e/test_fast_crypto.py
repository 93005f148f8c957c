"""Fast crypto for exploration (issue #14, docs/crypto.md): `--crypto fast`
and a campaign's `crypto: fast` sign with keyed hashes the adversary cannot
compute; the adversary's tampering and forgeries are still rejected; a run
that fails in fast mode is run again with Ed25519 and reported as that run
(it must reproduce, or the verdict is an error), so a failure file always
replays with Ed25519 to the reported trace hash."""
import json
import os
import subprocess

import pytest

CAMPAIGN = """\
name: fastmode
crypto: fast
defaults:
  clients: 2
  requests: 2
cells:
  - name: held
    protocol: [pbft, hotstuff]
    n: 4
    byzantine: 0..f
    attacks:
      - tamper
      - equivocate
    seeds: 1..2
    expect: safe
  - name: broken
    protocol: pbft
    n: 4
    byzantine: f+1
    attacks: [equivocate]
    seeds: 1..2
    expect: violation-found
"""


def run_json(byzlab, *args):
    r = byzlab("run", "--json", *args)
    assert r.returncode in (0, 1), r.stderr
    return r, json.loads(r.stdout)


def test_a_fast_run_says_so_and_decides_as_ed25519_does(byzlab):
    for proto in ("pbft", "hotstuff"):
        args = ("--protocol", proto, "--byzantine", "1", "--attack", "tamper",
                "--requests", "4")
        _, ed = run_json(byzlab, *args)
        _, fast = run_json(byzlab, *args, "--crypto", "fast")
        assert fast["crypto"] == "fast" and "crypto" not in ed
        assert fast["verdict"] == ed["verdict"] == "pass"
        # Tampered frames are still rejected, one by one, and no forgery
        # passes ingress.
        assert fast["rejected"] == ed["rejected"]
        assert fast["rejected"].get("bad-signature", 0) > 0
        assert fast["forged_accepted"] == 0
        assert fast["messages"] == ed["messages"]


def test_a_finding_in_fast_mode_is_reported_as_its_ed25519_replay(byzlab):
    args = ("--byzantine", "2", "--attack", "equivocate", "--requests", "4")
    r, fast = run_json(byzlab, *args, "--crypto", "fast")
    _, ed = run_json(byzlab, *args)
    assert r.returncode == 1
    assert fast["verdict"] == "fail" and fast["safe"] is False
    conf = fast["confirmed_from_fast"]
    assert conf["verdict"] == "fail" and conf["safe"] is False
    # What is reported is the Ed25519 run, which replays as such.
    assert fast["trace_hash"] == ed["trace_hash"]
    assert "crypto" not in fast
    people = byzlab("run", *args, "--crypto", "fast")
    assert "replayed with Ed25519" in people.stdout


def test_a_fast_finding_that_ed25519_does_not_reproduce_is_an_error(byzlab):
    # The test hook makes a fast run that passed claim a safety finding:
    # its Ed25519 replay passes, and the two must not disagree silently.
    env = dict(os.environ, BYZLAB_TEST_FAST_FINDING="1")
    path = os.environ.get("BYZLAB") or "build/byzlab"
    r = subprocess.run([path, "run", "--crypto", "fast", "--requests", "2"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode != 0 and r.returncode != 1
    assert r.stdout.startswith("ERROR")
    assert "did not reproduce with Ed25519" in r.stdout
    # Without fast crypto the hook does nothing.
    r = subprocess.run([path, "run", "--requests", "2"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_bad_crypto_values_are_usage_errors(byzlab):
    r = byzlab("run", "--crypto", "rsa")
    assert r.returncode == 2
    assert "crypto: 'rsa' is not a signature scheme" in r.stderr
    assert "ed25519" in r.stderr and "fast" in r.stderr
    r = byzlab("run", "--crypto", "fast", "--driver", "zmq")
    assert r.returncode == 2
    assert "--crypto fast is for the simulator" in r.stderr
    r = byzlab("campaign", "campaigns/ci.yaml", "--out", "/nonexistent/x",
               "--crypto", "quick")
    assert r.returncode == 2
    assert "--crypto: 'quick' is not ed25519 or fast" in r.stderr


def test_a_zmq_campaign_refuses_fast_crypto(byzlab, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("name: z\ndriver: zmq\ncrypto: fast\ncells:\n"
                 "  - name: a\n    protocol: pbft\n    n: 4\n"
                 "    byzantine: 0\n    expect: safe\n")
    r = byzlab("campaign", f, "--out", tmp_path / "out")
    assert r.returncode == 2
    assert "crypto: fast is for the simulator" in r.stderr


def test_a_fast_campaign_reports_ed25519_failures_that_replay(byzlab,
                                                              tmp_path):
    f = tmp_path / "fast.yaml"
    f.write_text(CAMPAIGN)
    out = tmp_path / "out"
    r = byzlab("campaign", f, "--out", out, "--jobs", "2", "-q",
               "--no-shrink")
    assert r.returncode == 0, r.stdout + r.stderr
    runs = [json.loads(x) for x in (out / "runs.jsonl").read_text().split("\n")
            if x]
    held = [x for x in runs if x["cell"] == "held"]
    broken = [x for x in runs if x["cell"] == "broken"]
    assert held and all(x["crypto"] == "fast" and x["verdict"] == "pass"
                        for x in held)
    assert len(broken) == 2
    for x in broken:
        assert x["verdict"] == "fail" and "confirmed_from_fast" in x
        assert "crypto" not in x["scenario"]
        doc = json.loads((out / x["failure"]).read_text())
        assert doc["result"]["confirmed_from_fast"]["verdict"] == "fail"
        assert "crypto" not in doc["scenario"]
        rep = byzlab("replay", out / x["failure"])
        assert x["trace_hash"] in rep.stdout, rep.stdout + rep.stderr
    # The same campaign with --crypto ed25519 decides every run alike.
    out2 = tmp_path / "out2"
    r = byzlab("campaign", f, "--out", out2, "--jobs", "2", "-q",
               "--no-shrink", "--crypto", "ed25519")
    assert r.returncode == 0, r.stdout + r.stderr
    runs2 = {json.loads(x)["id"]: json.loads(x)
             for x in (out2 / "runs.jsonl").read_text().split("\n") if x}
    for x in runs:
        assert runs2[x["id"]]["verdict"] == x["verdict"]
        assert "crypto" not in runs2[x["id"]]
