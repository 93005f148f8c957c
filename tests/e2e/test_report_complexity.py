"""`byzlab report complexity` (docs/reports.md, issue #15 item 1): a small
sweep's outputs (CSV rows, slopes, markdown with the formulas and their
sources, valid SVG and PNG drawn by gnuplot), PBFT's normal case equal to
the paper's 2n(n-1) exactly, bad usage (exit 2), an output that cannot be
written (exit 3), and gnuplot missing (exit 3, the rest written)."""
import csv
import math
import os
import shutil
import stat
import xml.dom.minidom

import pytest

SMALL = ["--n", "4,7,10"]
SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, byzlab):
    if not shutil.which("gnuplot"):
        if os.environ.get("CI"):
            pytest.fail("gnuplot is missing (scripts/deps.sh installs it)")
        pytest.skip("gnuplot is not installed (Debian: gnuplot-nox)")
    out = tmp_path_factory.mktemp("cx") / "out"
    r = byzlab("report", "complexity", "--out", out, *SMALL)
    assert r.returncode == 0, r.stderr
    return out, r


def rows(out):
    with open(out / "complexity.csv", newline="") as f:
        return list(csv.DictReader(f))


def value(rs, **kw):
    hits = [r for r in rs if all(r[k] == str(v) for k, v in kw.items())]
    assert len(hits) == 1, (kw, hits)
    return float(hits[0]["value"])


def test_the_csv_has_a_row_per_protocol_setting_n_metric(sweep):
    out, _ = sweep
    rs = rows(out)
    assert list(rs[0].keys()) == ["protocol", "setting", "n", "metric",
                                  "type", "kind", "value"]
    protos = {r["protocol"] for r in rs}
    # every fault-tolerant protocol; the toy fixture is left out
    assert protos == {"pbft", "hotstuff", "tendermint", "raft"}
    for p in protos:
        for s in ("fault-free", "faulty-leader", "view-change"):
            for m in ("messages", "bytes", "signatures", "verifications"):
                for n in (4, 7, 10):
                    v = value(rs, protocol=p, setting=s, n=n, metric=m,
                              type="all", kind="measured")
                    assert v > 0, (p, s, m, n, v)
    # by message type, the protocol's own and the clients'
    types = {r["type"] for r in rs if r["protocol"] == "pbft"
             and r["kind"] == "measured"}
    assert {"pbft/pre-prepare", "pbft/prepare", "pbft/commit",
            "pbft/view-change", "pbft/new-view", "client/request"} <= types
    # the view change's own messages appear only when the leader is faulty
    assert value(rs, protocol="pbft", setting="fault-free", n=7,
                 metric="messages", type="pbft/view-change",
                 kind="measured") == 0
    assert value(rs, protocol="pbft", setting="view-change", n=7,
                 metric="messages", type="pbft/view-change",
                 kind="measured") > 0
    assert value(rs, protocol="hotstuff", setting="view-change", n=7,
                 metric="messages", type="hotstuff/timeout",
                 kind="measured") > 0


def test_pbft_normal_case_is_exactly_2n_n_minus_1_per_decision(sweep):
    # The check that fires on an extra or a missing multicast: OSDI'99
    # §4.2's n-1 pre-prepares, (n-1)^2 prepares and n(n-1) commits.
    out, _ = sweep
    rs = rows(out)
    for n in (4, 7, 10):
        assert value(rs, protocol="pbft", setting="fault-free", n=n,
                     metric="messages", type="all",
                     kind="measured") == 2 * n * (n - 1)
        # after the faulty primary was replaced, the same prepares and
        # commits per decision (its PRE-PREPAREs from sequence number 4 on,
        # counted at the sender and dropped, come on top)
        for t, want in (("prepare", (n - 1) ** 2), ("commit", n * (n - 1))):
            assert value(rs, protocol="pbft", setting="faulty-leader", n=n,
                         metric="messages", type="pbft/" + t,
                         kind="measured") == want
        per = {t: value(rs, protocol="pbft", setting="fault-free", n=n,
                        metric="messages", type="pbft/" + t,
                        kind="measured")
               for t in ("pre-prepare", "prepare", "commit")}
        assert per == {"pre-prepare": n - 1, "prepare": (n - 1) ** 2,
                       "commit": n * (n - 1)}
        assert value(rs, protocol="pbft", setting="fault-free", n=n,
                     metric="messages", type="2n(n-1)",
                     kind="formula") == 2 * n * (n - 1)
        # HotStuff: a PROPOSAL multicast and n-1 VOTEs per block
        assert value(rs, protocol="hotstuff", setting="fault-free", n=n,
                     metric="messages", type="all",
                     kind="measured") == 2 * (n - 1)


