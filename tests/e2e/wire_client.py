"""A byzlab client written from docs/wire.md alone (pyzmq and PyNaCl).

It imports and runs nothing of byzlab: it reads key files (docs/wire.md §2,
lib/keyfile.h) and a cluster file's endpoints, builds and signs CLIENT
REQUEST frames (§1, §3, §4.1), sends each inside the ZeroMQ envelope of §11
to every replica, decodes the CLIENT REPLY frames that come back (§4.2,
§5), verifies their signatures with the replicas' public keys (§3), and
accepts a result once f+1 distinct replicas sent the same result for its
timestamp (§4.2). Whatever does not decode or verify is counted in
Client.rejected by the error name of §5, never trusted.

    /usr/bin/python3 tests/e2e/wire_client.py --cluster FILE --id C OP...

sends each operation in turn and prints its result.
"""
import argparse
import hashlib
import os
import struct
import sys
import time

import nacl.exceptions
import nacl.signing
import zmq

# §1 frames
MAGIC = b"BZ"
VERSION = 1
HEADER = 14
SIG = 64
MAX_FRAME = 1 << 20
MAX_BODY = MAX_FRAME - HEADER - SIG
MAX_OP = 1024
MAX_RESULT = 1024
PROTO_CLIENT, REQUEST, REPLY = 0, 1, 2
# §5 step 5: each protocol's types
TYPES = {0: range(1, 3), 1: range(1, 3), 2: range(1, 11), 3: range(1, 8),
         4: range(1, 6), 5: range(1, 7)}
# §2, §3
KEY_DOMAIN = b"byzlab/key/v1\0"
SIGN_DOMAIN = b"byzlab/sig/v1\0"
ROLE_REPLICA, ROLE_CLIENT = 1, 2
# §11 the envelope
ENV_MAGIC = 0x314C5A42
ENV = struct.Struct("<IIIIQQ")
CLIENT_BASE = 0x80000000
MAX_PART = MAX_FRAME + SIG


class WireError(Exception):
    """A frame that does not decode; .name is the error's name in §5."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class NotClientMessage(Exception):
    """A frame whose header is fine but that is no CLIENT message."""


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


# ---- keys (§2) -------------------------------------------------------------

def derive_key(seed, role, ident):
    """The simulation key of (seed, role, id): a nacl SigningKey."""
    material = KEY_DOMAIN + struct.pack("<QBI", seed, role, ident)
    return nacl.signing.SigningKey(blake2b256(material))


def read_key_file(path):
    """A key file as a dict: role, id, public (VerifyKey) and, for a
    secret key file, secret (SigningKey). Strict: the lines of §2 in order."""
    with open(path, "rb") as f:
        text = f.read(4097)
    if len(text) > 4096 or not text.endswith(b"\n") or b"\r" in text:
        raise ValueError(f"{path}: not a key file")
    lines = text[:-1].decode("ascii").split("\n")
    if lines[0] != "byzlab-key v1" or len(lines) not in (4, 5):
        raise ValueError(f"{path}: not a byzlab-key v1 file")
    fields = {}
    for want, line in zip(("role", "id", "public", "secret"), lines[1:]):
        key, _, value = line.partition(" ")
        if key != want:
            raise ValueError(f"{path}: expected '{want}', found '{key}'")
        fields[key] = value
    if fields["role"] not in ("replica", "client"):
        raise ValueError(f"{path}: unknown role {fields['role']!r}")
    public = bytes.fromhex(fields["public"])
    out = {"role": fields["role"], "id": int(fields["id"]),
           "public": nacl.signing.VerifyKey(public)}
    if "secret" in fields:
        secret = bytes.fromhex(fields["secret"])
        if len(secret) != 64 or secret[32:] != public:
            raise ValueError(f"{path}: the secret's public half differs")
        out["secret"] = nacl.signing.SigningKey(secret[:32])
        if bytes(out["secret"].verify_key) != public:
            raise ValueError(f"{path}: the secret does not give the public key")
    return out


def load_key(keys_dir, role, ident, secret=False):
    return read_key_file(os.path.join(
        keys_dir, f"{role}-{ident}.{'key' if secret else 'pub'}"))


# ---- signing (§3) ------------------------------------------------------------

def signing_input(proto, mtype, content):
    """The 48 bytes that are signed for a frame's content."""
    return SIGN_DOMAIN + bytes([proto, mtype]) + blake2b256(content)


def sign(unsigned, key):
    """The signed frame: the unsigned one and its signature (§1, §3)."""
    sig = key.sign(signing_input(unsigned[3], unsigned[4], unsigned)).signature
    return unsigned + sig


def verify(frame, public):
    """Whether a signed frame's own signature verifies with public."""
    content, sig = frame[:-SIG], frame[-SIG:]
    try:
        public.verify(signing_input(content[3], content[4], content), sig)
        return True
    except nacl.exceptions.BadSignatureError:
        return False


