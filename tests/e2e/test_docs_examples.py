"""Every example command of README.md and docs/*.md, run, with the outcome
the text claims (issue #9: the README's own twins example printed PASS).

EXAMPLES lists each command as the docs write it (`./build/` dropped,
whitespace and line continuations joined) with what it must give; a test
checks that the list and the docs hold the same commands, so an example
added, changed or removed in the docs must be added, changed or removed
here. The commands run in a scratch directory that has the repository's
campaigns/ and scenarios/ and an empty results/, in the order listed (the
replay, shrink and --scenario FAILURE examples read the campaign's output).
"""
import glob
import json
import os
import re
import shlex
import subprocess

import pytest

SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))

# A synopsis line of a command table ("byzlab run       one scenario ...").
SYNOPSIS = re.compile(r"^(\./build/)?byzlab \w+( {2,}| \| )")


def extract(src):
    """(file, command) of every byzlab command in a code block, and of
    every inline `byzlab SUB ARG ARG...` (one that names a command or an
    option alone is a mention, not an example)."""
    out = []
    files = [os.path.join(src, "README.md")] + sorted(
        glob.glob(os.path.join(src, "docs", "*.md")))
    for path in files:
        rel = os.path.relpath(path, src)
        text = open(path, encoding="utf-8").read()
        lines = text.split("\n")
        fenced = False
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif fenced or line.startswith("    "):
                s = line.strip()
                if re.match(r"(\./build/)?byzlab ", s) and not SYNOPSIS.match(s):
                    while s.endswith("\\") and i + 1 < len(lines):
                        i += 1
                        s = s[:-1] + " " + lines[i].strip()
                    s = re.sub(r"\s{2,}#.*$", "", s)
                    out.append((rel, normal(s)))
            i += 1
        for m in re.finditer(r"`((?:\./build/)?byzlab [^`]+)`", text):
            cmd = normal(m.group(1))
            if len(cmd.split()) >= 4:
                out.append((rel, cmd))
    return out


def normal(cmd):
    return " ".join(re.sub(r"^\./build/", "", cmd.strip()).split())


PASS = {"rc": 0, "out": ["PASS "]}
AGREEMENT = {"rc": 1, "out": ["FAIL ", "agreement"]}
NOT_LIVE = {"rc": 1, "out": ["FAIL ", "liveness"]}


def not_run(why):
    return {"skip": why}


