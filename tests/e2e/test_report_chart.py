"""`byzlab report chart`: message sequence charts of failures and traces
(docs/reports.md), and the chart a campaign writes beside each shrunk
failure. Every chart must parse as XML; the checks read the classes and
ids the chart documents (bzc-lane, bzc-byz, bzc-msg, bzc-conflict, ...).
"""
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(SRC, "tests", "corpus", "failure")
SVG = "{http://www.w3.org/2000/svg}"


def corpus(tmp_path, name):
    dst = tmp_path / name
    shutil.copy(os.path.join(CORPUS, name), dst)
    return dst


def parse(path_or_text):
    if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("<"):
        root = ET.fromstring(path_or_text)
    else:
        root = ET.parse(path_or_text).getroot()
    assert root.tag == SVG + "svg"
    return root


def groups(root, cls):
    return [g for g in root.iter(SVG + "g")
            if cls in g.get("class", "").split()]


def texts(el):
    return "".join(el.itertext())


def header(root, cls):
    (t,) = [t for t in root.iter(SVG + "text") if t.get("class") == cls]
    return t.text


def lanes(root):
    return {g.get("data-node"): g.get("class").split()
            for g in groups(root, "bzc-lane")}


@pytest.mark.parametrize("name,label", [
    ("ok-beyond-pbft.json", r"^(pre-prepare|prepare|commit) v=\d+ n=\d+"),
    ("ok-beyond-hotstuff.json", r"^(proposal|vote) v=\d+ b="),
])
def test_chart_of_an_agreement_violation(byzlab, tmp_path, name, label):
    f = corpus(tmp_path, name)
    doc = json.loads(f.read_text())
    out = tmp_path / "chart.svg"
    r = byzlab("report", "chart", f, "--out", out)
    assert r.returncode == 0, r.stderr
    root = parse(out)
    sc = doc["scenario"]
    ls = lanes(root)
    # a lane for every replica, every twin instance and every client
    want = set()
    for i in range(sc["n"]):
        want.add(f"r{i}")
        if i in sc["byzantine"] and any(a.startswith("twins")
                                        for a in sc["attacks"]):
            want.add(f"r{i}t")
    want |= {f"c{c}" for c in range(sc["clients"])}
    assert set(ls) == want
    # Byzantine replicas and twins shaded, honest ones not
    for node, cls in ls.items():
        byz = node.startswith("r") and (node.endswith("t") or
                                        int(node[1:]) in sc["byzantine"])
        assert ("bzc-byz" in cls) == byz, (node, cls)
        if byz:
            lane = [g for g in groups(root, "bzc-lane")
                    if g.get("data-node") == node][0]
            assert lane.find(SVG + "rect") is not None
    # arrows labelled with view and sequence (from the frames themselves)
    msgs = groups(root, "bzc-msg")
    assert 0 < len(msgs) <= 300
    labels = [m.find(SVG + "text").text for m in msgs]
    assert any(re.match(label, t) for t in labels), labels[:20]
    # the conflicting commits, highlighted, with ids of the prefix
    conf = groups(root, "bzc-conflict")
    assert len(conf) >= 2
    assert all(re.fullmatch(r"c-conflict-\d+", g.get("id")) for g in conf)
    heights = {re.search(r"commit h=(\d+)", texts(g)).group(1) for g in conf}
    assert len(heights) == 1
    reqs = {re.search(r"c\d+/t\d+", texts(g)).group(0) for g in conf}
    assert len(reqs) == 2, reqs  # two different requests at one height
    # the violation (its time) is inside the window the header states
    vio = doc["result"]["violation_us"]
    assert any(int(g.get("data-t")) == vio for g in conf)
    w = header(root, "bzc-window")
    m = re.search(r"t ([\d.]+) ms to ([\d.]+) ms", w)
    assert float(m.group(1)) * 1000 <= vio <= float(m.group(2)) * 1000 + 1, w
    assert "first conflicting commit" in w
    assert doc["result"]["why"] in header(root, "bzc-verdict")
    assert "NOT the saved run" not in header(root, "bzc-verdict")