def test_slopes_are_sane(sweep):
    out, r = sweep
    with open(out / "slopes.csv", newline="") as f:
        sl = {(x["protocol"], x["setting"], x["metric"], x["series"]):
              float(x["slope"]) for x in csv.DictReader(f)}
    # PBFT is quadratic per decision, HotStuff linear; 2n(n-1) over n =
    # 4..10 has a log-log slope a little above 2
    assert 2.0 < sl["pbft", "fault-free", "messages", "measured"] < 2.4
    assert 1.0 < sl["hotstuff", "fault-free", "messages", "measured"] < 1.3
    assert sl["pbft", "fault-free", "messages", "measured"] == \
        sl["pbft", "fault-free", "messages", "2n(n-1)"]
    assert 0.7 < sl["pbft", "fault-free", "signatures", "measured"] < 1.2
    # HotStuff's view change multicasts TIMEOUTs: quadratic here
    assert 1.8 < sl["hotstuff", "view-change", "messages", "measured"] < 2.4
    # a view change carries certificates of 2f+1 signatures in each of
    # its n(n-1) messages (PBFT's prepared certificates, HotStuff's QC in
    # every TIMEOUT): more than quadratic (O(n^3) over a wide range)
    assert sl["pbft", "view-change", "verifications", "measured"] > 2.2
    assert sl["hotstuff", "view-change", "verifications", "measured"] > 2.2
    assert all(math.isfinite(v) for v in sl.values())
    # and they are printed for people
    assert "slope" in r.stdout and "2n(n-1)" in r.stdout


def test_the_markdown_cites_the_formulas(sweep):
    out, _ = sweep
    md = (out / "complexity.md").read_text()
    for text in ("2n(n-1)", "OSDI'99 §4.2", "OSDI'99 §4.4", "PODC'19 Table 1",
                 "threshold signature", "## Slopes", "## pbft",
                 "## hotstuff", "### view-change (once)",
                 "Exact: the measurement equals it at every n",
                 "![messages](messages.svg)"):
        assert text in md, text
    assert "differs at" not in md


def test_the_plots_are_valid_svg_and_png(sweep):
    out, _ = sweep
    names = ["messages", "bytes", "signatures", "verifications"]
    names += [n + "-view-change" for n in names]
    for name in names:
        doc = xml.dom.minidom.parse(str(out / (name + ".svg")))
        assert doc.documentElement.tagName == "svg"
        assert len(doc.getElementsByTagName("path")) > 5
        png = (out / (name + ".png")).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    gp = (out / "complexity.gp").read_text()
    assert "set logscale xy" in gp and "complexity.csv" in gp
    assert not [p for p in os.listdir(out) if p.startswith(".")]


