"""Issue #13 items 1 and 2: a write that fails is an error that names the
file, never a silent loss, a torn line counted or an interrupt; output files
are written whole (a temporary file renamed) and only over a regular file.

The full-disk cases mount a small tmpfs (size= and nr_inodes= pick where
ENOSPC hits: a failure file, the runs.jsonl append, summary.md, a trace, a
shrunk failure); they need root and are skipped otherwise.
"""
import contextlib
import json
import os
import stat
import subprocess
import tempfile

import pytest

# A small campaign: 3 safe runs, and 6 runs at b = f+1 with twins that
# break agreement (violation-found: each gets a failure file; shrink: true
# shrinks one per group).
SMALL = """\
name: small
driver: sim
defaults:
  clients: 2
  requests: 2
  batch: 2
  gst: 300ms
  max_time: 60s
cells:
  - name: ok
    protocol: [pbft]
    n: 4
    byzantine: 0
    attacks: [drop:p=0.1]
    seeds: 3
    expect: [safe]
  - name: beyond
    protocol: [pbft, hotstuff]
    n: 4
    byzantine: f+1
    attacks: [twins]
    seeds: 3
    stop_on_violation: true
    shrink: true
    expect: violation-found
"""

# Only safe runs (no failure files), 24 of them: about 40 KB of runs.jsonl.
SAFE = """\
name: safe
driver: sim
defaults:
  clients: 2
  requests: 2
  batch: 2
  gst: 300ms
  max_time: 60s
cells:
  - name: ok
    protocol: [pbft, hotstuff]
    n: 4
    byzantine: 0
    attacks: [drop:p=0.1]
    seeds: 12
    expect: [safe]
"""

needs_root = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="mounting a small tmpfs to fill the disk needs root")


