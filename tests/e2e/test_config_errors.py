"""Configuration errors are bad input, found before any run (issue #13 item
4): each protocol declares its limits once (struct byz_limits); its create,
the check every driver makes before a run, and `byzlab run --help` read
them. A configuration outside them exits 2 with a sentence naming the
option and the valid range, never "FAIL ... core failed: invalid argument"
(exit 1) nor "safety broken 100%" in a campaign; a campaign cell that
expands to no runs, or has every replica Byzantine, is an error when the
file is loaded."""
import os
import re

import pytest

SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))


def assert_refused(r, needle):
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert needle in r.stderr, r.stderr
    assert "invalid argument" not in out, out
    assert "FAIL" not in r.stdout and "PASS" not in r.stdout, out
    assert "Traceback" not in out


# The cases of the issue, and their neighbours: (options, message).
RUN_CASES = [
    (["--n", "3"], "--n 3: pbft accepts 4..256"),
    (["--window", "10", "--checkpoint", "16"],
     "--window 10: pbft accepts 32..1024 (at least 2 x --checkpoint 16)"),
    (["--window", "2000"],
     "--window 2000: pbft accepts 32..1024 (at least 2 x --checkpoint 16)"),
    (["--window", "2000", "--checkpoint", "4"],
     "--window 2000: pbft accepts 8..1024 (at least 2 x --checkpoint 4)"),
    (["--protocol", "hotstuff", "--window", "1"],
     "--window 1: hotstuff accepts 4..4096"),
    (["--checkpoint", "600", "--window", "1024"],
     "--checkpoint: '600' is not a whole number from 1 to 512"),
    (["--protocol", "hotstuff", "--n", "7", "--f", "3"],
     "--f 3 needs --n of at least 10"),
    # b = n: every replica Byzantine, nothing left to check.
    (["--byzantine", "4"], "every replica is Byzantine (b = n = 4)"),
    (["--byzantine", "r0,r1,r2,r3"], "every replica is Byzantine (b = n = 4)"),
    (["--protocol", "hotstuff", "--n", "1", "--byzantine", "1"],
     "every replica is Byzantine (b = n = 1)"),
]


@pytest.mark.parametrize("args,needle", RUN_CASES)
def test_run_refuses_a_configuration_outside_the_limits(byzlab, args, needle):
    assert_refused(byzlab("run", *args), needle)
    # With --json too: no result line, the same message.
    r = byzlab("run", "--json", *args)
    assert_refused(r, needle)
    assert r.stdout == ""


def test_every_broken_rule_is_said(byzlab):
    r = byzlab("run", "--n", "3", "--window", "2000", "--checkpoint", "4",
               "--batch", "4")
    assert_refused(r, "--n 3: pbft accepts 4..256; --window 2000: pbft "
                   "accepts 8..1024 (at least 2 x --checkpoint 4)")


def test_the_real_driver_refuses_before_starting_a_process(byzlab, tmp_path):
    out = tmp_path / "run"
    r = byzlab("run", "--driver", "zmq", "--out", out, "--n", "3",
               timeout=60)
    assert_refused(r, "--n 3: pbft accepts 4..256")
    assert not out.exists(), "a run folder was made before the check"
    r = byzlab("run", "--driver", "zmq", "--out", out, "--byzantine", "4",
               timeout=60)
    assert_refused(r, "every replica is Byzantine")
    assert not out.exists()


def test_a_scenario_file_outside_the_limits(byzlab, tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("protocol: hotstuff\nwindow: 1\n")
    assert_refused(byzlab("run", "--scenario", f),
                   "--window 1: hotstuff accepts 4..4096")


def test_a_cluster_file_outside_the_limits(byzlab, tmp_path):
    assert byzlab("keygen", "--n", 4, "--out",
                  tmp_path / "keys").returncode == 0
    tag = f"cfg{os.getpid()}"
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "protocol: pbft\nn: 4\nwindow: 10\ncheckpoint: 16\nclients: 1\n"
        "cluster:\n  keys: keys\n  data: data\n  replicas:\n" +
        "".join(f"    - ipc://@{tag}-r{i}\n" for i in range(4)) +
        f"  clients: [ipc://@{tag}-c0]\n")
    try:
        r = byzlab("cluster", "up", "--cluster", cluster, timeout=60)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "--window 10: pbft accepts 32..1024" in r.stderr, r.stderr
        assert "started" not in r.stdout
    finally:
        byzlab("cluster", "down", "--cluster", cluster, timeout=60)


