/*
 * wire.h - the canonical binary encoding of every byzlab message.
 *
 * docs/wire.md is the byte-by-byte specification; this header is its C
 * face. Every message travels as a *frame*:
 *
 *     off  size  field
 *     0    2     magic "BZ" (0x42 0x5a)
 *     2    1     version (WIRE_VERSION = 1)
 *     3    1     protocol (0 client, else a registered protocol)
 *     4    1     type (per protocol)
 *     5    1     flags (reserved, must be 0)
 *     6    4     sender, u32 little-endian (a replica id, or for a client
 *                REQUEST the client id)
 *     10   4     body length L, u32 little-endian
 *     14   L     body (per protocol and type)
 *     14+L 64    Ed25519 signature by sender over bytes [0, 14+L) as
 *                (protocol, type): see crypto.h for the signing input
 *
 * A core produces *unsigned* frames (header and body, no signature); the
 * driver signs them at egress (wire_sign). A signed frame may be embedded,
 * whole, inside another message's body (client requests inside a batch,
 * votes inside certificates); every embedded signature is found
 * by wire_for_each_sig and verified at ingress before a core sees anything.
 *
 * Decoding works in place: a decoded message points into the caller's
 * buffer and allocates nothing, so it is valid only as long as that buffer.
 * Decoding never reads outside [buf, buf+len), never aborts, and returns a
 * distinct code from err.h for each kind of malformed input. All integers
 * are little-endian; every field has exactly one valid encoding, so a
 * decoded message re-encodes to the same bytes.
 */
#ifndef BYZ_WIRE_H
#define BYZ_WIRE_H

#include "crypto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_VERSION	  1
#define WIRE_HEADER_BYTES 14
#define WIRE_MAX_FRAME	  (1u << 20) /* a whole signed frame, bytes */
#define WIRE_MAX_OP	  1024	     /* a client operation, bytes */
#define WIRE_MAX_RESULT	  1024	     /* a reply's result, bytes */
#define WIRE_MAX_DEPTH	  6	     /* frames embedded in frames, at most */

/* The frame header's protocol byte. 0 is the client's requests and replies
 * (shared by every protocol); every other value belongs to one protocol,
 * which registers its codec (below) under it. */
#define BYZ_PROTO_CLIENT 0
#define WIRE_MAX_PROTO	 15 /* protocol bytes are 0..WIRE_MAX_PROTO */
#define WIRE_MAX_TYPE	 15 /* a protocol's types are 1..WIRE_MAX_TYPE */

enum wire_client_type {
	WIRE_CLIENT_REQUEST = 1,
	WIRE_CLIENT_REPLY = 2,
};

/* A parsed frame header, pointing into the caller's buffer. */
struct wire_frame {
	uint8_t proto, type;
	uint32_t sender;
	const uint8_t *bytes; /* start of the frame */
	const uint8_t *body;  /* bytes + WIRE_HEADER_BYTES */
	uint32_t body_len;
	size_t signed_len;  /* WIRE_HEADER_BYTES + body_len */
	const uint8_t *sig; /* bytes + signed_len, or NULL if unsigned */
	size_t len;	    /* whole frame: signed_len (+ 64 if signed) */
};

/* CLIENT REQUEST body: timestamp u64 (>= 1), op length u16 (1..WIRE_MAX_OP),
 * op bytes. The client is the frame's sender. */
struct wire_request {
	uint32_t client;
	uint64_t timestamp;
	const uint8_t *op;
	uint16_t op_len;
};

/* CLIENT REPLY body: view u64, client u32, timestamp u64 (>= 1), result
 * length u16 (0..WIRE_MAX_RESULT), result bytes. Sender: the replica. */
struct wire_reply {
	uint64_t view;
	uint32_t client;
	uint64_t timestamp;
	const uint8_t *result;
	uint16_t result_len;
};

/* One signature a decoded message carries, to be verified at ingress. */
struct wire_sigref {
	uint8_t proto, type;
	enum byz_role role; /* whose name space signer is in */
	uint32_t signer;
	const uint8_t *content; /* the signed bytes: header and body */
	size_t len;
	const uint8_t *sig;
};

typedef int (*wire_sig_fn)(void *ctx, const struct wire_sigref *ref);

/* ---- building blocks for the protocols' codecs (lib/NAME/) --------------- */

/* A bounded cursor over a body: every read checks the bytes are there
 * (BYZ_ETRUNC otherwise) and moves past them. */
struct wire_rd {
	const uint8_t *p;
	size_t left;
};

int wire_rd_u8(struct wire_rd *r, uint8_t *v);
int wire_rd_u16(struct wire_rd *r, uint16_t *v);
int wire_rd_u32(struct wire_rd *r, uint32_t *v);
int wire_rd_u64(struct wire_rd *r, uint64_t *v);
/* Take n bytes in place. */
int wire_rd_bytes(struct wire_rd *r, size_t n, const uint8_t **out);
/* BYZ_ETRAILING if bytes are left, else 0. */
int wire_rd_end(const struct wire_rd *r);