@contextlib.contextmanager
def tmpfs(options):
    """A tmpfs mounted with options under a fresh temporary directory,
    always unmounted."""
    top = tempfile.mkdtemp(prefix="byzlab-full-")
    mnt = os.path.join(top, "m")
    os.mkdir(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        os.rmdir(top)
        pytest.skip(f"cannot mount a tmpfs ({r.stderr.strip()})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)
        os.rmdir(top)


def fill(mnt):
    """Take every byte of the tmpfs (it must have room for one inode)."""
    with open(os.path.join(mnt, "fill"), "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def leftovers(top):
    """Temporary files anywhere under top (DIR/.lock, a results
    directory's lock file, stays: it is not a temporary file)."""
    out = []
    for d, _, files in os.walk(top):
        out += [os.path.join(d, f) for f in files
                if f.endswith(".tmp") or (f.startswith(".") and f != ".lock")]
    return out


def runs_lines(path):
    """The lines of runs.jsonl, each checked whole (newline and JSON)."""
    data = open(path, "rb").read()
    assert data == b"" or data.endswith(b"\n"), "a torn last line was left"
    return [json.loads(x) for x in data.decode().splitlines()]


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    return p


@needs_root
def test_failure_files_that_cannot_be_written_are_named_and_exit_3(byzlab,
                                                                    small):
    # 6 inodes: the root, ci/, ci/failures/, runs.jsonl and 2 failure files
    with tmpfs("size=4m,nr_inodes=6") as mnt:
        out = os.path.join(mnt, "ci")
        r = byzlab("campaign", small, "--out", out, "--jobs", "2", "-q")
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert "every expectation held" not in r.stdout
        assert "summary in" not in r.stdout
        assert "results incomplete" in r.stderr
        assert "No space left on device" in r.stderr
        assert "interrupted" not in r.stderr
        assert f"cannot write '{out}/summary.md'" in r.stderr
        assert not os.path.exists(os.path.join(out, "summary.md"))
        assert leftovers(mnt) == []
        recs = runs_lines(os.path.join(out, "runs.jsonl"))
        # every failure file runs.jsonl names exists; the runs whose file
        # could not be written are named and not recorded
        named = [x["failure"] for x in recs if "failure" in x]
        for f in named:
            assert os.path.exists(os.path.join(out, f)), f
        ids = {x["id"] for x in recs}
        missing = [f"beyond-{p}-n4-b2-a0-s{s}" for p in ("pbft", "hotstuff")
                   for s in (1, 2, 3)]
        missing = [i for i in missing if i not in ids]
        assert missing, "every run was recorded: the disk was not full"
        for i in missing:
            assert f"{out}/failures/{i}.json" in r.stderr, (i, r.stderr)
        # made room, --resume completes the directory
        subprocess.run(["mount", "-o", "remount,nr_inodes=1000", mnt],
                       check=True)
        r = byzlab("campaign", small, "--out", out, "--resume", "-q")
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert "every expectation held" in r.stdout
        recs = runs_lines(os.path.join(out, "runs.jsonl"))
        assert len({x["id"] for x in recs}) == 9
        for x in recs:
            if "failure" in x:
                assert os.path.exists(os.path.join(out, x["failure"]))
        assert os.path.exists(os.path.join(out, "summary.md"))
        assert leftovers(mnt) == []


@needs_root
def test_a_full_disk_while_appending_runs_jsonl_is_not_an_interrupt(
        byzlab, tmp_path):
    camp = tmp_path / "safe.yaml"
    camp.write_text(SAFE)
    with tmpfs("size=16k") as mnt:
        out = os.path.join(mnt, "ci")
        r = byzlab("campaign", camp, "--out", out, "--jobs", "2", "-q")
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert "interrupted" not in r.stderr
        assert "finished and are kept" not in r.stderr
        assert f"cannot append to '{out}/runs.jsonl': No space left" \
            in r.stderr
        assert "every expectation held" not in r.stdout
        assert "summary in" not in r.stdout
        recs = runs_lines(os.path.join(out, "runs.jsonl"))
        assert 0 < len(recs) < 24
        assert leftovers(mnt) == []
        # what the summary counts is what runs.jsonl holds, whole lines
        assert f"{len(recs)} runs in {out}/runs.jsonl" in r.stdout


@needs_root
def test_a_manifest_that_cannot_be_written_is_named(byzlab, tmp_path):
    camp = tmp_path / "safe.yaml"
    camp.write_text(SAFE.replace("seeds: 12", "seeds: 2"))
    # 4 inodes: the root, ci/, ci/failures/ and ci/.lock: none for
    # campaign.json
    with tmpfs("size=4m,nr_inodes=4") as mnt:
        out = os.path.join(mnt, "ci")
        r = byzlab("campaign", camp, "--out", out, "--jobs", "1", "-q")
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert f"cannot write '{out}/campaign.json': No space left on " \
            "device" in r.stderr
        assert not os.path.exists(os.path.join(out, "runs.jsonl"))
        assert leftovers(mnt) == []


@needs_root
def test_a_summary_that_cannot_be_written_is_named(byzlab, tmp_path):
    camp = tmp_path / "safe.yaml"
    camp.write_text(SAFE.replace("seeds: 12", "seeds: 2"))
    # 6 inodes: the root, ci/, ci/failures/, ci/.lock, ci/campaign.json
    # and runs.jsonl: none left
    with tmpfs("size=4m,nr_inodes=6") as mnt:
        out = os.path.join(mnt, "ci")
        r = byzlab("campaign", camp, "--out", out, "--jobs", "1", "-q")
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert f"cannot write '{out}/summary.md': No space left on device" \
            in r.stderr
        assert "summary in" not in r.stdout
        assert "every expectation held" not in r.stdout
        assert len(runs_lines(os.path.join(out, "runs.jsonl"))) == 4
        assert leftovers(mnt) == []


@needs_root
def test_run_trace_on_a_full_disk_names_the_file(byzlab):
    with tmpfs("size=64k") as mnt:
        fill(mnt)
        t = os.path.join(mnt, "t.jsonl")
        r = byzlab("run", "--requests", "200", "--trace", t)
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert f"--trace: cannot write '{t}': No space left on device" \
            in r.stderr
        assert not os.path.exists(t)
        assert leftovers(mnt) == []


@pytest.fixture(scope="module")
def a_failure(tmp_path_factory):
    """A saved failure (a run of the small campaign that broke safety)."""
    d = tmp_path_factory.mktemp("fail")
    camp = d / "small.yaml"
    camp.write_text(SMALL)
    path = os.environ.get("BYZLAB")
    r = subprocess.run([path, "campaign", str(camp), "--out", str(d / "ci"),
                        "--no-shrink", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(d / "ci" / "failures" / "beyond-pbft-n4-b2-a0-s2.json")


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink", "directory"])
def test_shrink_o_refuses_what_is_not_a_regular_file(byzlab, a_failure,
                                                     tmp_path, kind):
    target = tmp_path / "out.json"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("keep\n")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        # our own node with /dev/full's numbers; the real one is not touched
        os.mknod(target, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    elif kind == "symlink":
        os.symlink(elsewhere, target)
    else:
        os.mkdir(target)
    before = os.lstat(target)
    r = byzlab("shrink", "-q", a_failure, "-o", target)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"'{target}' is a" in r.stderr
    assert "byzlab writes only regular files" in r.stderr
    after = os.lstat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode)
    assert after.st_ino == before.st_ino
    assert elsewhere.read_text() == "keep\n"
    assert leftovers(tmp_path) == []


def test_shrink_o_replaces_a_regular_file(byzlab, a_failure, tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old\n")
    r = byzlab("shrink", "-q", a_failure, "-o", target)
    assert r.returncode == 0, r.stderr
    assert json.loads(target.read_text())["byzlab_failure"] == 1
    assert leftovers(tmp_path) == []


@needs_root
def test_shrink_on_a_full_disk_leaves_no_temporary_file(byzlab, a_failure):
    with tmpfs("size=16k") as mnt:
        fill(mnt)
        out = os.path.join(mnt, "s.json")
        r = byzlab("shrink", "-q", a_failure, "-o", out)
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert f"cannot write '{out}': No space left on device" in r.stderr
        assert not os.path.exists(out)
        assert leftovers(mnt) == []


@needs_root
def test_merge_into_a_full_disk_names_what_is_missing(byzlab, a_failure):
    shard = os.path.dirname(os.path.dirname(a_failure))
    # 4 inodes: the root, merged/, merged/failures/ and runs.jsonl
    with tmpfs("size=4m,nr_inodes=4") as mnt:
        out = os.path.join(mnt, "merged")
        r = byzlab("campaign", "--merge", shard, "--out", out)
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert "results incomplete" in r.stderr
        assert f"cannot write '{out}/failures/" in r.stderr
        assert "No space left on device" in r.stderr
        assert leftovers(mnt) == []


@pytest.mark.parametrize("mode", ["--resume", "--force"])
@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_campaign_out_refuses_a_runs_jsonl_that_is_not_a_regular_file(
        byzlab, small, tmp_path, mode, kind):
    out = tmp_path / "ci"
    out.mkdir()
    runs = out / "runs.jsonl"
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_text("")
    if kind == "fifo":
        os.mkfifo(runs)
    else:
        os.symlink(elsewhere, runs)
    # the old code blocked reading the FIFO (--resume), or replaced it
    r = byzlab("campaign", small, "--out", out, mode, "-q", timeout=60)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"'{runs}' is a" in r.stderr
    assert "byzlab writes only regular files" in r.stderr
    st = os.lstat(runs)
    assert stat.S_ISFIFO(st.st_mode) if kind == "fifo" \
        else stat.S_ISLNK(st.st_mode)
    assert elsewhere.read_text() == ""


@needs_root
def test_replay_trace_on_a_full_disk_names_the_file(byzlab, a_failure):
    with tmpfs("size=16k") as mnt:
        fill(mnt)
        t = os.path.join(mnt, "t.jsonl")
        r = byzlab("replay", "-q", "--trace", t, a_failure)
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert f"--trace: cannot write '{t}': No space left on device" \
            in r.stderr
        assert not os.path.exists(t)
        assert leftovers(mnt) == []


def test_run_trace_refuses_a_fifo(byzlab, tmp_path):
    t = tmp_path / "t.jsonl"
    os.mkfifo(t)
    # the old code opened the FIFO and blocked until a reader came
    r = byzlab("run", "--requests", "2", "--trace", t, timeout=60)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"--trace: '{t}' is a FIFO" in r.stderr
    assert stat.S_ISFIFO(os.lstat(t).st_mode)


def test_keygen_force_does_not_replace_a_symlink(byzlab, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    link = keys / "replica-0.key"
    os.symlink(elsewhere, link)
    r = byzlab("keygen", "--n", "4", "--out", keys, "--force")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"'{link}' is a symbolic link" in r.stderr
    assert os.path.islink(link)
    assert elsewhere.read_text() == "keep\n"
    assert leftovers(keys) == []


def test_selftest_does_not_write_its_table_into_a_fifo(byzlab, tmp_path):
    camp = tmp_path / "safe.yaml"
    camp.write_text(SAFE.replace("seeds: 12", "seeds: 2"))
    out = tmp_path / "st"
    out.mkdir()
    os.mkfifo(out / "selftest.md")
    # the old code opened the FIFO and blocked until a reader came
    r = byzlab("selftest", "--campaign", camp, "--protocol", "pbft",
               "--mutant", "prepared-quorum-2f-1", "--out", out, "-q",
               "--jobs", "2", timeout=120)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert f"results incomplete: '{out}/selftest.md' is a FIFO" in r.stderr
    assert stat.S_ISFIFO(os.lstat(out / "selftest.md").st_mode)
    assert leftovers(out) == []