# ---- campaigns -------------------------------------------------------------

def cell(name, body):
    return f"name: c\ncells:\n  - name: {name}\n{body}    expect: safe\n"


# (cell text, line named, message)
CAMPAIGN_CASES = [
    (cell("five", "    n: 4\n    byzantine: 5\n"), 5,
     "cell 'five': byzantine: '5' at n = 4 (f = 1) gives b = 5"),
    (cell("minus", "    n: 4\n    byzantine: f-2\n"), 5,
     "cell 'minus': byzantine: 'f-2' at n = 4 (f = 1) is -1, not a count"),
    (cell("down", "    n: [4, 7]\n    byzantine: f..0\n"), 5,
     "cell 'down': byzantine: 'f..0' at n = 4 (f = 1) is the empty range "
     "1..0"),
    # b = n: every replica Byzantine.
    (cell("all", "    n: 4\n    byzantine: 4\n"), 5,
     "cell 'all': byzantine: '4' at n = 4 (f = 1) gives b = 4"),
    (cell("all7", "    n: [4, 7]\n    byzantine: 0..f+4\n"), 5,
     "cell 'all7': byzantine: '0..f+4' at n = 4 (f = 1) gives b = 5"),
    (cell("tw", "    n: 4\n    explore: twins\n"), 3,
     "cell 'tw' expands to no runs (Twins needs at least one Byzantine"),
    # The run cases, as cells: every run is checked at load.
    (cell("three", "    protocol: pbft\n    n: 3\n"), 3,
     "cell 'three' run three-pbft-n3-b0-a0-s1: --n 3: pbft accepts 4..256"),
    (cell("wk", "    window: 10\n    checkpoint: 16\n"), 3,
     "cell 'wk' run wk-pbft-n4-b0-a0-s1: --window 10: pbft accepts "
     "32..1024 (at least 2 x --checkpoint 16)"),
    (cell("w", "    protocol: [hotstuff, pbft]\n    window: 2000\n"
          "    seeds: 3\n"), 3,
     "cell 'w' run w-pbft-n4-b0-a0-s1: --window 2000: pbft accepts "
     "32..1024"),
    # A good cell first: the bad run is found after its runs.
    (cell("hs", "    protocol: [pbft, hotstuff]\n    window: 4\n"
          "    checkpoint: 2\n    n: [4, 7]\n    byzantine: 0..f\n"
          "    seeds: 2\n    expect: safe\n  - name: hs1\n"
          "    protocol: hotstuff\n    window: 1\n"), 11,
     "cell 'hs1' run hs1-hotstuff-n4-b0-a0-s1: --window 1: hotstuff "
     "accepts 4..4096"),
]


@pytest.mark.parametrize("text,line,what", CAMPAIGN_CASES)
def test_a_campaign_is_checked_whole_before_any_run(byzlab, tmp_path, text,
                                                    line, what):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    out = tmp_path / "out"
    r = byzlab("campaign", p, "--out", out, "-q")
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{p}:{line}: {what}" in r.stderr, r.stderr
    assert "every expectation held" not in r.stdout
    assert not (out / "runs.jsonl").exists(), "a run ran"
    r = byzlab("campaign", p, "--list")
    assert r.returncode == 2 and what in r.stderr, r.stderr