/*
 * One embedded signed frame: u32 length, then the frame. It must decode
 * completely (wire_decode, recursively) and be of kind (proto, type), else
 * BYZ_ENEST. *out is its header.
 */
int wire_rd_frame(struct wire_rd *r, uint8_t proto, uint8_t type,
		  struct wire_frame *out);

/*
 * A list of embedded signed frames: u16 count (at most max, else
 * BYZ_ETOOBIG), then count times (u32 length, frame), each checked as by
 * wire_rd_frame. The list stays in place; walk it with wire_frames_next.
 */
struct wire_frames {
	const uint8_t *p; /* the first element's length field */
	size_t len;	  /* bytes of all elements */
	uint16_t count;
};

int wire_rd_frames(struct wire_rd *r, uint8_t proto, uint8_t type, uint16_t max,
		   struct wire_frames *out);

struct wire_msg;
/* Decode the next frame of a checked list into *m: 1, or 0 at the end
 * (*pos starts at 0). */
int wire_frames_next(const struct wire_frames *l, size_t *pos,
		     struct wire_msg *m);
/* Call fn for every frame of a checked list, in order (for a codec's
 * for_each_embedded). */
typedef int (*wire_frame_fn)(void *ctx, const struct wire_frame *f);
int wire_frames_each(const struct wire_frames *l, wire_frame_fn fn, void *ctx);

/*
 * The frames of a checked list gathered into arrays, for an encoder that
 * takes them so (re-encoding a decoded message: a codec's reencode).
 * Allocated; wire_framev_free frees them. 0, BYZ_ENOMEM, or BYZ_EFIELD if
 * walking the list does not give exactly its count and length.
 */
struct wire_framev {
	const uint8_t **frames;
	size_t *lens;
	size_t count;
};
int wire_frames_gather(const struct wire_frames *l, struct wire_framev *v);
void wire_framev_free(struct wire_framev *v);

/* Append one embedded frame: u32 length, then the bytes. */
struct wire_buf;
void wire_put_frame(struct wire_buf *b, const uint8_t *frame, size_t len);

/*
 * What a protocol registers for its messages (its folder's NAME_wire_codec,
 * listed in lib/protocols.list; see protocol.h). wire.c reaches every
 * protocol through these, and nothing in lib/ outside a protocol's folder
 * knows any protocol's messages.
 */
struct wire_codec {
	const char *name; /* the protocol's name, as users write it */
	uint8_t proto;	  /* its protocol byte, 1..WIRE_MAX_PROTO */
	bool (*type_known)(uint8_t type); /* only types 1..WIRE_MAX_TYPE */
	const char *(*type_name)(uint8_t type);
	/* Decode the body of a parsed frame of this protocol into out->u. */
	int (*decode)(const struct wire_frame *f, struct wire_msg *out);
	/* Call fn for every frame m embeds directly, in the order they
	 * appear in its body (a batch's requests, a certificate's votes, a
	 * view-change's prepared certificates); stop at and return the
	 * first non-zero answer. wire_for_each_sig recurses through it. NULL
	 * if the protocol's messages embed no frame. */
	int (*for_each_embedded)(const struct wire_msg *m, wire_frame_fn fn,
				 void *ctx);
	/* The view a message belongs to (0 if none): the adversary's
	 * "stale" rewrites and the trace read it. */
	uint64_t (*view)(const struct wire_msg *m);
	/* The protocol's round of a message, for the attack language's
	 * `rounds=` windows (attack.h): the unit in which the protocol makes
	 * progress (a sequence number, a view). View-change traffic that is
	 * not in a round of its own answers WIRE_VIEW_ROUND + the view it
	 * moves to (written `rounds=vA-vB`). 0: no round. */
	uint64_t (*round)(const struct wire_msg *m);
	/* Append m again, unsigned, through the protocol's own encoders: the
	 * fuzz target checks that every decoded frame re-encodes to the same
	 * bytes (docs/wire.md: one valid encoding per message). */
	int (*reencode)(const struct wire_msg *m, struct wire_buf *b);
	/* Write m's fields for people into buf (NUL-terminated, cut to len):
	 * "v=1 n=3 d=ab12cd34", digests as their first 4 bytes in hex. The
	 * golden traces of tests/golden.c print it after the type name.
	 * 0, or BYZ_EINVAL for a type the protocol does not know. */
	int (*describe)(const struct wire_msg *m, char *buf, size_t len);
};

/* Rounds from here on are views of view-change traffic (codec round). */
#define WIRE_VIEW_ROUND ((uint64_t)1 << 62)

/* The registered codecs (lib/registry.c, from lib/protocols.list),
 * NULL-terminated; and the one for a protocol byte, or NULL. */
extern const struct wire_codec *const wire_codecs[];
const struct wire_codec *wire_codec_of(uint8_t proto);