def test_a_long_run_is_windowed_around_the_violation(byzlab, tmp_path):
    f = corpus(tmp_path, "ok-multi-tamper.json")
    vio = json.loads(f.read_text())["result"]["violation_us"]
    r = byzlab("report", "chart", f, "--out", "-", "--max-arrows", "40",
               "--after", "4")
    assert r.returncode == 0, r.stderr
    root = parse(r.stdout)
    assert len(groups(root, "bzc-msg")) == 40
    w = header(root, "bzc-window")
    m = re.search(r"messages ([\d,]+)-([\d,]+) of ([\d,]+); "
                  r"t ([\d.]+) ms to ([\d.]+) ms", w)
    assert m, w
    lo, hi, total = (int(m.group(k).replace(",", "")) for k in (1, 2, 3))
    assert hi - lo + 1 == 40 and total > 1000 and hi < total
    assert float(m.group(4)) * 1000 <= vio <= float(m.group(5)) * 1000
    assert any(int(g.get("data-t")) == vio
               for g in groups(root, "bzc-conflict"))
    elided = header(root, "bzc-elided")
    assert re.search(r"before the window [\d,]+ messages", elided)
    assert re.search(r"after it [\d,]+ messages", elided)
    # ids carry the prefix asked for; markers are referenced by it
    r = byzlab("report", "chart", f, "--out", "-", "--max-arrows", "10",
               "--id-prefix", "fail7")
    root = parse(r.stdout)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert ids and all(i.startswith("fail7") for i in ids)
    assert "url(#fail7-arrow-" in r.stdout


def test_tampering_rejections_and_crashes_are_marked(byzlab, tmp_path):
    # a failure file is a scenario to replay: this one tampers and crashes
    doc = json.loads(open(os.path.join(CORPUS, "ok-beyond-pbft.json")).read())
    doc["scenario"].update(byzantine=[], attacks=["tamper:p=0.3"],
                           stop_on_violation=False, requests=2, clients=2,
                           crashes=[{"replica": 3, "at_us": 3000,
                                     "restart_at_us": 9000,
                                     "keep_state": True}])
    f = tmp_path / "tamper.json"
    f.write_text(json.dumps(doc))
    r = byzlab("report", "chart", f, "--max-arrows", "1000")
    assert r.returncode == 0, r.stderr
    root = parse(tmp_path / "tamper.svg")  # the default: beside FILE
    tampered = groups(root, "bzc-tampered")
    assert tampered
    # a tampered frame fails its signature at ingress
    assert all("bzc-reject" in g.get("class").split() for g in tampered)
    assert all(re.search(r"rejected [\d.]+ ms \([a-z-]+\)", texts(g))
               for g in tampered)
    assert any("bad-signature" in texts(g) for g in tampered)
    assert len(groups(root, "bzc-crash")) == 1
    assert len(groups(root, "bzc-restart")) == 1
    assert groups(root, "bzc-commit") and not groups(root, "bzc-conflict")
    assert groups(root, "bzc-view") and groups(root, "bzc-timer")
    # the replay is not the saved run (its scenario was changed): said
    assert "NOT the saved run" in header(root, "bzc-verdict")
    assert not any("bzc-byz" in c for c in lanes(root).values())


def test_chart_from_a_trace(byzlab, tmp_path):
    t = tmp_path / "run.jsonl"
    r = byzlab("run", "--byzantine", "2", "--attack", "twins",
               "--stop-on-violation", "--requests", "3", "--trace", t)
    assert r.returncode == 1, r.stdout + r.stderr
    r = byzlab("report", "chart", t)
    assert r.returncode == 0, r.stderr
    root = parse(tmp_path / "run.svg")
    assert set(lanes(root)) == {"r0", "r0t", "r1", "r1t", "r2", "r3",
                                "c0", "c1", "c2", "c3"}
    msgs = groups(root, "bzc-msg")
    assert msgs
    # message types only: the trace has no views or sequence numbers
    labels = {m.find(SVG + "text").text for m in msgs}
    assert "prepare" in labels or "pre-prepare" in labels, labels
    assert not any("v=" in x for x in labels)
    assert len(groups(root, "bzc-conflict")) >= 2
    assert "run.jsonl" in header(root, "bzc-title")