def test_a_range_from_below_zero_starts_at_zero(byzlab, tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(cell("low", "    n: [4, 7]\n    byzantine: f-1..f\n"))
    r = byzlab("campaign", p, "--list")
    assert r.returncode == 0, r.stderr
    ids = re.findall(r"low-pbft-n(\d+)-b(\d+)", r.stdout)
    assert sorted(set(ids)) == [("4", "0"), ("4", "1"), ("7", "1"),
                                ("7", "2")]


@pytest.mark.parametrize("name", ["ci.yaml", "threshold.yaml", "real.yaml"])
def test_the_shipped_campaigns_still_load(byzlab, name):
    r = byzlab("campaign", os.path.join(SRC, "campaigns", name), "--list")
    assert r.returncode == 0, r.stderr


# ---- one source for the limits ---------------------------------------------

def help_limits(byzlab):
    """The Limits table of `byzlab run --help`: {protocol: {option: text}}."""
    r = byzlab("run", "--help")
    assert r.returncode == 0
    lines = r.stdout.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Limits"))
    head = next(i for i in range(start, len(lines))
                if lines[i].split()[:1] == ["protocol"])
    cols = re.split(r"\s{2,}", lines[head].strip())
    table = {}
    for l in lines[head + 1:]:
        if not l.startswith("  ") or l.startswith("  Every"):
            break
        cells = re.split(r"\s{2,}", l.strip())
        assert len(cells) == len(cols), l
        table[cells[0]] = dict(zip(cols[1:], cells[1:]))
    return table


def test_help_and_docs_state_the_same_limits(byzlab):
    table = help_limits(byzlab)
    assert set(table) >= {"pbft", "hotstuff", "toy"}
    assert table["pbft"]["--window"] == "2 x --checkpoint..1024"
    assert "4096" not in table["pbft"]["--window"]
    text = open(os.path.join(SRC, "docs", "scenarios.md"),
                encoding="utf-8").read()
    rows = {}
    for l in text.split("## Limits", 1)[1].split("\n"):
        if l.startswith("| ") and not l.startswith("| protocol"):
            cells = [c.strip().strip("`") for c in l.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    assert rows, "docs/scenarios.md has no limits table"
    assert set(rows) == set(table)
    for proto in table:
        assert rows[proto] == [table[proto][o] for o in (
            "--n", "--window", "--checkpoint", "--batch",
            "--f counts")], proto


def test_help_states_the_limits_the_cores_enforce(byzlab):
    """Each range the help prints is what a run is refused outside of (with
    the message naming it), so the two cannot drift apart."""
    table = help_limits(byzlab)
    for proto in ("pbft", "hotstuff", "toy"):
        for opt, text in table[proto].items():
            m = re.fullmatch(r"(\d+)\.\.(\d+)", text)
            if not m:
                continue
            lo, hi = int(m.group(1)), int(m.group(2))
            args = ["--protocol", proto]
            if opt == "--checkpoint":
                args += ["--window", str(min(2 * (hi + 1), 4096))]
            if opt == "--window":
                args += ["--checkpoint", "1"]
            # The field table's own bounds (the widest any protocol
            # takes) come first past these ends.
            wide = {"--n": 256, "--window": 4096, "--checkpoint": 512,
                    "--batch": 256}
            if hi < wide[opt]:
                r = byzlab("run", *args, opt, hi + 1)
                assert_refused(r, f"{opt} {hi + 1}: {proto} accepts {text}")
            if lo > 1:
                r = byzlab("run", *args, opt, lo - 1)
                assert_refused(r, f"{opt} {lo - 1}: {proto} accepts")
    m = re.fullmatch(r"(\d+) x --checkpoint\.\.(\d+)",
                     table["pbft"]["--window"])
    k, hi = int(m.group(1)), int(m.group(2))
    r = byzlab("run", "--window", hi + 1, "--checkpoint", 4)
    assert_refused(r, f"--window {hi + 1}: pbft accepts {4 * k}..{hi}")
    r = byzlab("run", "--window", 4 * k - 1, "--checkpoint", 4)
    assert_refused(r, f"--window {4 * k - 1}: pbft accepts {4 * k}..{hi}")