def test_the_script_replots_from_the_directory(sweep, tmp_path):
    out, _ = sweep
    for f in ("complexity.csv", "complexity.gp"):
        shutil.copy(out / f, tmp_path / f)
    import subprocess
    r = subprocess.run(["gnuplot", "complexity.gp"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "messages.svg").stat().st_size > 1000


@pytest.mark.parametrize("args, msg", [
    ([], "--out DIR is required"),
    (["--out", "X", "--n", "3"], "--n"),
    (["--out", "X", "--n", "4,,7"], "not a list"),
    (["--out", "X", "--n", "7,4"], "must increase"),
    (["--out", "X", "--n", "4,300"], "--n"),
    (["--out", "X", "--protocol", "nope"], "unknown protocol 'nope'"),
    (["--out", "X", "--protocol", "toy"], "declares no formulas"),
    (["--out", "X", "--crypto", "rsa"], "--crypto"),
    (["--out", "X", "--bogus"], "unknown option"),
    (["--out", "X", "extra"], "unexpected argument"),
])
def test_bad_usage_exits_2(byzlab, tmp_path, args, msg):
    args = [str(tmp_path / "o") if a == "X" else a for a in args]
    r = byzlab("report", "complexity", *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "byzlab report complexity: error:" in r.stderr and msg in r.stderr
    assert not (tmp_path / "o" / "complexity.csv").exists()


def test_n_outside_a_protocol_limits_exits_2(byzlab, tmp_path):
    # PBFT at the default window refuses n = 256 (a VIEW-CHANGE could not
    # fit a frame): the sweep says so before it runs
    r = byzlab("report", "complexity", "--out", tmp_path / "o", "--n",
               "4,256")
    assert r.returncode == 2, r.stderr
    assert "--n 256" in r.stderr and "pbft" in r.stderr


def test_help(byzlab):
    r = byzlab("report", "complexity", "--help")
    assert r.returncode == 0 and "--out DIR" in r.stdout
    assert "Exit status" in r.stdout


def test_an_output_that_cannot_be_written_exits_3(byzlab, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = byzlab("report", "complexity", "--out", f, "--n", "4")
    assert r.returncode == 3, r.stderr
    assert "not a directory" in r.stderr
    # a target that is not a regular file: refused before any run
    d = tmp_path / "d"
    d.mkdir()
    os.mkfifo(d / "complexity.csv")
    r = byzlab("report", "complexity", "--out", d, "--n", "4")
    assert r.returncode == 3, r.stderr
    assert "complexity.csv" in r.stderr
    assert stat.S_ISFIFO(os.stat(d / "complexity.csv").st_mode)


def test_a_full_disk_exits_3(byzlab, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    import subprocess
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs",
                       str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        r = byzlab("report", "complexity", "--out", mnt, "--n", "4,7",
                   "--no-plots", "-q")
        assert r.returncode == 3, r.stderr
        assert "cannot write" in r.stderr
        assert not [p for p in os.listdir(mnt) if p.startswith(".")]
    finally:
        subprocess.run(["umount", str(mnt)])


def test_without_gnuplot_the_rest_is_written_and_it_exits_3(byzlab,
                                                             tmp_path):
    path = os.environ.get("BYZLAB") or "byzlab"
    import subprocess
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    r = subprocess.run([path, "report", "complexity", "--out",
                        str(tmp_path / "o"), "--n", "4,7", "-q",
                        "--protocol", "pbft"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "plots not drawn" in r.stderr and "gnuplot" in r.stderr
    o = tmp_path / "o"
    assert (o / "complexity.csv").exists() and (o / "complexity.gp").exists()
    assert "Not drawn" in (o / "complexity.md").read_text()
    assert not list(o.glob("*.svg")) and not list(o.glob(".*"))


def test_no_plots_exits_0(byzlab, tmp_path):
    r = byzlab("report", "complexity", "--out", tmp_path / "o", "--n", "4",
               "--protocol", "hotstuff", "--no-plots", "-q")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    rs = rows(tmp_path / "o")
    assert {x["protocol"] for x in rs} == {"hotstuff"}


def test_an_interrupted_sweep_writes_nothing(tmp_path):
    # SIGINT while it sweeps (the progress bar is on stderr from the first
    # run): exit 130, and no output file, whole or partial
    import signal
    import subprocess
    path = os.environ.get("BYZLAB") or "byzlab"
    out = tmp_path / "o"
    p = subprocess.Popen([path, "report", "complexity", "--out", str(out),
                          "--crypto", "ed25519"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        first = p.stderr.read(1)
        assert first == "[", first
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert "interrupted: nothing written" in err
    assert os.listdir(out) == []


def test_the_committed_sweep_is_current(byzlab, tmp_path):
    """results/complexity/ holds the default sweep: this build measures the
    same at every n (a change to what a protocol sends fails here until the
    sweep is run again and committed). The small n only, so that it stays
    quick under the sanitizers: a measured row depends on its n alone."""
    ns = [4, 7, 10, 16]
    out = tmp_path / "cx"
    r = byzlab("report", "complexity", "--out", out, "--no-plots", "-q",
               "--n", ",".join(map(str, ns)))
    assert r.returncode == 0, r.stderr

    def measured(path):
        with open(path, newline="") as f:
            return {(x["protocol"], x["setting"], x["n"], x["metric"],
                     x["type"]): x["value"]
                    for x in csv.DictReader(f)
                    if x["kind"] == "measured" and int(x["n"]) in ns}
    want = measured(os.path.join(SRC, "results", "complexity",
                                 "complexity.csv"))
    got = measured(out / "complexity.csv")
    assert want and got == want, (
        "results/complexity/complexity.csv is not what this build "
        "measures: run byzlab report complexity --out results/complexity "
        "and commit it")