def test_bad_input_exits_2_naming_the_file(byzlab, tmp_path):
    nj = tmp_path / "notjson.json"
    nj.write_text("this is not json\n")
    r = byzlab("report", "chart", nj)
    assert r.returncode == 2
    assert "notjson.json" in r.stderr and "not JSON" in r.stderr

    other = tmp_path / "other.json"
    other.write_text('{"a": 1}\n')
    r = byzlab("report", "chart", other)
    assert r.returncode == 2 and "neither a failure file" in r.stderr

    # a trace cut short: its last line without a newline
    full = tmp_path / "t.jsonl"
    assert byzlab("run", "--requests", "1", "--trace", full).returncode == 0
    cut = tmp_path / "cut.jsonl"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) - 20])
    r = byzlab("report", "chart", cut)
    assert r.returncode == 2, r.stderr
    assert re.search(r"cut\.jsonl:\d+:", r.stderr), r.stderr
    assert not (tmp_path / "cut.svg").exists()

    # a failure file with a field of the wrong type
    doc = json.loads(open(os.path.join(CORPUS, "ok-beyond-pbft.json")).read())
    doc["scenario"]["n"] = "four"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = byzlab("report", "chart", bad)
    assert r.returncode == 2
    assert "bad.json" in r.stderr and "n" in r.stderr, r.stderr
    assert not (tmp_path / "bad.svg").exists()

    r = byzlab("report", "chart", tmp_path / "missing.json")
    assert r.returncode == 2 and "missing.json" in r.stderr

    r = byzlab("report", "chart")
    assert r.returncode == 2 and "FILE is missing" in r.stderr
    r = byzlab("report", "chart", bad, "--max-arrows", "0")
    assert r.returncode == 2 and "--max-arrows" in r.stderr
    r = byzlab("report", "chart", bad, "--bogus")
    assert r.returncode == 2 and "--bogus" in r.stderr
    r = byzlab("report", "chart", "--help")
    assert r.returncode == 0 and "Usage: byzlab report chart" in r.stdout


def test_an_output_that_cannot_be_written_exits_3(byzlab, tmp_path):
    f = corpus(tmp_path, "ok-beyond-pbft.json")
    d = tmp_path / "adir"
    d.mkdir()
    r = byzlab("report", "chart", f, "--out", d)
    assert r.returncode == 3, r.stderr
    assert "adir" in r.stderr
    r = byzlab("report", "chart", f, "--out", tmp_path / "no" / "x.svg")
    assert r.returncode == 3, r.stderr


CAMPAIGN = """
name: chart
driver: sim
defaults:
  clients: 4
  requests: 4
  batch: 4
  gst: 300ms
  max_time: 60s
cells:
  - name: beyond
    protocol: pbft
    n: 4
    byzantine: f+1
    attacks: [twins]
    seeds: 1
    stop_on_violation: true
    shrink: true
    expect: violation-found
"""