# (file, command) -> what it must give: rc, text in stdout, or a check on
# its --json output; or why it is not run.
EXAMPLES = {
    ("README.md", "byzlab run --seed 7"): PASS,
    ("README.md", "byzlab run --protocol hotstuff --n 7 --loss 0.05 --gst 2s "
     "--trace results/run.jsonl"): {"rc": 0, "out": ["PASS "],
                                   "file": "results/run.jsonl"},
    ("README.md", "byzlab run --crash 0@100ms,restart@400ms --json"):
        {"rc": 0, "json": lambda o: o["verdict"] == "pass"},
    ("README.md", "byzlab bench sim --requests 1000 --seconds 1"):
        {"rc": 0, "out": ["pbft", "hotstuff", "crypto bound"]},
    ("README.md", "byzlab keygen --n 4 --out keys/"):
        {"rc": 0, "file": "keys"},
    ("README.md", "byzlab bench crypto"): {"rc": 0, "out": ["verify"]},
    ("README.md", "byzlab run --byzantine 2 --attack twins "
     "--stop-on-violation"): AGREEMENT,
    ("README.md", "byzlab run --scenario scenarios/twins-f-plus-1.yaml"):
        AGREEMENT,
    ("README.md", "byzlab run --byzantine r3 --attack equivocate --gst 200ms"):
        {"rc": 0, "out": ["PASS ", "byzantine r3;"]},
    ("README.md", "byzlab run --protocol hotstuff --byzantine 1 --attack "
     "equivocate --attack drop:p=0.2,until=200ms --gst 300ms"): PASS,
    ("README.md", "byzlab campaign campaigns/ci.yaml --out results/ci"):
        {"rc": 0, "file": "results/ci/summary.md"},
    ("README.md", "byzlab campaign campaigns/ci.yaml --out results/ci-fast "
     "--crypto fast"): {"rc": 0, "out": ["every expectation held"],
                        "file": "results/ci-fast/summary.md"},
    ("README.md", "byzlab replay results/ci/failures/*.json"):
        {"rc": 0, "out": ["reproduced"]},
    ("README.md", "byzlab shrink results/ci/failures/"
     "beyond-pbft-n4-b2-a0-s1.json"):
        {"rc": 0, "file": "results/ci/failures/"
                          "beyond-pbft-n4-b2-a0-s1.shrunk.json"},
    ("README.md", "byzlab report campaign results/ci"):
        {"rc": 0, "out": ["wrote results/ci/report.html"],
         "file": "results/ci/report.html"},
    ("docs/reports.md", "byzlab report campaign results/ci"):
        {"rc": 0, "out": ["wrote results/ci/report.html"],
         "file": "results/ci/report.html"},
    ("README.md", "byzlab replay --trace results/traces/ "
     "results/ci/failures/*.json"):
        {"rc": 0, "out": ["reproduced"], "file": "results/traces"},
    ("README.md", "byzlab report chart "
     "results/ci/failures/beyond-pbft-n4-b2-a0-s1.json"):
        {"rc": 0, "file": "results/ci/failures/beyond-pbft-n4-b2-a0-s1.svg"},
    # the trace of the hotstuff run above, judged alone: its verdict
    ("README.md", "byzlab check results/run.jsonl"): PASS,
    ("README.md", "byzlab selftest --list"):
        {"rc": 0, "out": ["quorum-2f", "prepared-quorum-2f-1"]},
    ("README.md", "byzlab run --protocol hotstuff --mutant quorum-2f"):
        {"rc": 1, "out": ["FAIL ", "certificates"]},
    ("docs/selftest.md", "byzlab selftest --jobs 2"):
        not_run("the whole self-test, about a minute: scripts/test.sh runs it"),
    ("docs/selftest.md", "byzlab selftest --known-escapes "
     "campaigns/selftest-escapes.txt"):
        not_run("the whole self-test: scripts/test.sh runs it, as CI does"),
    ("docs/selftest.md", "byzlab selftest --list"):
        {"rc": 0, "out": ["safe-node-ignores-lock"]},
    ("docs/selftest.md", "byzlab selftest --protocol pbft --mutant "
     "checkpoint-quorum-f+1 --out results/selftest-one"):
        {"rc": 0, "out": ["caught after"],
         "file": "results/selftest-one/selftest.md"},
    ("docs/selftest.md", "byzlab run --mutant checkpoint-quorum-f+1 "
     "--attack drop:p=0.2 --gst 300ms --clients 4 --requests 4 --batch 4"):
        {"rc": 1, "out": ["FAIL ", "certificates"]},

    ("docs/attacks.md", "byzlab run --gst 200ms --attack drop:p=0.2"): PASS,
    # "drops a fifth of the messages from start to end", not judged: pass
    ("docs/attacks.md", "byzlab run --attack drop:p=0.2"):
        {"rc": 0, "out": ["PASS ", "liveness not judged"]},
    ("docs/attacks.md", "byzlab run --crash 0@0ms --gst 200ms --attack "
     "drop:p=1,rounds=v1 --json"):
        {"rc": 0, "json": lambda o: o["verdict"] == "pass"
         and o["adversary"]["dropped"] > 0},
    ("docs/attacks.md", "byzlab run --protocol hotstuff --n 7 --gst 300ms "
     "--attack 'partition:groups=0+1+2|3+4+5+6' --attack "
     "delay:dist=exp,mean=2ms"): PASS,
    ("docs/attacks.md", "byzlab run --gst 200ms --attack tamper:p=0.2 --json"):
        {"rc": 0, "json": lambda o: o["verdict"] == "pass"
         and o["forged_accepted"] == 0 and sum(o["rejected"].values()) > 0},
    ("docs/attacks.md", "byzlab run --byzantine 1 --gst 200ms --attack "
     "equivocate --attack drop:p=0.2"): PASS,
    ("docs/attacks.md", "byzlab run --byzantine 2 --gst 200ms --attack twins "
     "--stop-on-violation"): AGREEMENT,
    ("docs/attacks.md", "byzlab run --byzantine 2 --gst 200ms --attack "
     "equivocate --stop-on-violation"): AGREEMENT,
    ("docs/attacks.md", "byzlab run --protocol hotstuff --byzantine r3 --gst "
     "200ms --attack mutate:m=withhold,replica=3,to=1,rounds=2-40 --attack "
     "drop:p=0.2 --json"):
        {"rc": 0, "json": lambda o: o["verdict"] == "pass"
         and o["adversary"]["rewritten"] == 4},
    # HotStuff at b = f+1: the coalition's equivocation forks it
    ("docs/attacks.md", "byzlab run --protocol hotstuff --byzantine 0,1 "
     "--gst 300ms --attack equivocate --stop-on-violation"): AGREEMENT,
    # clock faults: an honest replica's clock fast and jumping ahead makes
    # view changes no one else needed; safe and live
    ("docs/attacks.md", "byzlab run --attack "
     "clock:replica=2,rate=1.5,jump=+200ms --json"):
        {"rc": 0, "json": lambda o: o["verdict"] == "pass"
         and o["byzantine"] == []
         and o["messages"]["pbft/view-change"]["count"] > 0},
    ("docs/attacks.md", "byzlab run --protocol hotstuff --attack "
     "clock:replica=1,rate=0.5"): PASS,
    # known problems, fixed in session 3: they commit now
    ("docs/attacks.md", "byzlab run --clients 4 --requests 4 --batch 4 --gst "
     "200ms --loss 0.2 --crash 0@0ms --seed 26"): PASS,

    ("docs/pbft.md", "byzlab run --clients 4 --requests 10"):
        not_run("the common options of a measurement table (its rows add "
                "--n and faults; n = 100+ runs take minutes)"),
    # Tendermint (docs/tendermint.md)
    ("docs/tendermint.md", "byzlab campaign campaigns/tendermint.yaml --out "
     "results/tendermint"):
        {"rc": 0, "out": ["every expectation held"],
         "file": "results/tendermint/summary.md"},
    ("docs/tendermint.md", "byzlab run --protocol tendermint --byzantine 1 "
     "--attack equivocate --gst 200ms --attack drop:p=0.2"): PASS,
    ("docs/tendermint.md", "byzlab run --protocol tendermint --byzantine 2 "
     "--attack equivocate --gst 200ms --stop-on-violation"): AGREEMENT,
    ("docs/tendermint.md", "byzlab run --driver zmq --protocol tendermint "
     "--requests 5 --out results/tm-zmq"):
        {"rc": 0, "out": ["PASS  tendermint", "accepted 20/20",
                          "stop done"],
         "file": "results/tm-zmq/trace.jsonl"},
    ("docs/tendermint.md", "byzlab run --protocol tendermint --n N"):
        not_run("the common options of a measurement table (its rows "
                "give N)"),
    # Raft (docs/raft.md)
    ("docs/raft.md", "byzlab campaign campaigns/raft.yaml --out "
     "results/raft"):
        {"rc": 0, "out": ["every expectation held"],
         "file": "results/raft/summary.md"},
    ("docs/raft.md", "byzlab run --protocol raft --n 3 --crash 0@100ms "
     "--gst 300ms --attack drop:p=0.2"): PASS,
    ("docs/raft.md", "byzlab run --protocol raft --n 3 --byzantine 1 "
     "--attack equivocate --stop-on-violation"): AGREEMENT,
    ("docs/raft.md", "byzlab selftest --campaign campaigns/raft.yaml "
     "--protocol raft"):
        not_run("a measurement: a mutant escapes this campaign (the "
                "table beside it), and the command then fails"),
    ("docs/hotstuff.md", "byzlab run --clients 4 --requests 10"):
        not_run("the common options of a measurement table (its rows add "
                "--n and faults; n = 100+ runs take minutes)"),
    ("docs/campaigns.md", "byzlab replay --trace T/ DIR/failures/*.json"):
        not_run("placeholders (README runs it for real)"),
    ("docs/campaigns.md", "byzlab check T/ID.jsonl"):
        not_run("placeholders (README runs it for real)"),
    ("docs/trace.md", "byzlab check run.jsonl [--byzantine LIST] [--gst D] "
     "[--bound D] [--json]"): not_run("a synopsis with placeholders"),
    ("docs/trace.md", "byzlab check: error: run.jsonl:17: commit: field "
     "'height' is missing"): not_run("an error message, not a command"),
    ("docs/campaigns.md", "byzlab campaign FILE --out DIR [--jobs J] "
     "[--shard K/N] [--resume]"): not_run("a synopsis with placeholders"),
    ("docs/campaigns.md", "byzlab campaign campaigns/threshold.yaml --shard "
     "$SLURM_ARRAY_TASK_ID/8 --out out/$SLURM_ARRAY_TASK_ID"):
        not_run("a template for a Slurm array job (its variables); "
                "sharding is tested in test_campaign.py"),
    ("docs/campaigns.md", "byzlab campaign campaigns/threshold.yaml --shard "
     "$((JOB_COMPLETION_INDEX+1))/8 --out out/$JOB_COMPLETION_INDEX"):
        not_run("a template for a Kubernetes indexed Job"),
    ("docs/campaigns.md", "byzlab campaign --merge out/* --out merged"):
        not_run("merges the shards of the templates above"),
    ("docs/campaigns.md", "byzlab replay DIR/failures/ID.json"):
        not_run("a synopsis with placeholders (README runs it for real)"),
    ("docs/campaigns.md", "byzlab shrink DIR/failures/ID.json"):
        not_run("a synopsis with placeholders (README runs it for real)"),

    # measurements: the timings are the machine's; the outcome is checked
    ("docs/hotstuff.md", "byzlab run --protocol hotstuff --requests 2500"):
        {"rc": 0, "out": ["PASS ", "accepted 10000/10000"]},
    ("docs/pbft.md", "byzlab bench sim --protocol pbft"):
        {"rc": 0, "out": ["pbft", "crypto bound"]},
    ("docs/bench-sim.md", "byzlab bench sim --requests 1000 --seconds 1"):
        {"rc": 0, "out": ["pbft", "hotstuff", "one shared cache",
                          "every replica verifies"]},
    ("docs/bench-sim.md", "byzlab bench sim --protocol pbft --batch 16"):
        not_run("one run of 1024 clients x 16 requests per protocol, about "
                "7 CPU-s (test_bench.py runs a smaller batched one)"),
    ("docs/bench-sim.md", "byzlab bench explore --campaign twins --runs 40 "
     "--jobs 1 --json"):
        {"rc": 0, "json": lambda o: o["campaign"] == "twins" and
         o["runs"] == 40 and o["unexpected"] == 0},
    ("docs/bench-zmq.md", "byzlab bench zmq"):
        not_run("the whole bench, about a minute (test_bench_zmq.py runs "
                "its smallest configuration)"),
    ("docs/bench-zmq.md", "byzlab bench --driver zmq"):
        not_run("the whole bench under its other name, about a minute"),
    ("docs/bench-zmq.md", "byzlab bench --driver zmq --protocol pbft --n 4 "
     "--batch 1 --path direct --seconds 1"):
        {"rc": 0, "out": ["pbft", "direct", "ratio"]},

    ("docs/scenarios.md", "byzlab run --scenario scenarios/twins-f-plus-1.yaml"):
        AGREEMENT,
    ("docs/scenarios.md", "byzlab run --scenario scenarios/twins-f-plus-1.yaml "
     "--seed 3 --protocol hotstuff"):
        {"rc": 1, "out": ["FAIL  hotstuff n=4 f=1 seed=3", "agreement"]},
    ("docs/scenarios.md", "byzlab run --scenario results/ci/failures/"
     "beyond-pbft-n4-b2-a0-s1.json --protocol hotstuff"):
        {"rc": 1, "out": ["FAIL  hotstuff", "agreement"]},
    ("docs/trace.md", "byzlab run --trace FILE"):
        not_run("an option with its placeholder"),

    # real processes (docs/zmq.md): quick runs on this machine
    ("README.md", "byzlab run --driver zmq --requests 5 --out results/zmq"):
        {"rc": 0, "out": ["PASS ", "stop done; run folder results/zmq"],
         "file": "results/zmq/trace.jsonl"},
    ("docs/zmq.md", "byzlab run --driver zmq --requests 5"):
        {"rc": 0, "out": ["PASS  pbft", "accepted 20/20", "stop done"]},
    ("docs/zmq.md", "byzlab run --driver zmq --protocol hotstuff "
     "--requests 50 --crash 3@100ms,restart@300ms --out results/zmq-crash"):
        {"rc": 0, "out": ["PASS  hotstuff", "crashes 1", "9 processes"],
         "file": "results/zmq-crash/trace-launcher.jsonl"},
    # the run folder above, judged again from its merged trace
    ("docs/zmq.md", "byzlab check results/zmq-crash/trace.jsonl"):
        {"rc": 0, "out": ["PASS  hotstuff"]},
    ("docs/zmq.md", "byzlab run --driver zmq --byzantine 1 --attack "
     "equivocate --gst 300ms"): {"rc": 0, "out": ["PASS ", "byzantine r0;"]},
    ("docs/zmq.md", "byzlab run --driver zmq --byzantine 2 --attack "
     "twins:skew=20ms --gst 2s --requests 4 --batch 4 "
     "--stop-on-violation"): AGREEMENT,
    ("docs/zmq.md", "byzlab check --cluster cluster.yaml --merged all.jsonl "
     "alpha/trace.jsonl bravo/trace.jsonl ..."):
        not_run("the traces of the across-hosts cluster, gathered from its "
                "hosts; test_cluster_cmd.py merges and judges a local one"),
    ("docs/zmq.md", "byzlab check --cluster FILE TRACE..."):
        not_run("a synopsis with placeholders"),
    ("docs/zmq.md", "byzlab run --driver zmq"):
        not_run("a command's name in a sentence; the runs below run"),
    ("docs/zmq.md", "byzlab cluster up --cluster cluster.yaml"):
        not_run("the background cluster's steps: test_cluster_cmd.py runs "
                "them (up, client, status, down, check --cluster)"),
    ("docs/zmq.md", "byzlab client --cluster cluster.yaml --id 0 --op "
     "'put x 1' --trace c0.jsonl"):
        not_run("needs the background cluster: test_cluster_cmd.py"),
    ("docs/zmq.md", "byzlab cluster status --cluster cluster.yaml"):
        not_run("needs the background cluster: test_cluster_cmd.py"),
    ("docs/zmq.md", "byzlab cluster down --cluster cluster.yaml"):
        not_run("needs the background cluster: test_cluster_cmd.py"),
    ("docs/zmq.md", "byzlab check --cluster cluster.yaml "
     "data/replica-*/trace.jsonl c0.jsonl"):
        not_run("needs the background cluster's traces: "
                "test_cluster_cmd.py"),
    ("README.md", "byzlab campaign campaigns/real.yaml --out results/real"):
        not_run("the real-process campaign, about 2.5 minutes: "
                "scripts/test.sh runs it, as CI does"),
    ("docs/zmq.md", "byzlab campaign campaigns/real.yaml --out results/real"):
        not_run("the real-process campaign, about 2.5 minutes: "
                "scripts/test.sh runs it, as CI does"),
    # the hand-made cluster: long-running processes, started one a terminal
    ("docs/zmq.md", "byzlab keygen --n 4 --clients 1 --out keys"):
        not_run("step 1 of the hand-made cluster (README's keygen example "
                "already wrote keys/ here); test_zmq.py runs the steps"),
    ("docs/zmq.md", "byzlab node --cluster cluster.yaml --id 0"):
        not_run("a replica process that runs until stopped: "
                "test_zmq.py::test_a_hand_made_cluster_serves_survives_a_"
                "kill_and_stops starts four and stops them"),
    ("docs/zmq.md", "byzlab client --cluster cluster.yaml --id 0 --op "
     "'put x 1' --op 'get x'"):
        not_run("needs the four replica processes above: test_zmq.py runs "
                "this client against them"),
    ("docs/zmq.md", "byzlab adversary --cluster cluster.yaml"):
        not_run("the across-hosts cluster's adversary, on its own host "
                "(192.168.10.30); byzlab run --driver zmq starts it locally"),
    ("docs/zmq.md", "byzlab client --cluster cluster.yaml --id 1 --requests "
     "100 --json"):
        not_run("a client of the across-hosts cluster, on its own host "
                "(192.168.10.20)"),
    ("docs/attacks.md", "byzlab run --gst D"):
        not_run("an option with its placeholder"),
    ("docs/trace.md", "byzlab check TRACE --clocks OUT"):
        not_run("a synopsis with placeholders (test_causality.py runs it)"),
    # the charts of the README's failure and trace (docs/reports.md)
    ("docs/reports.md", "byzlab report chart "
     "results/ci/failures/beyond-pbft-n4-b2-a0-s1.json"):
        {"rc": 0, "file": "results/ci/failures/beyond-pbft-n4-b2-a0-s1.svg"},
    ("docs/reports.md", "byzlab report chart results/run.jsonl --out "
     "results/run.svg --max-arrows 100"):
        {"rc": 0, "file": "results/run.svg"},
    # the whole default sweep is about 21 CPU-seconds (minutes under the
    # sanitizers): test_report_complexity.py checks the committed one at
    # the small n, and the next example runs a small sweep
    ("README.md", "byzlab report complexity --out results/complexity"):
        not_run("the full sweep; test_report_complexity.py checks its "
                "committed output"),
    ("docs/reports.md", "byzlab report complexity --out results/complexity"):
        not_run("the full sweep; test_report_complexity.py checks its "
                "committed output"),
    ("docs/reports.md", "byzlab report complexity --out results/cx-small "
     "--n 4,7,10 --protocol pbft --no-plots"):
        {"rc": 0, "out": ["2n(n-1)", "(no plots: --no-plots)"]},
}

