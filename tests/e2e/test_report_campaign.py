"""`byzlab report campaign DIR` (issue #15 item 3): a campaign's results
directory as one self-contained HTML page (the threshold table, the violation
rate against b, runs per second, every failure with its shrunk scenario, its
chart and its replay command), checked in headless Chromium; and the
self-test's page, each caught mutant linked to its chart (item 5)."""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest

SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))

CAMPAIGN = """\
name: page<&>
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


class Page(html.parser.HTMLParser):
    """The elements of a page: tags with their attributes, and its text."""

    def __init__(self):
        super().__init__()
        self.tags, self.text, self.ids, self.id_list = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
            self.id_list.append(a["id"])

    def handle_data(self, data):
        self.text.append(data)


def parse(path):
    p = Page()
    p.feed(path.read_text())
    return p


@pytest.fixture(scope="module")
def results(byzlab, tmp_path_factory):
    d = tmp_path_factory.mktemp("page")
    f = d / "c.yaml"
    f.write_text(CAMPAIGN)
    out = d / "out"
    r = byzlab("campaign", f, "--out", out, "-q")
    assert r.returncode == 1, r.stdout + r.stderr  # the 'wrong' cell
    r = byzlab("report", "campaign", out, "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == f"wrote {out}/report.html"
    return out


def test_the_page_holds_the_threshold_table_rates_speed_and_failures(
        results):
    page = parse(results / "report.html")
    text = " ".join(page.text)
    # the campaign's name, escaped
    assert "Campaign page<&>" in text
    # the threshold table: a row per (protocol, n, b), as summary.md has
    md = (results / "summary.md").read_text()
    rows = re.findall(r"^\| (\w+) \| (\d+) \| \d+ \| (\d+) \| (\d+) \|",
                      md, re.M)
    assert len(rows) == 5
    cells = [t for t in page.tags if t[0] == "td"]
    assert len(cells) >= 5 * 10
    assert "NO" in text  # pbft n=4 b=2 held no: the 'wrong' cell
    # a violation-rate panel per (protocol, n), a threshold line in each
    svgs = [a for t, a in page.tags if t == "svg" and a.get("class") == "rate"]
    assert len(svgs) == 2
    assert sum(1 for t, a in page.tags
               if t == "line" and a.get("class") == "threshold") == 2
    unsafe = [a for t, a in page.tags
              if t == "rect" and a.get("class") == "unsafe"]
    assert any(float(a["height"]) > 100 for a in unsafe)  # b=2: 100%
    # runs per second
    assert re.search(r"[\d.]+ runs/s", text)
    # every failure file has its section, replay command and chart slot
    failures = sorted(p.name[:-5] for p in (results / "failures").glob("*.json")
                      if not p.name.endswith(".shrunk.json"))
    assert len(failures) == 3
    for fid in failures:
        assert f"failure-{fid}" in page.ids
    # the run that missed its expectation comes first, framed as such
    sections = [a for t, a in page.tags
                if t == "section" and "failure" in a.get("class", "")]
    assert sections[0]["id"] == "failure-wrong-pbft-n4-b2-a0-s1"
    assert "unmet" in sections[0]["class"]
    assert all("unmet" not in s["class"] for s in sections[1:])
    # each failure has its message sequence chart inline, the conflicting
    # commits marked, and the charts' ids do not clash on one page
    text = (results / "report.html").read_text()
    for fid in failures:
        sect = text[text.index(f'id="failure-{fid}"'):]
        sect = sect[:sect.index("</section>")]
        assert "<svg" in sect and "bzc-conflict" in sect, fid
    assert len(page.id_list) == len(set(page.id_list))
    # the threshold table links the first violation to its failure
    links = {a["href"][1:] for t, a in page.tags if t == "a" and
             a.get("href", "").startswith("#failure-")}
    assert links and links <= page.ids


def test_the_replay_commands_on_the_page_replay(byzlab, results):
    text = (results / "report.html").read_text()
    cmds = re.findall(r'<code class="cmd">byzlab replay ([^<]+)</code>',
                      text)
    assert len(cmds) == 3
    for path in cmds:
        assert os.path.exists(path), path
        r = byzlab("replay", path)
        # the same verdict and trace hash again
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.startswith("reproduced "), r.stdout


def test_the_page_fetches_nothing(results):
    text = (results / "report.html").read_text()
    assert "Content-Security-Policy" in text
    assert "default-src 'none'" in text
    page = parse(results / "report.html")
    for tag, a in page.tags:
        for k in ("src", "href"):
            v = a.get(k)
            if v is not None:
                assert v.startswith(("#", "data:")), (tag, k, v)
    assert "<script" not in text


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("chromium is missing (scripts/deps.sh installs it)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def render(page, png):
    """Open page in headless Chromium, save a screenshot; the console lines
    it logged (errors, refused fetches)."""
    r = subprocess.run(
        [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--enable-logging=stderr", "--v=0",
         "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--user-data-dir={png.parent / 'chromium-profile'}",
         "--window-size=1280,2000", f"--screenshot={png}",
         f"file://{page}"],
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return [line for line in r.stderr.splitlines() if ":CONSOLE" in line]


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            bpp = {2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def artifacts(byzlab_path):
    d = os.environ.get("BYZLAB_ARTIFACTS") or os.path.join(
        os.path.dirname(os.path.abspath(byzlab_path)), "test-artifacts")
    os.makedirs(d, exist_ok=True)
    return d


def test_the_page_renders_in_chromium_with_no_console_error(results,
                                                          tmp_path):
    png = tmp_path / "report.png"
    console = render(results / "report.html", png)
    assert console == [], "\n".join(console)
    w, h, bpp, rows = png_pixels(png)
    assert (w, h) == (1280, 2000)
    # the page drew something: red of the violation bars and of the frame
    # of the failure that missed its expectation, not a blank page
    red = sum(1 for row in rows[::4] for x in range(0, len(row), bpp * 4)
              if row[x] > 150 and row[x + 1] < 80 and row[x + 2] < 80)
    assert red > 50
    # kept as the test's artifact
    bz = os.environ.get("BYZLAB") or "build/byzlab"
    shutil.copy(png, os.path.join(artifacts(bz), "report-campaign.png"))


def test_the_browser_check_sees_a_fetch_and_a_script_error(results,
                                                          tmp_path):
    """The check above is worth something: a page that fetches, or runs a
    failing script, is seen on the console."""
    text = (results / "report.html").read_text()
    bad = tmp_path / "bad.html"
    bad.write_text(text.replace(
        "</body>", '<img src="http://example.invalid/x.png"></body>'))
    assert any("Content Security Policy" in line
               for line in render(bad, tmp_path / "bad.png"))
    worse = tmp_path / "worse.html"
    worse.write_text(text.replace(
        "Content-Security-Policy", "X-Nothing").replace(
        "</body>", "<script>nosuch();</script></body>"))
    assert any("nosuch" in line
               for line in render(worse, tmp_path / "worse.png"))


def test_text_from_the_results_is_escaped(byzlab, tmp_path, results):
    out = tmp_path / "copy"
    shutil.copytree(results, out)
    f = next(p for p in (out / "failures").glob("beyond-*.json")
             if not p.name.endswith(".shrunk.json"))
    doc = json.loads(f.read_text())
    doc["result"]["why"] = "<script>alert(1)</script> & \"q\""
    f.write_text(json.dumps(doc))
    r = byzlab("report", "campaign", out, "-q")
    assert r.returncode == 0, r.stderr
    text = (out / "report.html").read_text()
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;" in text


def test_bad_usage_and_bad_directories_exit_2(byzlab, tmp_path, results):
    r = byzlab("report", "campaign")
    assert r.returncode == 2 and "which results directory" in r.stderr
    r = byzlab("report", "campaign", tmp_path / "nope")
    assert r.returncode == 2 and "is not a directory" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = byzlab("report", "campaign", empty)
    assert r.returncode == 2 and "runs.jsonl" in r.stderr, r.stderr
    r = byzlab("report", "campaign", results, "--max-charts", "0")
    assert r.returncode == 2 and "--max-charts" in r.stderr
    r = byzlab("report", "campaign", results, "--bogus")
    assert r.returncode == 2 and "--bogus" in r.stderr
    r = byzlab("report", "campaign", results, "--out", tmp_path)
    assert r.returncode == 2, r.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "runs.jsonl").write_text('{"id": "a"}\n[1, 2\n{"id": "b"}\n')
    r = byzlab("report", "campaign", bad)
    assert r.returncode == 2, r.stderr
    assert "runs.jsonl" in r.stderr and ":2" in r.stderr, r.stderr
    st = tmp_path / "st"
    st.mkdir()
    (st / "selftest.json").write_text('{"rows": 3}')
    r = byzlab("report", "campaign", st)
    assert r.returncode == 2
    assert "selftest.json: field 'rows' is not an array" in r.stderr


def test_a_page_that_cannot_be_written_is_exit_3(byzlab, tmp_path, results):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs",
                    str(mnt)], check=True)
    try:
        r = byzlab("report", "campaign", results, "--out", mnt / "r.html",
                   "-q")
        assert r.returncode == 3, r.stdout + r.stderr
        assert "r.html" in r.stderr
        assert not (mnt / "r.html").exists()
        assert [p.name for p in mnt.iterdir()] == []
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_the_selftest_page_links_each_caught_mutant_to_its_run(byzlab,
                                                               tmp_path):
    out = tmp_path / "st"
    r = byzlab("selftest", "--protocol", "pbft", "--mutant",
               "checkpoint-quorum-f+1", "--out", out, "-q", "--jobs", "2",
               "--campaign", os.path.join(SRC, "campaigns", "ci.yaml"))
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads((out / "selftest.json").read_text())
    rows = {row["mutant"]: row for row in doc["rows"]}
    assert rows[""]["caught"] is False  # the baseline passes
    caught = rows["checkpoint-quorum-f+1"]
    assert caught["caught"] is True and caught["first"]
    assert f"page in {out}/report.html" in r.stdout
    page = parse(out / "report.html")
    links = [a["href"] for t, a in page.tags
             if t == "a" and a.get("href", "").startswith("#mutant-")]
    assert links == ["#mutant-pbft-checkpoint-quorum-f_1"]
    assert links[0][1:] in page.ids
    text = (out / "report.html").read_text()
    sect = text[text.index('id="mutant-pbft-checkpoint-quorum-f_1"'):]
    assert "byzlab replay " in sect and ".shrunk.json" in sect
    assert "certificates" in sect  # why it failed
    sect = sect[:sect.index("</section>")]
    assert "<svg" in sect  # its chart
    assert (out / "pbft-checkpoint-quorum-f+1" / "failures" /
            (caught["first"] + ".shrunk.svg")).exists()
