"""`byzlab check TRACE.jsonl` as a user meets it: a trace file judged without
the run that wrote it gives that run's verdict, words and exit code — for
single runs that pass and fail, for every failure the CI campaign saves and
for its passing runs — and bad input exits 2 with a message that names the
file and the line."""
import json
import os

import pytest

# (name, run options, exit code the run gives)
SCENARIOS = [
    ("pbft", [], 0),
    ("toy", ["--protocol", "toy"], 0),
    ("hotstuff-loss", ["--protocol", "hotstuff", "--loss", "0.05",
                       "--gst", "300ms"], 0),
    ("pbft-crash-restart", ["--crash", "2@100ms,restart@400ms"], 0),
    ("pbft-crash-for-good", ["--crash", "3@30ms"], 0),
    ("pbft-amnesia", ["--crash", "1@20ms,restart@60ms,fresh"], 0),
    ("hotstuff-equivocate", ["--protocol", "hotstuff", "--byzantine", "1",
                             "--attack", "equivocate"], 0),
    # b = f+1: twins break agreement.
    ("pbft-twins-b2", ["--byzantine", "0,1", "--attack", "twins",
                       "--gst", "1s", "--stop-on-violation"], 1),
    ("hotstuff-twins-b2", ["--protocol", "hotstuff", "--byzantine", "0,1",
                           "--attack", "twins", "--gst", "300ms",
                           "--stop-on-violation"], 1),
    # The run ends before every request is in.
    ("pbft-time-limit", ["--max-time", "30ms"], 1),
    # A planted mistake the certificates oracle sees (fault lines).
    ("hotstuff-mutant-quorum", ["--protocol", "hotstuff", "--mutant",
                                "quorum-2f"], 1),
    ("pbft-mutant-checkpoint", ["--mutant", "checkpoint-quorum-f+1",
                                "--attack", "drop:p=0.2", "--gst", "300ms",
                                "--clients", "4", "--requests", "4",
                                "--batch", "4"], 1),
    # A liveness bound no protocol meets.
    ("pbft-tight-bound", ["--loss", "0.1", "--gst", "200ms",
                          "--bound", "1ms"], 1),
]

# The keys `run --json` and `check --json` share, which must be equal.
SAME = ["protocol", "n", "f", "seed", "requests", "verdict", "why", "safe",
        "live", "forged_accepted", "accepted", "violations",
        "violation_details", "virtual_us", "liveness_bound_us",
        "trace_lines", "trace_hash"]


def verdict_lines(stdout):
    """The lines of the verdict both commands print: the verdict line, why,
    the counts per checker and the other violations kept."""
    return [l for l in stdout.splitlines()
            if l.startswith(("PASS ", "FAIL ", "  why ", "  checks ",
                             "  also "))]


