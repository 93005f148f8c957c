"""`byzlab selftest` as a user meets it (issue #11): it lists the mutants,
plants one, says whether the campaign caught it and writes the table;
bad options exit 2 with a message."""
import os

SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_help(byzlab):
    r = byzlab("selftest", "--help")
    assert r.returncode == 0
    assert r.stdout.startswith("Usage: byzlab selftest")


def test_the_catalog_has_a_dozen_mutants_per_protocol(byzlab):
    r = byzlab("selftest", "--list")
    assert r.returncode == 0, r.stderr
    rows = [line.split(None, 2) for line in r.stdout.splitlines()]
    for proto in ("pbft", "hotstuff"):
        names = [row[1] for row in rows if row[0] == proto]
        assert len(names) >= 12, names
        assert len(set(names)) == len(names)
    # Every row names the rule it breaks.
    assert all(len(row) == 3 and len(row[2]) > 20 for row in rows)


def test_bad_options_exit_2(byzlab, tmp_path):
    r = byzlab("selftest", "--mutant", "no-such-mutant")
    assert r.returncode == 2
    assert "no-such-mutant" in r.stderr and "--list" in r.stderr
    r = byzlab("selftest", "--protocol", "nope")
    assert r.returncode == 2 and "unknown protocol 'nope'" in r.stderr
    r = byzlab("selftest", "--campaign", str(tmp_path / "missing.yaml"),
               "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "missing.yaml" in r.stderr


def test_a_planted_mutant_is_caught_and_the_baseline_passes(byzlab, tmp_path):
    out = tmp_path / "st"
    r = byzlab("selftest", "--campaign",
               os.path.join(SRC, "campaigns", "ci.yaml"), "--protocol",
               "hotstuff", "--mutant", "quorum-2f", "--out", str(out), "-q",
               "--jobs", "2", timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "hotstuff  (baseline)" in r.stdout and "passes" in r.stdout
    assert "quorum-2f" in r.stdout and "caught after" in r.stdout
    assert "1 mutant(s) tried, 1 caught, 0 escaped" in r.stdout
    table = (out / "selftest.md").read_text()
    assert "| hotstuff | quorum-2f | yes |" in table
    shrunk = list((out / "hotstuff-quorum-2f" / "failures").glob(
        "*.shrunk.json"))
    assert len(shrunk) == 1
    # The shrunk counterexample replays, mutant and all.
    r = byzlab("replay", str(shrunk[0]))
    assert r.returncode == 0 and r.stdout.startswith("reproduced"), r.stdout