def test_a_campaign_writes_a_chart_beside_each_shrunk_failure(byzlab,
                                                              tmp_path):
    camp = tmp_path / "c.yaml"
    camp.write_text(CAMPAIGN)
    out = tmp_path / "out"
    r = byzlab("campaign", camp, "--out", out, "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    fails = out / "failures"
    (shrunk,) = fails.glob("*.shrunk.json")
    svg = shrunk.with_suffix(".svg")
    assert svg.exists(), sorted(os.listdir(fails))
    root = parse(svg)
    assert len(groups(root, "bzc-conflict")) >= 2
    # only the shrunk failure gets one
    assert sorted(p.name for p in fails.glob("*.svg")) == [svg.name]
    # the readers of failures/ pass the chart by: replay, --resume
    r = byzlab("replay", "-q", *sorted(fails.glob("*.json")))
    assert r.returncode == 0, r.stdout + r.stderr
    # a chart lost (interrupted before it was drawn) is drawn on --resume
    svg.unlink()
    r = byzlab("campaign", camp, "--out", out, "-q", "--resume")
    assert r.returncode == 0, r.stdout + r.stderr
    assert svg.exists()
    # --force starts again without the old charts
    r = byzlab("campaign", camp, "--out", out, "-q", "--force")
    assert r.returncode == 0 and svg.exists()
    # --merge copies it along
    merged = tmp_path / "merged"
    r = byzlab("campaign", "--merge", out, "--out", merged, "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (merged / "failures" / svg.name).exists()


def test_the_committed_example_is_current(byzlab, tmp_path):
    """docs/img/chart-beyond-pbft.svg is what this gives (docs/reports.md);
    regenerate it with the command below when the chart changes."""
    f = corpus(tmp_path, "ok-beyond-pbft.json")
    r = byzlab("report", "chart", f, "--out", "-", "--max-arrows", "60",
               "--id-prefix", "example")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(SRC, "docs", "img", "chart-beyond-pbft.svg")) as g:
        assert r.stdout == g.read(), (
            "regenerate: byzlab report chart "
            "tests/corpus/failure/ok-beyond-pbft.json --max-arrows 60 "
            "--id-prefix example --out docs/img/chart-beyond-pbft.svg")


def test_a_chart_that_cannot_be_written_is_missing_output(byzlab, tmp_path):
    camp = tmp_path / "c.yaml"
    camp.write_text(CAMPAIGN)
    out = tmp_path / "out"
    assert byzlab("campaign", camp, "--out", out, "-q").returncode == 0
    (svg,) = (out / "failures").glob("*.shrunk.svg")
    svg.unlink()
    # a symbolic link where the chart goes: byzlab does not write there
    os.symlink(tmp_path / "elsewhere.svg", svg)
    r = byzlab("campaign", camp, "--out", out, "-q", "--resume")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "results incomplete" in r.stderr
    assert f"the chart of {svg.with_suffix('.json')}" in r.stderr
    assert not (tmp_path / "elsewhere.svg").exists()


def test_a_broken_output_rule_anchors_the_window(byzlab, tmp_path):
    # a planted mistake breaks a rule (a `fault` line) before any fork
    t = tmp_path / "m.jsonl"
    r = byzlab("run", "--protocol", "hotstuff", "--mutant", "quorum-2f",
               "--requests", "5", "--trace", t)
    assert r.returncode == 1, r.stdout + r.stderr
    first = next(json.loads(x) for x in t.read_text().splitlines()
                 if '"ev":"fault"' in x)
    r = byzlab("report", "chart", t, "--out", "-", "--max-arrows", "30")
    assert r.returncode == 0, r.stderr
    root = parse(r.stdout)
    w = header(root, "bzc-window")
    assert "first broken output rule" in w, w
    m = re.search(r"t ([\d.]+) ms to ([\d.]+) ms", w)
    assert float(m.group(1)) * 1000 <= first["t"] <= float(m.group(2)) * 1000
    faults = groups(root, "bzc-fault")
    assert faults and any(int(g.get("data-t")) == first["t"] for g in faults)


def test_an_interrupt_leaves_the_whole_chart_or_none(byzlab, tmp_path):
    import signal
    import subprocess
    import time
    doc = json.loads(open(os.path.join(CORPUS, "ok-beyond-pbft.json")).read())
    doc["scenario"].update(byzantine=[], attacks=[], stop_on_violation=False,
                           requests=200, n=7, f=2, batch=1)
    f = tmp_path / "long.json"
    f.write_text(json.dumps(doc))
    binary = os.environ.get("BYZLAB") or os.path.join(SRC, "build", "byzlab")
    p = subprocess.Popen([binary, "report", "chart", str(f)],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    # no temporary file; the chart, if there, is whole
    assert [x.name for x in tmp_path.iterdir() if x.name.startswith(".")] \
        == []
    svg = tmp_path / "long.svg"
    if svg.exists():
        parse(svg)


def test_shrink_leaves_a_chart_beside_the_shrunk_failure(byzlab, tmp_path):
    f = corpus(tmp_path, "ok-beyond-pbft.json")
    r = byzlab("shrink", "-q", "--jobs", "2", f)
    assert r.returncode == 0, r.stdout + r.stderr
    svg = f.with_name(f.stem + ".shrunk.svg")
    assert f"chart     {svg}" in r.stdout
    root = parse(svg.read_text())
    assert root.findall(".//*[@class='bzc-conflict']") or \
        "bzc-conflict" in svg.read_text()
    # where the chart goes is a symbolic link: not written through, exit 3
    svg.unlink()
    os.symlink(tmp_path / "elsewhere.svg", svg)
    r = byzlab("shrink", "-q", "--jobs", "2", f)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "its chart" in r.stderr
    assert not (tmp_path / "elsewhere.svg").exists()


def test_the_causal_past_of_the_conflict_is_drawn_and_the_rest_faded(
        byzlab, tmp_path):
    """Happened-before edges (issue #16): the messages that led to the
    conflicting commits are drawn in full, the others faded, and the past
    is closed under happened-before: a message in it was sent at a point
    its sender had reached when it was in the past too."""
    f = corpus(tmp_path, "ok-beyond-pbft.json")
    r = byzlab("report", "chart", f, "--out", "-", "--max-arrows", "80")
    assert r.returncode == 0, r.stderr
    root = parse(r.stdout)
    ns = "{http://www.w3.org/2000/svg}"
    msgs = [g for g in root.iter(ns + "g")
            if "bzc-msg" in g.get("class", "")]
    past = [g for g in msgs if "bzc-past" in g.get("class")]
    faded = [g for g in msgs if g.get("opacity") == "0.3"]
    assert past and faded
    assert not [g for g in past if g.get("opacity")]
    assert len(past) + len(faded) == len(msgs)
    assert "faded: not in the causal past" in r.stdout

    def span(g):
        line = g.find(ns + "line")
        return (float(line.get("x1")), float(line.get("y1")),
                float(line.get("x2")), float(line.get("y2")))
    # closed: a past message's sender had received, before sending it,
    # only past messages among those drawn
    for g in past:
        x1, y1, _, _ = span(g)
        for h in msgs:
            hx1, hy1, hx2, hy2 = span(h)
            if hx2 == x1 and hy2 < y1 and "bzc-delivered" in h.get("class"):
                assert h in past, (g.get("data-id"), h.get("data-id"))