@pytest.mark.parametrize("name,args,code", SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_check_gives_the_verdict_of_the_run(byzlab, tmp_path, name, args,
                                            code):
    trace = tmp_path / f"{name}.jsonl"
    run = byzlab("run", *args, "--trace", trace)
    assert run.returncode in (0, 1), run.stderr
    if code is not None:
        assert run.returncode == code, run.stdout
    chk = byzlab("check", trace)
    assert chk.returncode == run.returncode, chk.stdout + chk.stderr
    assert verdict_lines(chk.stdout) == verdict_lines(run.stdout)
    assert verdict_lines(run.stdout)[0].startswith(
        "PASS " if run.returncode == 0 else "FAIL ")

    rj = byzlab("run", *args, "--json")
    cj = byzlab("check", "--json", trace)
    assert (rj.returncode, cj.returncode) == (run.returncode,) * 2
    r, c = json.loads(rj.stdout), json.loads(cj.stdout)
    for k in SAME:
        assert r.get(k) == c.get(k), k


def test_the_twins_violation_is_found_from_the_trace(byzlab, tmp_path):
    trace = tmp_path / "t.jsonl"
    byzlab("run", "--byzantine", "0,1", "--attack", "twins", "--gst", "1s",
           "--stop-on-violation", "--trace", trace)
    c = json.loads(byzlab("check", "--json", trace).stdout)
    assert c["verdict"] == "fail" and c["safe"] is False
    assert c["violations"]["agreement"] > 0
    assert c["why"].startswith("agreement: height ")
    assert c["byzantine"] == [0, 1]
    assert c["live"] is None  # stopped at the violation: not judged


def test_options_replace_what_the_trace_says(byzlab, tmp_path):
    trace = tmp_path / "t.jsonl"
    r = byzlab("run", "--loss", "0.1", "--gst", "200ms", "--trace", trace)
    assert r.returncode == 0, r.stdout
    # A bound no run meets: liveness fails, from the trace alone.
    c = byzlab("check", "--json", "--bound", "1us", trace)
    assert c.returncode == 1
    j = json.loads(c.stdout)
    assert j["violations"]["liveness"] > 0 and j["safe"] is True
    assert j["liveness_bound_us"] == 1
    # With a GST after the end of the run, every deadline is after it too.
    c = byzlab("check", "--json", "--bound", "1us", "--gst", "100s", trace)
    assert c.returncode == 0, c.stdout
    assert json.loads(c.stdout)["gst_us"] == 100_000_000

    # Who is Byzantine: with all but one replica left out, no two honest
    # replicas are left to disagree.
    twins = tmp_path / "twins.jsonl"
    byzlab("run", "--byzantine", "0,1", "--attack", "twins", "--gst", "1s",
           "--stop-on-violation", "--trace", twins)
    c = byzlab("check", "--json", "--byzantine", "0,1,2", twins)
    j = json.loads(c.stdout)
    assert j["byzantine"] == [0, 1, 2]
    assert j["violations"]["agreement"] == 0
    assert "  judged   byzantine=0,1,2 " in byzlab(
        "check", "--byzantine", "0,1,2", twins).stdout


def test_help_says_options_override_the_trace(byzlab):
    r = byzlab("check", "--help")
    assert r.returncode == 0
    assert "Usage: byzlab check" in r.stdout
    assert "replace what the trace's run line says" in r.stdout
    for opt in ("--byzantine", "--gst", "--bound", "--json"):
        assert opt in r.stdout


def test_the_trace_begins_with_run_and_ends_with_end(byzlab, tmp_path):
    trace = tmp_path / "t.jsonl"
    # "--byzantine 1" is a count: replica 0.
    byzlab("run", "--byzantine", "1", "--attack", "silent", "--gst", "50ms",
           "--trace", trace)
    lines = [json.loads(l) for l in trace.read_text().splitlines()]
    assert lines[0] == {
        "t": 0, "ev": "run", "protocol": "pbft", "driver": "sim", "n": 4,
        "f": 1, "seed": "1", "requests": 100, "gst_us": 50000,
        "bound_us": lines[0]["bound_us"],
        "faults": "byzantine r0; attacks silent; crashes 0",
        "byzantine": [0], "twins": [], "amnesia": []}
    assert lines[-1] == {"t": lines[-1]["t"], "ev": "end", "stop": "done",
                         "forged": 0}
    assert all(l["ev"] not in ("run", "end") for l in lines[1:-1])


# ---- the CI campaign: every saved failure, and its passing runs ----------

@pytest.fixture(scope="module")
def ci(tmp_path_factory):
    """The CI campaign's results directory."""
    import subprocess
    path = os.environ.get("BYZLAB")
    src = os.environ.get("BYZLAB_SRC")
    if not path or not src:
        pytest.skip("needs BYZLAB and BYZLAB_SRC")
    out = tmp_path_factory.mktemp("ci")
    r = subprocess.run([path, "campaign", os.path.join(src, "campaigns",
                                                       "ci.yaml"),
                        "--out", str(out), "--jobs", "1", "-q", "--force"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def test_check_agrees_with_every_saved_failure_of_ci(byzlab, ci, tmp_path):
    failures = sorted((ci / "failures").glob("*.json"))
    assert failures, "the CI campaign saves its b = f+1 violations"
    traces = tmp_path / "traces"
    traces.mkdir()
    r = byzlab("replay", "-q", "--trace", traces, *failures)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in failures:
        saved = json.loads(f.read_text())
        trace = traces / (saved["id"] + ".jsonl")
        c = byzlab("check", "--json", trace)
        j = json.loads(c.stdout)
        res = saved["result"]
        assert c.returncode == (0 if res["verdict"] == "pass" else 1), f
        for k in ("verdict", "why", "safe", "live", "trace_hash",
                  "accepted", "virtual_us"):
            assert j.get(k) == res.get(k), (f.name, k)


def test_check_agrees_with_the_passing_runs_of_ci(byzlab, ci, tmp_path):
    recs = [json.loads(l) for l in (ci / "runs.jsonl").read_text()
            .splitlines()]
    passing = [r for r in recs if r["verdict"] == "pass"]
    assert len(passing) > 100
    chosen = passing[::4]  # a spread over every cell, protocol and attack
    docs = []
    for rec in chosen:
        doc = {"byzlab_failure": 1, "id": rec["id"], "campaign": "ci",
               "expect": rec["expect"], "scenario": rec["scenario"],
               "result": {"verdict": rec["verdict"],
                          "why": rec.get("why", ""), "safe": rec["safe"],
                          "live": rec["live"],
                          "violation_us": rec.get("violation_us", 0),
                          "trace_hash": rec["trace_hash"],
                          "virtual_us": rec["virtual_us"],
                          "accepted": rec["accepted"]}}
        p = tmp_path / (rec["id"] + ".json")
        p.write_text(json.dumps(doc))
        docs.append(p)
    traces = tmp_path / "traces"
    traces.mkdir()
    r = byzlab("replay", "-q", "--trace", traces, *docs)
    assert r.returncode == 0, r.stdout + r.stderr
    for rec in chosen:
        c = byzlab("check", "--json", traces / (rec["id"] + ".jsonl"))
        assert c.returncode == 0, c.stdout + c.stderr
        j = json.loads(c.stdout)
        for k in ("verdict", "safe", "live", "violations", "trace_hash",
                  "accepted", "requests", "virtual_us", "liveness_bound_us",
                  "trace_lines"):
            assert j[k] == rec[k], (rec["id"], k)


# ---- bad input --------------------------------------------------------------

def good_trace(byzlab, tmp_path):
    trace = tmp_path / "good.jsonl"
    r = byzlab("run", "--requests", "3", "--trace", trace)
    assert r.returncode == 0
    return trace.read_bytes()


@pytest.mark.parametrize("damage,where", [
    (lambda b: b[:len(b) // 2], "the last line has no newline"),
    (lambda b: b.replace(b'"height":', b'"hieght":', 1),
     "commit: field 'height' is missing"),
    (lambda b: b.split(b"\n", 1)[0] + b"\nnot json\n", ":2: not JSON"),
    (lambda b: b.split(b"\n", 1)[1], "the first line must be a run line"),
    (lambda b: b + b'{"t":1,"ev":"crash","replica":1}\n',
     "a line after the end line"),
])
def test_bad_input_exits_2_naming_file_and_line(byzlab, tmp_path, damage,
                                                where):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(damage(good_trace(byzlab, tmp_path)))
    r = byzlab("check", bad)
    assert r.returncode == 2, r.stdout
    assert r.stderr.startswith(f"byzlab check: error: {bad}:"), r.stderr
    line = r.stderr[len(f"byzlab check: error: {bad}:"):].split(":")[0]
    assert line.isdigit() and int(line) >= 1, r.stderr
    assert where in r.stderr
    assert r.stdout == ""


def test_a_trace_cut_after_a_line_fails_as_unfinished(byzlab, tmp_path):
    b = good_trace(byzlab, tmp_path)
    cut = tmp_path / "cut.jsonl"
    lines = b.splitlines(keepends=True)
    cut.write_bytes(b"".join(lines[:len(lines) // 2]))
    r = byzlab("check", cut)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "the trace has no end line" in r.stdout or "liveness" in r.stdout


@pytest.mark.parametrize("args,needle", [
    ([], "no trace file given"),
    (["a.jsonl", "b.jsonl"], "one trace file at a time"),
    (["--gst", "soon", "x.jsonl"], "--gst"),
    (["--frob", "x.jsonl"], "unknown option '--frob'"),
    (["/nonexistent/t.jsonl"], "/nonexistent/t.jsonl: cannot read"),
    (["/"], "/: cannot read: Is a directory"),
])
def test_bad_usage_exits_2(byzlab, args, needle):
    r = byzlab("check", *args)
    assert r.returncode == 2
    assert needle in r.stderr


def test_a_byzantine_list_beyond_n_is_refused(byzlab, tmp_path):
    good_trace(byzlab, tmp_path)
    r = byzlab("check", "--byzantine", "0,9", tmp_path / "good.jsonl")
    assert r.returncode == 2
    assert "byzantine: '0,9' is not a count up to n = 4" in r.stderr


def test_an_interrupted_run_is_judged_as_interrupted(byzlab, tmp_path):
    import signal
    import subprocess
    import time
    trace = tmp_path / "t.jsonl"
    p = subprocess.Popen([os.environ.get("BYZLAB"), "run", "--protocol",
                          "toy", "--requests", "1000000", "--trace",
                          str(trace)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    stdout, _ = p.communicate(timeout=60)
    assert p.returncode == 130
    last = json.loads(trace.read_text().splitlines()[-1])
    assert last["ev"] == "end" and last["stop"] == "interrupted"
    c = byzlab("check", trace)
    # The run exits 130 for the signal; the trace's verdict is a FAIL.
    assert c.returncode == 1
    assert verdict_lines(c.stdout) == verdict_lines(stdout)
    assert "(interrupted)" in c.stdout  # the trace line says how it ended


def test_the_ci_summary_shows_rule_coverage(ci):
    """issue #11 item 5: the summary counts, per safety rule, the runs in
    which it decided something, and names a rule no run exercised."""
    summary = (ci / "summary.md").read_text()
    for proto in ("pbft", "hotstuff"):
        assert f"## Rule coverage: {proto}" in summary
    assert "| `prepared-quorum-2f-1` |" in summary
    assert "| `safe-node-ignores-lock` |" in summary
    # every run of a protocol with mutants records its rules
    import json
    for line in (ci / "runs.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["protocol"] in ("pbft", "hotstuff"):
            assert isinstance(rec["rules"], list)
