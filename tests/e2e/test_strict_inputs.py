"""Every reader is strict (issue #13, item 6): failure files, scenario files,
attack texts and lists refuse wrong types, missing fields, duplicates, empty
items, unknown values and numbers that are not plain decimals, naming the
file (and line) and the field, and the command exits 2. Each case here was
accepted before."""
import copy
import json

import pytest

# A cell whose runs break safety while expecting it kept: each run writes a
# failure file (a couple of milliseconds of simulation).
CAMPAIGN = """\
name: strict
defaults:
  clients: 2
  requests: 3
  gst: 200ms
cells:
  - name: beyond
    protocol: pbft
    n: 4
    byzantine: f+1
    attacks: [twins]
    seeds: 3
    stop_on_violation: true
    expect: safe
"""


@pytest.fixture(scope="module")
def failure(byzlab, tmp_path_factory):
    """A failure file written by this byzlab, as a dict."""
    d = tmp_path_factory.mktemp("strict")
    camp = d / "c.yaml"
    camp.write_text(CAMPAIGN)
    r = byzlab("campaign", camp, "--out", d / "out", "-q", "--jobs", "1")
    assert r.returncode == 1, r.stdout + r.stderr
    files = sorted((d / "out" / "failures").glob("*.json"))
    assert files, r.stdout + r.stderr
    doc = json.loads(files[0].read_text())
    r = byzlab("replay", files[0])
    assert r.returncode == 0, r.stdout + r.stderr
    return doc


