"""`byzlab campaign --junit FILE` (issue #15 item 4): a campaign's results as
JUnit XML, a suite per cell, a test per (protocol, n, b) of the cell judged
as the threshold table judges it, and a test per failure file (failing when
the run missed its expectation, passing when its violation was expected),
with the replay command."""
import os
import xml.etree.ElementTree as ET

CAMPAIGN = """\
name: j&<test>
defaults:
  clients: 2
  requests: 2
cells:
  - name: held
    protocol: [pbft, hotstuff]
    n: 4
    byzantine: 0..f
    attacks: [drop:p=0.1]
    seeds: 1..2
    expect: safe
  - name: beyond
    protocol: pbft
    n: 4
    byzantine: f+1
    attacks: [equivocate]
    seeds: 1..2
    expect: violation-found
  - name: wrong
    protocol: pbft
    n: 4
    byzantine: f+1
    attacks: [equivocate]
    seeds: 1
    expect: safe
"""


def test_junit_has_a_suite_per_cell_and_fails_what_missed(byzlab, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text(CAMPAIGN)
    out, xml = tmp_path / "out", tmp_path / "report.xml"
    r = byzlab("campaign", f, "--out", out, "-q", "--no-shrink", "--junit",
               xml)
    assert r.returncode == 1, r.stdout + r.stderr
    root = ET.parse(xml).getroot()
    assert root.tag == "testsuites"
    assert root.get("name") == "j&<test>"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["held", "beyond", "wrong"]
    # held: protocols x b = 0, 1, every one passing
    held = suites["held"].findall("testcase")
    assert len(held) == 4 and all(not list(t) for t in held)
    assert suites["held"].get("failures") == "0"
    # beyond: its violation was expected: the group and both failure
    # files pass, and each failure test says how to replay it
    beyond = suites["beyond"].findall("testcase")
    assert len(beyond) == 3
    assert not any(t.find("failure") is not None for t in beyond)
    outs = [t.find("system-out").text for t in beyond
            if t.find("system-out") is not None]
    assert len(outs) == 2 and all("byzlab replay " in o for o in outs)
    assert all("agreement" in o for o in outs)
    # wrong: expected safe, broken: the group and the run fail
    wrong = suites["wrong"].findall("testcase")
    fails = [t.find("failure") for t in wrong]
    assert all(x is not None for x in fails)
    assert fails[0].get("message") == "1 of 1 runs missed the expectation"
    assert fails[1].get("type") == "safety"
    assert root.get("tests") == "9" and root.get("failures") == "2"
    # the replay command works as written
    cmd = [o for o in outs][0].split("replay: byzlab replay ")[1].strip()
    rep = byzlab("replay", cmd)
    assert rep.returncode == 0, rep.stdout + rep.stderr


def test_a_junit_target_that_is_not_a_regular_file_is_refused_first(
        byzlab, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text(CAMPAIGN)
    r = byzlab("campaign", f, "--out", tmp_path / "out", "--junit", tmp_path)
    assert r.returncode == 2
    assert "--junit:" in r.stderr and "is a directory" in r.stderr
    assert not (tmp_path / "out" / "runs.jsonl").exists()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = byzlab("campaign", f, "--out", tmp_path / "out", "--junit", fifo)
    assert r.returncode == 2 and "FIFO" in r.stderr


def test_merge_writes_the_junit_of_the_merged_shards(byzlab, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text(CAMPAIGN)
    whole = tmp_path / "whole.xml"
    r = byzlab("campaign", f, "--out", tmp_path / "all", "-q", "--no-shrink",
               "--junit", whole)
    assert r.returncode == 1, r.stdout + r.stderr
    for k in (1, 2):
        r = byzlab("campaign", f, "--out", tmp_path / f"s{k}", "-q",
                   "--no-shrink", "--shard", f"{k}/2")
        assert r.returncode in (0, 1), r.stdout + r.stderr
    merged = tmp_path / "merged.xml"
    r = byzlab("campaign", "--merge", tmp_path / "s1", tmp_path / "s2",
               "--out", tmp_path / "m", "-q", "--junit", merged)
    assert r.returncode == 1, r.stdout + r.stderr

    def cases(path):
        root = ET.parse(path).getroot()
        return root.get("name"), sorted(
            (s.get("name"), t.get("name"), t.find("failure") is not None)
            for s in root.findall("testsuite")
            for t in s.findall("testcase"))
    # the same tests, passing and failing alike, as one campaign's
    assert cases(merged) == cases(whole)
    assert cases(merged)[0] == "j&<test>"


def test_merge_checks_the_junit_target_first(byzlab, tmp_path):
    r = byzlab("campaign", "--merge", tmp_path / "a", "--out",
               tmp_path / "m", "--junit", tmp_path)
    assert r.returncode == 2
    assert "--junit" in r.stderr
    assert not (tmp_path / "m").exists()