ORDER = list(EXAMPLES)


def test_the_list_holds_every_example_of_the_docs():
    found = set(extract(SRC))
    listed = set(EXAMPLES)
    assert not found - listed, ("examples in the docs that the test does "
                                f"not know (add them): {sorted(found - listed)}")
    assert not listed - found, ("examples the docs no longer have (remove "
                                f"them): {sorted(listed - found)}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    for sub in ("campaigns", "scenarios"):
        os.symlink(os.path.join(SRC, sub), d / sub)
    (d / "results").mkdir()
    return d


@pytest.mark.parametrize("key", ORDER, ids=[f"{f}:{c[:60]}" for f, c in ORDER])
def test_docs_example(key, workdir):
    want = EXAMPLES[key]
    if "skip" in want:
        pytest.skip(want["skip"])
    binary = os.environ.get("BYZLAB") or os.path.join(SRC, "build", "byzlab")
    cmd = key[1].replace("byzlab ", shlex.quote(binary) + " ", 1)
    r = subprocess.run(cmd, shell=True, cwd=workdir, capture_output=True,
                       text=True, timeout=600)
    said = f"{key[1]}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert r.returncode == want["rc"], said
    for text in want.get("out", []):
        assert text in r.stdout, said
    if "json" in want:
        assert want["json"](json.loads(r.stdout.splitlines()[-1])), said
    if "file" in want:
        assert (workdir / want["file"]).exists(), said
