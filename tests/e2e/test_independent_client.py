"""A client written from docs/wire.md alone (wire_client.py: pyzmq and
PyNaCl, no byzlab code) against real `byzlab node` processes: proof that
the wire format, the signing input and the envelope are documented exactly
and that the signatures are standard Ed25519.

The unit-level tests check it against the document's test vector (§8), the
header and client frames of the corpus (§7) and a flipped signature byte;
the cluster tests run `put` then `get` through 4 replicas, PBFT and
HotStuff, and a request signed with the wrong key, which the replicas
reject without answering.
"""
import glob
import os
import re
import signal
import subprocess
import sys
import time

import nacl.signing
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire_client as wc  # noqa: E402

SRC = os.environ.get("BYZLAB_SRC") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(SRC, "docs", "wire.md")
CORPUS = os.path.join(SRC, "tests", "corpus", "wire")
# docs/wire.md §5's error names; §7's keys: seed 1, and for the ingress
# errors a node that knows replicas 0..3 and clients 0..7.
ERRORS = ["truncated", "bad-magic", "bad-version", "bad-protocol", "bad-type",
          "bad-flags", "bad-length", "too-big", "trailing-bytes", "bad-field",
          "bad-nested", "bad-signature", "unknown-signer"]
CORPUS_SEED, CORPUS_REPLICAS, CORPUS_CLIENTS = 1, 4, 8


# ---- against the document and the corpus ------------------------------------

def test_the_documents_test_vector():
    text = open(DOC, encoding="utf-8").read()
    want = re.search(r"The whole frame in one line:\n\n    ([0-9a-f]+)\n",
                     text).group(1)
    key = wc.derive_key(1, wc.ROLE_CLIENT, 0)
    assert bytes(key.verify_key).hex() == (
        "1fe516bf7d54279242d70e2501c1c2a8b95c8422d5b50230e9327e285191f2a9")
    frame = wc.sign(wc.encode_request(0, 1, b"put k v"), key)
    assert frame.hex() == want
    assert frame == open(os.path.join(
        CORPUS, "ok-client-request-vector.bin"), "rb").read()
    m = wc.decode(frame)
    assert (m["client"], m["timestamp"], m["op"]) == (0, 1, b"put k v")
    assert wc.verify(frame, key.verify_key)


def expected(name):
    """The outcome a corpus file's name states: 'ok', an error name, or
    None (no expectation)."""
    if name.startswith("ok-"):
        return "ok"
    if not name.startswith("err-"):
        return None
    names = [e for e in ERRORS if name.startswith(f"err-{e}-")]
    return max(names, key=len) if names else None


def outcome(frame, want):
    """What wire_client makes of a corpus frame: an error name, 'ok', or
    None for a frame whose header is fine but is not a CLIENT message."""
    try:
        m = wc.decode(frame)
    except wc.WireError as e:
        return e.name
    except wc.NotClientMessage:
        return None
    role = wc.ROLE_CLIENT if m["kind"] == "request" else wc.ROLE_REPLICA
    signer = m["client"] if m["kind"] == "request" else m["replica"]
    if want in ("bad-signature", "unknown-signer"):
        known = CORPUS_CLIENTS if role == wc.ROLE_CLIENT else CORPUS_REPLICAS
        if signer >= known:
            return "unknown-signer"
    key = wc.derive_key(CORPUS_SEED, role, signer)
    return "ok" if wc.verify(frame, key.verify_key) else "bad-signature"


def test_headers_and_client_frames_agree_with_the_corpus():
    checked, ok = 0, []
    wrong = []
    for path in sorted(glob.glob(os.path.join(CORPUS, "*.bin"))):
        name = os.path.basename(path)[:-4]
        want = expected(name)
        if want is None:
            continue
        got = outcome(open(path, "rb").read(), want)
        if got is None:  # another protocol's body: not the client's job
            continue
        checked += 1
        if got == "ok":
            ok.append(name)
        if got != want:
            wrong.append(f"{name}: expected {want}, wire_client gave {got}")
    assert not wrong, "\n".join(wrong)
    # Every header error of the corpus, and every client frame.
    assert checked >= 80, checked
    assert sorted(ok) == sorted(
        os.path.basename(p)[:-4]
        for p in glob.glob(os.path.join(CORPUS, "ok-client-*.bin")))