# ---- encoding (§1, §4.1, §4.2) ---------------------------------------------

def header(proto, mtype, sender, body_len):
    return MAGIC + bytes([VERSION, proto, mtype, 0]) + struct.pack(
        "<II", sender, body_len)


def encode_request(client, timestamp, op):
    """An unsigned CLIENT REQUEST frame."""
    if timestamp < 1 or not op:
        raise WireError("bad-field")
    if len(op) > MAX_OP:
        raise WireError("too-big")
    body = struct.pack("<QH", timestamp, len(op)) + op
    return header(PROTO_CLIENT, REQUEST, client, len(body)) + body


def encode_reply(replica, view, client, timestamp, result):
    """An unsigned CLIENT REPLY frame (replicas send these; for tests)."""
    if timestamp < 1:
        raise WireError("bad-field")
    if len(result) > MAX_RESULT:
        raise WireError("too-big")
    body = struct.pack("<QIQH", view, client, timestamp, len(result)) + result
    return header(PROTO_CLIENT, REPLY, replica, len(body)) + body


# ---- decoding (§5) -----------------------------------------------------------

def parse_header(buf):
    """Steps 1-9 of §5 for a signed frame: (proto, type, sender, body)."""
    if len(buf) < HEADER:
        raise WireError("truncated")
    if buf[0:2] != MAGIC:
        raise WireError("bad-magic")
    if buf[2] != VERSION:
        raise WireError("bad-version")
    proto, mtype, flags = buf[3], buf[4], buf[5]
    if proto not in TYPES:
        raise WireError("bad-protocol")
    if mtype not in TYPES[proto]:
        raise WireError("bad-type")
    if flags != 0:
        raise WireError("bad-flags")
    sender, length = struct.unpack_from("<II", buf, 6)
    if length > MAX_BODY:
        raise WireError("too-big")
    if len(buf) < HEADER + length + SIG:
        raise WireError("truncated")
    if len(buf) > HEADER + length + SIG:
        raise WireError("bad-length")
    return proto, mtype, sender, buf[HEADER:HEADER + length]