def write(tmp_path, doc, name="f.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return p


def refused(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    for w in words:
        assert w in r.stderr, (w, r.stderr)


def test_the_written_failure_reads(byzlab, failure, tmp_path):
    # the base of the cases below is good: a change of one field breaks it
    r = byzlab("replay", write(tmp_path, failure))
    assert r.returncode == 0, r.stdout + r.stderr


def change(doc, path, value):
    d = copy.deepcopy(doc)
    *parents, last = path
    o = d
    for k in parents:
        o = o[k]
    if value is DELETE:
        del o[last]
    else:
        o[last] = value
    return d


class _Delete:
    def __repr__(self):
        return "missing"


DELETE = _Delete()

# (where, new value, words the error must contain besides the file name)
BAD_FAILURES = [
    # the cases
    (("scenario", "n"), "4", ["scenario: n: expected a whole number",
                              "found a string"]),
    (("scenario", "requests"), DELETE, ["scenario: requests is missing"]),
    (("scenario", "gst_us"), DELETE, ["scenario: gst_us is missing"]),
    (("scenario", "crashes"), DELETE, ["scenario: crashes is missing"]),
    (("result", "why"), DELETE, ['result: "why" is missing']),
    (("result", "live"), DELETE, ['result: "live" is missing']),
    (("result", "accepted"), DELETE, ['result: "accepted" is missing']),
    (("scenario", "byzantine"), [0, 0],
     ["scenario: byzantine: replica 0 is listed twice"]),
    (("result", "verdict"), "bogus",
     ["result: \"verdict\": 'bogus' is not pass, fail or error"]),
    # wrong types
    (("scenario", "seed"), "2", ["scenario: seed: expected a whole number",
                                 "found a string"]),
    (("scenario", "gst_us"), "200000",
     ["scenario: gst_us: expected a whole number of microseconds"]),
    (("scenario", "byzantine"), ["0", 1],
     ["scenario: byzantine[0]: expected a replica"]),
    (("scenario", "crashes"), [{"replica": "1", "at_us": 5000,
                                "restart_at_us": 0, "keep_state": True}],
     ["scenario: crashes[0].replica: expected a replica"]),
    (("result", "live"), "yes",
     ['result: "live": expected true, false or null']),
    (("result", "violation_us"), -1,
     ['result: "violation_us": expected a whole number']),
    (("result", "trace_hash"), "abc",
     ["result: \"trace_hash\": 'abc' is not 64 lowercase hex digits"]),
    (("campaign",), 5, ['"campaign": expected a string']),
    (("shrink_steps",), 5, ['"shrink_steps": expected a string']),
    # unknown fields and values
    (("extra",), 1, ['unknown field "extra"']),
    (("result", "extra"), 1, ['result: unknown field "extra"']),
    (("scenario", "crashes"), [{"replica": 1, "at_us": 5000,
                                "restart_at_us": 0, "keep_state": True,
                                "fresh": True}],
     ["scenario: crashes[0]: unknown field 'fresh'"]),
    (("scenario", "crashes"), [{"replica": 1, "at_us": 5000,
                                "restart_at_us": 4000, "keep_state": True}],
     ["scenario: crashes[0]: restart_at_us 4000 is not after at_us 5000"]),
    (("expect",), "safe+bogus", ["\"expect\": 'safe+bogus' is not an"]),
    (("id",), "../../x", ["\"id\": '../../x' is not a run id"]),
    (("shrunk_from",), {"n": 4}, ["shrunk_from: f is missing"]),
    # attack texts inside
    (("scenario", "attacks"), ["drop:p=0.1,p=0.2"],
     ['scenario: attacks[0]: attack \'drop:p=0.1,p=0.2\': drop: parameter '
      '"p" given twice']),
    (("scenario", "attacks"), ["partition:groups=0|1|2|3||||"],
     ["an empty group"]),
]


@pytest.mark.parametrize("where,value,words", BAD_FAILURES,
                         ids=[".".join(c[0]) + "=" + repr(c[1])[:20]
                              for c in BAD_FAILURES])
def test_bad_failure_files_are_refused(byzlab, failure, tmp_path, where,
                                       value, words):
    p = write(tmp_path, change(failure, where, value))
    for cmd in ("replay", "shrink"):
        r = byzlab(cmd, p)
        refused(r, str(p), *words)
    # --scenario reads a failure file as strictly
    r = byzlab("run", "--scenario", p)
    refused(r, str(p), *words)


def test_older_failure_files_still_read(byzlab, failure, tmp_path):
    # Written before max_events existed; a seed above 2^63 - 1 is a
    # string; a run that could not start has no trace hash.
    old = change(failure, ("scenario", "max_events"), DELETE)
    r = byzlab("replay", write(tmp_path, old))
    assert r.returncode == 0, r.stdout + r.stderr
    big = change(failure, ("scenario", "seed"), str(2**64 - 1))
    r = byzlab("replay", write(tmp_path, big, "big.json"))
    assert r.returncode in (0, 1), r.stdout + r.stderr
    err = change(change(failure, ("result", "trace_hash"), ""),
                 ("result", "verdict"), "error")
    r = byzlab("replay", write(tmp_path, err, "err.json"))
    assert r.returncode == 1, r.stdout + r.stderr  # read; not reproduced
    assert "NOT REPRODUCED" in r.stdout


def test_json_scenario_files_are_strict(byzlab, failure, tmp_path):
    sc = failure["scenario"]
    # a bare scenario object reads (every field given)
    r = byzlab("run", "--scenario", write(tmp_path, sc, "s.json"))
    assert r.returncode == 1, r.stdout + r.stderr  # twins at f+1: unsafe
    # a key twice
    text = json.dumps(sc)[:-1] + ', "n": 7}'
    p = write(tmp_path, text, "dup.json")
    refused(byzlab("run", "--scenario", p), str(p), "duplicate")
    # wrong types (a scenario file may leave fields out: their defaults)
    p = write(tmp_path, change(sc, ("n",), "4"), "type.json")
    refused(byzlab("run", "--scenario", p), str(p), "n: expected a whole")
    p = write(tmp_path, {"protocol": "pbft", "byzantine": [1, 1]}, "b.json")
    refused(byzlab("run", "--scenario", p), str(p),
            "byzantine: replica 1 is listed twice")
    p = write(tmp_path, {"protocol": "pbft", "timeout_us": "20000"},
              "t.json")
    refused(byzlab("run", "--scenario", p), str(p),
            "timeout_us: expected a whole number of microseconds above 0")
    # a record holding a scenario (runs.jsonl's)
    p = write(tmp_path, {"id": "x", "scenario": change(sc, ("n",), "4")},
              "rec.json")
    refused(byzlab("run", "--scenario", p), str(p), "scenario: n: expected")


# ---- texts: the command line, scenario files, campaign files -------------

BAD_OPTIONS = [
    # the cases
    (["--byzantine", ","], "--byzantine: ',' has an empty item"),
    (["--byzantine", "0,,1"], "--byzantine: '0,,1' has an empty item"),
    (["--attack", "partition:groups=0|1|2|3||||"], "an empty group"),
    (["--loss", "0x1p-1"], "--loss: '0x1p-1' is not a probability"),
    # more empty items
    (["--byzantine", "r0,"], "has an empty item"),
    (["--byzantine", ",r1"], "has an empty item"),
    (["--leaders", "r1,,r0"], "--leaders: 'r1,,r0' has an empty item"),
    (["--leaders", "r1,"], "has an empty item"),
    (["--attack", "drop:"], "drop: an empty parameter"),
    (["--attack", "drop:p=0.1,"], "drop: an empty parameter"),
    (["--attack", "partition:groups=0++1|2+3"], "'' is not a replica"),
    (["--crash", "2@100ms,"], "has an empty part"),
    (["--crash", "2@100,,restart@400"], "has an empty part"),
    # duplicates
    (["--byzantine", "r0,r0"], "lists replica 0 twice"),
    (["--attack", "drop:p=0.1,p=0.2"], 'drop: parameter "p" given twice'),
    (["--attack", "partition:groups=0|0"], "replica 0 is in two groups"),
    (["--byzantine", "r1", "--attack", "mutate:to=2+2"],
     "replica 2 is named twice"),
    (["--crash", "2@100,restart@200,restart@300"], "gives restart@ twice"),
    (["--crash", "2@100,restart@200,fresh,fresh"], "gives fresh twice"),
    # a part that does nothing
    (["--crash", "2@100ms,fresh"], "fresh applies only with restart@"),
    # numbers that are not plain decimals
    (["--loss", "5e-1"], "--loss: '5e-1' is not a probability"),
    (["--loss", "inf"], "--loss: 'inf' is not a probability"),
    (["--loss", "+0.5"], "--loss: '+0.5' is not a probability"),
    (["--gst", "1e3ms"], "--gst: '1e3ms' is not a duration"),
    (["--gst", "0x10ms"], "--gst: '0x10ms' is not a duration"),
    (["--attack", "drop:p=1e-1"], 'bad value "1e-1" for p'),
    (["--attack", "drop:from=1e1ms"], 'bad value "1e1ms" for from'),
    (["--attack", "delay:dist=pareto,alpha=2e0"], 'bad value "2e0" for alpha'),
]


@pytest.mark.parametrize("args,words", BAD_OPTIONS,
                         ids=[" ".join(c[0]) for c in BAD_OPTIONS])
def test_bad_options_are_refused(byzlab, args, words):
    refused(byzlab("run", "--requests", "2", *args), words)


def test_other_commands_are_strict(byzlab, tmp_path):
    t = tmp_path / "t.jsonl"
    assert byzlab("run", "--requests", "2", "--trace", t).returncode == 0
    assert byzlab("check", "--byzantine", "r1", t).returncode == 0
    refused(byzlab("check", "--byzantine", "0,,1", t),
            "byzantine: '0,,1' has an empty item")
    refused(byzlab("check", "--gst", "1e3", t), "--gst: '1e3' is not a")
    refused(byzlab("check", "--bound", "0x10ms", t), "--bound: '0x10ms'")
    refused(byzlab("bench", "--seconds", "1e0"), "--seconds: '1e0'")


@pytest.mark.parametrize("line,words", [
    ("loss: 0x1p-1", "s.yaml:3: loss: '0x1p-1' is not a probability"),
    ("loss: 1e-1", "s.yaml:3: loss: '1e-1' is not a probability"),
    ("gst: 1e2ms", "s.yaml:3: gst: '1e2ms' is not a duration"),
    ('byzantine: "0,,1"', "s.yaml:3: byzantine: '0,,1' has an empty item"),
    ("byzantine: [0, 0]", "s.yaml:3: byzantine: 'r0,r0' lists replica 0 "
                          "twice"),
    ('attacks: ["drop:p=0.1,p=0.2"]',
     's.yaml:3: attacks \'drop:p=0.1,p=0.2\': drop: parameter "p" given '
     'twice'),
    ("crashes: [\"1@10ms,\"]", "s.yaml:3: crash: '1@10ms,' has an empty"),
])
def test_scenario_files_are_strict(byzlab, tmp_path, line, words):
    p = tmp_path / "s.yaml"
    p.write_text("protocol: pbft\nrequests: 2\n" + line + "\n")
    r = byzlab("run", "--scenario", p)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert str(tmp_path / words) in r.stderr, r.stderr


@pytest.mark.parametrize("item,words", [
    ("protocol: [pbft, pbft]", "c.yaml:5: protocol: 'pbft' is listed twice"),
    ("n: [4, 7, 4]", "c.yaml:5: n: '4' is listed twice"),
    ("byzantine: [0, 0]", "c.yaml:5: byzantine: '0' is listed twice"),
    ("expect: [safe, safe]", "c.yaml:5: expect: 'safe' is listed twice"),
    ('attacks: ["drop:p=0.1,p=0.2"]', 'parameter "p" given twice'),
    ('attacks: ["partition:groups=0|1||"]', "an empty group"),
])
def test_campaign_lists_are_strict(byzlab, tmp_path, item, words):
    p = tmp_path / "c.yaml"
    text = "name: c\ncells:\n  - name: a\n    seeds: 1\n    " + item + "\n"
    if not item.startswith("protocol"):
        text += "    protocol: pbft\n"
    p.write_text(text)
    r = byzlab("campaign", p, "--list")
    assert r.returncode == 2, (r.stdout, r.stderr, text)
    assert words in r.stderr, r.stderr