/*
 * A decoded message. The client's messages have their own members; a
 * protocol's decoder fills the body storage with its own struct (of at
 * most WIRE_MSG_BODY_BYTES, checked where the protocol defines it), and
 * reads it back through its accessor (NAME_of(m)). wire.h itself
 * knows no protocol's messages.
 */
#define WIRE_MSG_BODY_BYTES 256
struct wire_msg {
	struct wire_frame frame;
	union {
		struct wire_request request;
		struct wire_reply reply;
		max_align_t align_;
		unsigned char body[WIRE_MSG_BODY_BYTES];
	} u;
};

/* The protocol's message struct inside m, with m's constness: for a
 * protocol's accessor macro (NAME_of in lib/NAME/NAME_wire.h). */
#define WIRE_MSG_BODY(type, m)                                                 \
	_Generic((m), const struct wire_msg *: (const type *)(const void *)(m)->u.body, \
		 struct wire_msg *: (type *)(void *)(m)->u.body)

/*
 * Parse a frame header and check the frame's extent: with is_signed the
 * input must be exactly 14 + L + 64 bytes, otherwise exactly 14 + L.
 * Checks magic, version, known protocol, known type, flags, and limits; does
 * not look inside the body.
 */
int wire_frame_parse(const uint8_t *buf, size_t len, bool is_signed,
		     struct wire_frame *out);

/* Parse a signed frame and decode its body (and any embedded frames). */
int wire_decode(const uint8_t *buf, size_t len, struct wire_msg *out);

/* Parse an unsigned frame (a core's output) and decode its body. */
int wire_decode_unsigned(const uint8_t *buf, size_t len, struct wire_msg *out);

/*
 * Call fn once for every signature m carries: its own first, then those of
 * embedded frames in the order they appear. Stops at, and returns, the
 * first non-zero value fn returns; 0 otherwise.
 */
int wire_for_each_sig(const struct wire_msg *m, wire_sig_fn fn, void *ctx);

/* "client", a registered protocol's name, or "unknown". */
const char *wire_proto_name(uint8_t proto);
/* "request", "reply", a registered protocol's type name, or "unknown". */
const char *wire_type_name(uint8_t proto, uint8_t type);

/*
 * An append-only byte buffer for encoding. Errors are sticky: after the
 * first failure (allocation, or growth past max) every append is ignored
 * and err holds the code; encoders return err.
 */
struct wire_buf {
	uint8_t *data;
	size_t len, cap, max;
	int err;
};

void wire_buf_init(struct wire_buf *b, size_t max);
void wire_buf_free(struct wire_buf *b);
void wire_buf_reset(struct wire_buf *b); /* len = 0, err = 0; keeps memory */

void wire_put_u8(struct wire_buf *b, uint8_t v);
void wire_put_u16(struct wire_buf *b, uint16_t v);
void wire_put_u32(struct wire_buf *b, uint32_t v);
void wire_put_u64(struct wire_buf *b, uint64_t v);
void wire_put_bytes(struct wire_buf *b, const void *p, size_t n);

/* Start a frame: writes the header with a zero body length; returns the
 * frame's start offset. */
size_t wire_begin(struct wire_buf *b, uint8_t proto, uint8_t type,
		  uint32_t sender);
/* Finish the frame started at start: patch the body length. Returns 0, or
 * b->err, or BYZ_ETOOBIG when the frame would exceed WIRE_MAX_FRAME. */
int wire_end(struct wire_buf *b, size_t start);
/* wire_end, then decode the frame just written at [start, b->len) as an
 * unsigned frame: an encoder's check that what it wrote is what the
 * decoder accepts. On a decoding failure the frame is taken back
 * (b->len = start) and the decoder's error returned. *out_start (may be
 * NULL) is set to start on success. */
int wire_end_checked(struct wire_buf *b, size_t start, size_t *out_start);
/* Append kp's signature over the unsigned frame at [start, b->len). */
int wire_sign(struct wire_buf *b, size_t start, const struct byz_keypair *kp);

/* Message encoders: each appends one unsigned frame and returns 0 or an
 * error (BYZ_ETOOBIG / BYZ_EFIELD for arguments outside the format's
 * ranges). If start is not NULL it receives the frame's offset. */
int wire_enc_request(struct wire_buf *b, size_t *start, uint32_t client,
		     uint64_t timestamp, const uint8_t *op, size_t op_len);
/* A message for people: "NAME/TYPE" and the fields its codec describes
 * ("NAME/prepare v=1 n=3 d=ab12cd34"; the client's messages are described
 * here). For golden traces, notes and tools. */
void wire_describe(const struct wire_msg *m, char *buf, size_t cap);
/* The same for a frame, signed or not; "??? (N bytes: error)" if it does
 * not decode. */
void wire_describe_frame(const uint8_t *frame, size_t len, bool is_signed,
			 char *buf, size_t cap);

int wire_enc_reply(struct wire_buf *b, size_t *start, uint32_t replica,
		   uint64_t view, uint32_t client, uint64_t timestamp,
		   const uint8_t *result, size_t result_len);

#endif