class Reader:
    """Fields front to back; a field the body does not hold: truncated."""

    def __init__(self, body):
        self.body, self.at = body, 0

    def take(self, n):
        if len(self.body) - self.at < n:
            raise WireError("truncated")
        self.at += n
        return self.body[self.at - n:self.at]

    def u(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def end(self):
        if self.at != len(self.body):
            raise WireError("trailing-bytes")


def decode(buf):
    """A signed CLIENT frame, decoded: a dict with kind 'request' or 'reply'
    and its fields. WireError for a malformed frame (§5), NotClientMessage
    for a well-formed header of another protocol."""
    proto, mtype, sender, body = parse_header(buf)
    if proto != PROTO_CLIENT:
        raise NotClientMessage(f"protocol {proto}, type {mtype}")
    r = Reader(body)
    if mtype == REQUEST:
        ts = r.u("<Q")
        if ts == 0:
            raise WireError("bad-field")
        op_len = r.u("<H")
        if op_len == 0:
            raise WireError("bad-field")
        if op_len > MAX_OP:
            raise WireError("too-big")
        op = r.take(op_len)
        r.end()
        return {"kind": "request", "client": sender, "timestamp": ts,
                "op": op}
    view = r.u("<Q")
    client = r.u("<I")
    ts = r.u("<Q")
    if ts == 0:
        raise WireError("bad-field")
    rlen = r.u("<H")
    if rlen > MAX_RESULT:
        raise WireError("too-big")
    result = r.take(rlen)
    r.end()
    return {"kind": "reply", "replica": sender, "view": view,
            "client": client, "timestamp": ts, "result": result}


# ---- the envelope (§11) -------------------------------------------------------

def envelope(frm, to, msg_id, lc, flags=0):
    return ENV.pack(ENV_MAGIC, flags, frm, to, msg_id, lc)


def parse_envelope(part):
    if len(part) != ENV.size:
        raise WireError("bad-envelope")
    magic, flags, frm, to, msg_id, lc = ENV.unpack(part)
    if magic != ENV_MAGIC:
        raise WireError("bad-envelope")
    return {"flags": flags, "from": frm, "to": to, "id": msg_id, "lc": lc}


# ---- the cluster file (nodes/cluster.h): only what a client needs --------------

def read_cluster(path):
    """n, f, keys (a directory), replicas and clients (endpoints) from a
    cluster file written in block style (`key: value`, `- item`)."""
    out = {"replicas": [], "clients": []}
    section = sub = None
    for raw in open(path, encoding="utf-8"):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if text.startswith("- "):
            if section == "cluster" and sub in ("replicas", "clients"):
                out[sub].append(text[2:].strip())
            continue
        key, _, value = text.partition(":")
        value = value.strip()
        if indent == 0:
            section, sub = key, None
            if key in ("n", "f"):
                out[key] = int(value)
        elif section == "cluster":
            sub = key
            if key == "keys":
                out["keys"] = os.path.join(
                    os.path.dirname(os.path.abspath(path)), value)
    n = out.get("n", len(out["replicas"]))
    out["n"] = n
    out.setdefault("f", (n - 1) // 3)
    return out


# ---- the client ------------------------------------------------------------------

class Client:
    """Client `ident` of a cluster: replica endpoints and public keys, its
    own endpoint (where replicas send its replies) and signing key."""

    def __init__(self, ident, key, endpoint, replicas, replica_keys, f,
                 retry=0.5):
        self.id = ident
        self.addr = CLIENT_BASE + ident
        self.key = key
        self.replicas = list(replicas)
        self.replica_keys = list(replica_keys)
        self.f = f
        self.retry = retry
        self.msg_id = (0x400 + ident) << 44
        self.lc = 0
        self.last_ts = 0
        self.rejected = {}  # error name -> count
        self.ctx = zmq.Context()
        self.pull = self.ctx.socket(zmq.PULL)
        self.pull.setsockopt(zmq.LINGER, 0)
        self.pull.setsockopt(zmq.MAXMSGSIZE, MAX_PART)
        self.pull.bind(endpoint)
        self.push = []
        for ep in self.replicas:
            s = self.ctx.socket(zmq.PUSH)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.SNDHWM, 10000)
            s.connect(ep)
            self.push.append(s)

    @classmethod
    def from_cluster(cls, path, ident, key=None, **kw):
        c = read_cluster(path)
        keys = [load_key(c["keys"], "replica", r)["public"]
                for r in range(c["n"])]
        if key is None:
            key = load_key(c["keys"], "client", ident, secret=True)["secret"]
        return cls(ident, key, c["clients"][ident], c["replicas"], keys,
                   c["f"], **kw)

    def close(self):
        for s in self.push + [self.pull]:
            s.close(0)
        self.ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _reject(self, why):
        self.rejected[why] = self.rejected.get(why, 0) + 1

    def send(self, frame):
        """Send a signed frame to every replica, each in its envelope."""
        for r, s in enumerate(self.push):
            self.msg_id += 1
            self.lc += 1
            try:
                s.send_multipart([envelope(self.addr, r, self.msg_id,
                                           self.lc), frame], zmq.NOBLOCK)
            except zmq.Again:
                pass  # its queue is full: as lost on the network

    def check_reply(self, frame):
        """A REPLY frame decoded and verified, or None (counted)."""
        try:
            m = decode(frame)
        except WireError as e:
            self._reject(e.name)
            return None
        except NotClientMessage:
            self._reject("not-a-reply")
            return None
        if m["kind"] != "reply":
            self._reject("not-a-reply")
            return None
        if m["replica"] >= len(self.replica_keys):
            self._reject("unknown-signer")
            return None
        if not verify(frame, self.replica_keys[m["replica"]]):
            self._reject("bad-signature")
            return None
        return m

    def receive(self, timeout):
        """The next message's frame, or None after timeout seconds."""
        if not self.pull.poll(int(timeout * 1000)):
            return None
        parts = self.pull.recv_multipart()
        if len(parts) != 2:
            self._reject("bad-envelope")
            return None
        try:
            env = parse_envelope(parts[0])
        except WireError as e:
            self._reject(e.name)
            return None
        self.lc = max(self.lc, env["lc"])
        return parts[1]

    def submit(self, op, timestamp=None, timeout=10.0, frame=None):
        """Send op and wait for f+1 matching replies: the result (bytes),
        or None at the timeout. frame: send this signed frame instead of
        the one built for op (a test's forgery)."""
        if isinstance(op, str):
            op = op.encode()
        # Replicas ignore a timestamp not above the last they executed
        # for this client (§4.2): microseconds of the wall clock, rising.
        ts = timestamp or max(time.time_ns() // 1000, self.last_ts + 1)
        self.last_ts = max(self.last_ts, ts)
        if frame is None:
            frame = sign(encode_request(self.id, ts, op), self.key)
        got = {}  # replica -> result: a replica's later reply replaces it
        deadline = time.monotonic() + timeout
        resend = 0.0
        while True:
            now = time.monotonic()
            if now >= deadline:
                return None
            if now >= resend:
                self.send(frame)
                resend = now + self.retry
            part = self.receive(min(deadline, resend) - now)
            if part is None:
                continue
            m = self.check_reply(part)
            if not m or m["client"] != self.id or m["timestamp"] != ts:
                continue
            got[m["replica"]] = m["result"]
            same = sum(1 for v in got.values() if v == m["result"])
            if same >= self.f + 1:
                return m["result"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--id", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("ops", nargs="+")
    a = ap.parse_args(argv)
    with Client.from_cluster(a.cluster, a.id) as c:
        for op in a.ops:
            result = c.submit(op, timeout=a.timeout)
            if result is None:
                print(f"{op}: no f+1 matching replies", file=sys.stderr)
                return 1
            print(result.decode(errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