def test_a_flipped_signature_byte_fails_verification(tmp_path):
    key = wc.derive_key(7, wc.ROLE_REPLICA, 2)
    frame = wc.sign(wc.encode_reply(2, 0, 0, 5, b"value v"), key)
    assert wc.verify(frame, key.verify_key)
    for i in (0, 31, 32, 63):  # R and S halves, first and last bytes
        bad = bytearray(frame)
        bad[len(frame) - 64 + i] ^= 0x01
        assert not wc.verify(bytes(bad), key.verify_key)
    # So does a reply signed with another key, or with the client name
    # space's key of the same id (§2).
    other = wc.derive_key(7, wc.ROLE_CLIENT, 2)
    assert not wc.verify(wc.sign(frame[:-64], other), key.verify_key)
    # The client counts such a reply and never accepts it.
    keys = [wc.derive_key(7, wc.ROLE_REPLICA, r).verify_key for r in range(4)]
    ep = f"ipc://@byzlab-pyclient-{os.getpid()}-unit"
    with wc.Client(0, wc.derive_key(7, wc.ROLE_CLIENT, 0), ep, [], keys,
                   1) as c:
        assert c.check_reply(frame)["result"] == b"value v"
        bad = bytearray(frame)
        bad[-1] ^= 0x80
        assert c.check_reply(bytes(bad)) is None
        assert c.rejected == {"bad-signature": 1}


# ---- against a cluster of byzlab node processes ------------------------------

def binary():
    path = os.environ.get("BYZLAB") or os.path.join(SRC, "build", "byzlab")
    if not os.path.exists(path):
        pytest.fail(f"byzlab binary not found at {path}; set BYZLAB")
    return path


def write_cluster(d, protocol, n=4):
    tag = f"byzlab-pyclient-{os.getpid()}-{protocol}"
    lines = [f"protocol: {protocol}", f"n: {n}", "f: 1", "clients: 1",
             "cluster:", "  keys: keys", "  data: data", "  replicas:"]
    lines += [f"    - ipc://@{tag}-r{r}" for r in range(n)]
    lines += ["  clients:", f"    - ipc://@{tag}-c0"]
    path = d / "cluster.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    end = time.monotonic() + 3
    for p in procs:
        try:
            p.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def rejected_count(status):
    if not status.exists():
        return 0
    m = re.search(r"^rejected (\d+)$", status.read_text(), re.M)
    return int(m.group(1)) if m else 0


@pytest.mark.parametrize("protocol", ["pbft", "hotstuff"])
def test_put_then_get_through_real_replicas(tmp_path, protocol):
    byzlab = binary()
    r = subprocess.run([byzlab, "keygen", "--n", "4", "--clients", "1",
                        "--out", "keys"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    cluster = write_cluster(tmp_path, protocol)
    procs = []
    try:
        for i in range(4):
            log = open(tmp_path / f"node{i}.log", "w")
            procs.append(subprocess.Popen(
                [byzlab, "node", "--cluster", str(cluster), "--id", str(i)],
                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        value = f"v{os.getpid()}"
        with wc.Client.from_cluster(str(cluster), 0) as c:
            assert c.f == 1 and len(c.replicas) == 4
            assert c.submit(f"put k {value}", timeout=6) == b"ok"
            assert c.submit("get k", timeout=6) == f"value {value}".encode()
            assert not c.rejected, c.rejected

            # Signed with the wrong key (a replica's, for client 0's
            # request): every replica rejects it, and nobody answers.
            wrong = wc.load_key(tmp_path / "keys", "replica", 0,
                                secret=True)["secret"]
            ts = c.last_ts + 1
            forged = wc.sign(wc.encode_request(0, ts, b"put k forged"), wrong)
            assert c.submit(None, timestamp=ts, timeout=1.5,
                            frame=forged) is None
            assert not c.rejected, c.rejected
            assert c.submit("get k", timeout=6) == f"value {value}".encode()

        deadline = time.monotonic() + 3
        for i in range(4):
            data = tmp_path / "data" / f"replica-{i}"
            trace = (data / "trace.jsonl").read_text()
            assert re.search(r'"ev":"reject".*"why":"bad-signature"', trace), i
            while (rejected_count(data / "status") == 0
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            assert rejected_count(data / "status") > 0, i
        for p in procs:
            assert p.poll() is None, "a replica exited"
    finally:
        stop(procs)
