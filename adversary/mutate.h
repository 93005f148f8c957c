/*
 * mutate.h - the protocol-aware half of the adversary: rewrite a signed
 * frame sent by a Byzantine replica into a different message, re-signed
 * with that replica's key.
 *
 * The adversary holds the private keys of the replicas it has corrupted,
 * and only theirs (ARCHITECTURE.md, "The adversary"). So a mutation only
 * ever re-signs the frame it is given (after checking that the key given
 * is the one that signed it) and, inside it, embedded frames signed by
 * that same replica (a timeout's own last vote, say). Every other embedded
 * frame (the votes of a certificate, the requests of a batch) is copied
 * verbatim, moved, duplicated or dropped, never altered: the result always
 * decodes and every signature it carries verifies, so it reaches the
 * honest cores, and the only thing standing between it and a safety
 * violation is the rule of the paper each mutation names.
 *
 * The mutations are protocol-neutral ideas (below); each protocol's
 * folder carries them out on its own messages (lib/NAME/NAME_mutate.c,
 * registered as NAME_adv_rewrites), and its header comment lists which
 * message types each mutation touches and which rule of its paper stops
 * it. A message a mutation does not apply to answers ADV_MUT_SKIP.
 *
 * Everything here is pure and deterministic: the same frame, key,
 * mutation and conflict map give the same bytes (Ed25519 signatures are
 * deterministic, RFC 8032); no clock, no randomness, no I/O.
 *
 * A mutation that would give back the very same message (a prepared set
 * already empty, a genesis certificate, ...) also answers ADV_MUT_SKIP:
 * success always means a different message.
 */
#ifndef BYZ_ADV_MUTATE_H
#define BYZ_ADV_MUTATE_H

#include "crypto.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

enum adv_mutation {
	/* A conflicting proposal: the same slot (view, and sequence number or
	 * justification) with another batch: the requests in reverse order
	 * if there are >= 2 (emptied if reversing changes nothing, e.g. two
	 * copies of one request); a batch of one request gets another
	 * client's request offered to the map (adv_conflicts_offer), or is
	 * emptied if there is none; SKIP if it is already empty. Records
	 * (original digest -> new digest) in the conflict map, with the
	 * digest the protocol's votes name. */
	ADV_MUT_CONFLICT = 1,
	/* A vote that follows the conflict: a vote whose digest is in the
	 * conflict map gets the conflicting one (and a message that embeds
	 * the sender's own such vote gets it rewritten and re-signed). Not in
	 * the map (or no map): SKIP. */
	ADV_MUT_FOLLOW,
	/* Double voting: a vote for the same slot with another digest: the
	 * map's conflict for it if there is one, else the original it
	 * conflicts with if it is itself a conflict, else
	 * BLAKE2b-256("byzlab/adv/other/v1\0" || digest). A checkpoint-like
	 * vote on state: the same with the state digest. */
	ADV_MUT_OTHER_DIGEST,
	/* The same message from the view before; the rest of the content is
	 * kept verbatim. View already minimal: SKIP. */
	ADV_MUT_STALE,
	/* A certificate with a duplicate signer: in each certificate list of
	 * the message the last frame is replaced by a copy of the first.
	 * Lists of < 2 frames stay; nothing changed: SKIP. */
	ADV_MUT_CERT_DUP,
	/* A certificate with too few signers: the same lists, each with >= 1
	 * frame loses its last. Nothing changed: SKIP. */
	ADV_MUT_CERT_SHORT,
	/* Withheld view-change content: the view-change message keeps its
	 * form but reports nothing the sender prepared or certified (an
	 * empty prepared set, a genesis certificate). Other types: SKIP. */
	ADV_MUT_WITHHOLD,
	/* A fork below what may be decided: a leader's proposal extends the
	 * oldest certified block instead of the newest (a chained protocol:
	 * justified by the genesis certificate), or a new leader's view
	 * change proposes null requests for every slot it must carry over,
	 * its proposals re-signed. What the lock and the view change's own
	 * check stop (each protocol's rewrites say which). Other types:
	 * SKIP. */
	ADV_MUT_FORK,
	/* A certificate mixing votes for two things: the sender's own vote
	 * in a certificate it sends, re-signed for another digest
	 * (adv_other_digest); the rest verbatim. Chained protocols' QCs
	 * only; without the sender's vote in it: SKIP. */
	ADV_MUT_CERT_MIX,
	/* A proposal for a view far ahead (64 n views on, led by the same
	 * replica under the rotation), entering it by a timeout certificate
	 * that holds only the sender's own TIMEOUT for the view before
	 * (re-signed); the block otherwise the same. What the pacemaker's
	 * check of a TC stops. Chained protocols only; other types: SKIP. */
	ADV_MUT_JUMP,
};

#define ADV_MUT_FIRST ADV_MUT_CONFLICT
#define ADV_MUT_LAST  ADV_MUT_JUMP

/* adv_mutate's answer when the mutation does not apply to the message (a
 * positive value: never an err.h code). */
#define ADV_MUT_SKIP 1

/*
 * The conflict map: original digest -> conflicting digest, as ADV_MUT_CONFLICT
 * made them, for ADV_MUT_FOLLOW and ADV_MUT_OTHER_DIGEST. A fixed-size ring:
 * putting a digest already there updates it in place, a new one takes the
 * next slot and overwrites the oldest entry once all are used. Lookups scan
 * the slots newest first, so the answer depends only on the sequence of
 * puts (deterministic, no addresses, no hashing of pointers). Plain data: it
 * may be copied, compared and zeroed (a zeroed map is an empty one).
 */
#define ADV_CONFLICT_SLOTS 512

struct adv_conflict {
	uint8_t from[BYZ_DIGEST_BYTES];
	uint8_t to[BYZ_DIGEST_BYTES];
};

/* Client requests seen in flight, for conflicting one-request batches. */
#define ADV_SPARE_SLOTS 8
#define ADV_SPARE_BYTES 1024

struct adv_spare {
	size_t len;
	uint8_t frame[ADV_SPARE_BYTES]; /* a signed CLIENT REQUEST frame */
};

struct adv_conflicts {
	struct adv_conflict slot[ADV_CONFLICT_SLOTS];
	uint32_t used; /* slots filled, at most ADV_CONFLICT_SLOTS */
	uint32_t next; /* the slot the next new entry goes to */
	struct adv_spare spare[ADV_SPARE_SLOTS];
	uint32_t spare_used, spare_next;
};

/* Offer a signed CLIENT REQUEST frame seen in flight (kept if it fits in
 * ADV_SPARE_BYTES; the oldest of ADV_SPARE_SLOTS goes). A conflicting
 * proposal for a one-request batch carries another such request instead
 * of an empty batch: a Byzantine leader may order any request a client
 * signed (OSDI'99 §4.2 only asks that it be authentic). */
void adv_conflicts_offer(struct adv_conflicts *m, const uint8_t *req,
			 size_t len);

void adv_conflicts_init(struct adv_conflicts *m);
/* Record from -> to. 0, or BYZ_EINVAL for from == to (not a conflict). */
int adv_conflicts_put(struct adv_conflicts *m,
		      const uint8_t from[BYZ_DIGEST_BYTES],
		      const uint8_t to[BYZ_DIGEST_BYTES]);
/* The conflicting digest recorded for from, or NULL. Points into m. */
const uint8_t *adv_conflicts_get(const struct adv_conflicts *m,
				 const uint8_t from[BYZ_DIGEST_BYTES]);
/* The reverse: the original that `to` was made to conflict with, or NULL. */
const uint8_t *adv_conflicts_origin(const struct adv_conflicts *m,
				    const uint8_t to[BYZ_DIGEST_BYTES]);

/*
 * Rewrite the signed frame (frame, len), whose sender is the Byzantine
 * replica holding `key`, by mutation `mut`; n and f are the cluster's. On
 * success returns 0 and `out` (reset first) holds the new signed frame, signed
 * with key; out->max must leave room for it (else BYZ_ELIMIT). Otherwise `out`
 * is left empty and the answer is: ADV_MUT_SKIP  the mutation does not apply to
 * this message (type or content), including client frames and those of a
 *                 protocol without rewrites;
 *   < 0           an err.h code: the frame does not decode (its code), the
 *                 frame's own signature is not key's (BYZ_EBADSIG: the
 *                 adversary never re-signs another replica's message), an
 *                 unknown mutation or a bad argument (BYZ_EINVAL), or
 *                 out's own error (BYZ_ELIMIT, BYZ_ENOMEM).
 * frame must not lie in out's storage (BYZ_EINVAL: the result would
 * overwrite its input; alternate two buffers to chain mutations).
 * map may be NULL: CONFLICT then records nothing and FOLLOW always skips.
 * Pure and deterministic; map is written only by a successful CONFLICT.
 */
int adv_mutate(enum adv_mutation mut, const uint8_t *frame, size_t len,
	       const struct byz_keypair *key, uint32_t n, uint32_t f,
	       struct adv_conflicts *map, struct wire_buf *out);

/*
 * The view a frame belongs to, as its protocol's codec says (wire.h,
 * view); a CLIENT REPLY: its view. Anything else, or a frame that does not
 * decode as a signed frame: 0.
 */
uint64_t adv_frame_view(const uint8_t *frame, size_t len);
/* The same for a message already decoded. */
uint64_t adv_msg_view(const struct wire_msg *m);

/* ---- the coalition's view of a protocol (equivocate, adversary.c) ------- */

/*
 * What the coalition needs to know of a frame to show each half of the
 * honest replicas its own branch (docs/attacks.md, equivocate): a block's
 * hash and parent, the block a vote names, the block a timeout's high
 * certificate names. Only protocols whose votes go to one replica (the
 * next leader) answer; the others skip (where votes are broadcast, the
 * plain rewrites already reach each half).
 */
enum adv_link_kind {
	ADV_LINK_OTHER = 0,
	ADV_LINK_PROPOSAL, /* hash: the block; parent: its justify's block */
	ADV_LINK_VOTE,	   /* hash: the block voted for */
	ADV_LINK_TIMEOUT,  /* parent: the high certificate's block */
};

struct adv_links {
	enum adv_link_kind kind;
	uint32_t sender;
	uint64_t view;
	uint64_t parent_view; /* the certificate's view (PROPOSAL, TIMEOUT) */
	bool has_tc;	      /* a PROPOSAL carrying a timeout certificate */
	uint8_t hash[BYZ_DIGEST_BYTES];
	uint8_t parent[BYZ_DIGEST_BYTES];
};

/* Read the links of a signed frame: 0, or ADV_MUT_SKIP (a frame that does
 * not decode, a client frame, a protocol without coalition support). */
int adv_links(const uint8_t *frame, size_t len, struct adv_links *l);

/* A certificate the coalition assembled from votes seen in flight. */
struct adv_cert {
	uint64_t view;
	uint8_t hash[BYZ_DIGEST_BYTES];
	const uint8_t *const *frames;
	const size_t *lens;
	size_t count;
};

/*
 * Replica `voter`'s own message (signed with key, its key) siding with
 * the signed frame msg of another replica, in out: for a PROPOSAL, its vote
 * for that block; for a TIMEOUT, its own TIMEOUT for the same view, with
 * cert as its high certificate (NULL: the genesis one) and no vote.
 * 0, ADV_MUT_SKIP (other types, other protocols), or an error.
 */
int adv_endorse(const uint8_t *msg, size_t len, uint32_t voter,
		const struct byz_keypair *key, const struct adv_cert *cert,
		struct wire_buf *out);

/*
 * The PROPOSAL prop (signed by key's owner) moved onto another branch:
 * the same view and timeout certificate, justified by cert (a certificate
 * of distinct signed votes, copied verbatim), with the batch conflicting
 * with the original one (ADV_MUT_CONFLICT's batch); re-signed with key, in
 * out. Records (original block -> new block) in map. 0, ADV_MUT_SKIP, or
 * an error (BYZ_EBADSIG: prop is not key's).
 */
int adv_extend(const uint8_t *prop, size_t len, const struct byz_keypair *key,
	       const struct adv_cert *cert, struct adv_conflicts *map,
	       struct wire_buf *out);

/*
 * A proposal by a replica that does not lead: the proposal prop of another
 * replica (the leader), received by Byzantine replica `usurper` (key is its
 * key), made the usurper's own (sender = usurper, signed with key) with a
 * conflicting batch (ADV_MUT_CONFLICT's). Each protocol picks the slot
 * where it hurts (its rewrites say which): the same slot, to be rushed to
 * some honest replicas ahead of the leader's (a second "primary" in the
 * view), or the next one, ahead of the next leader. Records (original
 * digest -> new digest) in map when the slot is the same, so the
 * coalition's votes can follow it. 0, ADV_MUT_SKIP (not a proposal, a
 * proposal of the usurper's own, a protocol without it) or an error.
 */
int adv_usurp(const uint8_t *prop, size_t len, uint32_t usurper,
	      const struct byz_keypair *key, struct adv_conflicts *map,
	      struct wire_buf *out);

/* "conflict", "follow", "other-digest", "stale", "cert-dup", "cert-short",
 * "withhold", "fork", "cert-mix", "jump"; "unknown" for anything else. */
const char *adv_mutation_name(enum adv_mutation mut);
/* The reverse of adv_mutation_name: the mutation, or -1 if unknown. */
int adv_mutation_parse(const char *name);

/* ---- for the protocols' rewrites (lib/NAME/NAME_mutate.c) only ---------- */

/*
 * A list of embedded frames gathered for an encoder (pointers into the
 * decoded frame), long enough for the longest list a codec admits.
 */
#define ADV_LIST_MAX 1024

struct adv_list {
	const uint8_t *frames[ADV_LIST_MAX];
	size_t lens[ADV_LIST_MAX];
	size_t count;
};

/* Gather the frames of a decoded list: 0, or BYZ_ETOOBIG / BYZ_EINVAL if
 * the list is longer than ADV_LIST_MAX or does not walk (cannot happen for
 * a list the decoder accepted). */
int adv_list_gather(struct adv_list *l, const struct wire_frames *src);
/* ADV_MUT_CERT_DUP on one list: last := first if >= 2 frames. Whether the
 * list changed (a list of equal frames does not). */
bool adv_list_dup(struct adv_list *l);
/* ADV_MUT_CERT_SHORT on one list: drop the last frame if any. */
bool adv_list_short(struct adv_list *l);
/* ADV_MUT_CONFLICT on a batch: one request is replaced by a spare request
 * of map (if any); otherwise reversed if that changes it, else emptied;
 * false (unchanged) for an empty batch. */
bool adv_list_conflict(struct adv_list *l, const struct adv_conflicts *map);
/* Apply CERT_DUP or CERT_SHORT to l; whether it changed. */
bool adv_list_cert(struct adv_list *l, enum adv_mutation mut);

/* The digest a double vote uses instead of d (ADV_MUT_OTHER_DIGEST). */
void adv_other_digest(const struct adv_conflicts *map,
		      const uint8_t d[BYZ_DIGEST_BYTES],
		      uint8_t out[BYZ_DIGEST_BYTES]);

/*
 * The protocols' halves: write the mutated message as one UNSIGNED frame at
 * offset 0 of out (empty on entry); 0, ADV_MUT_SKIP or an error. A digest
 * to record in the map (CONFLICT) is returned in *rec_from / *rec_to with
 * *record set; the caller records it once the frame is signed. key signs
 * the embedded frames of the sender that a mutation rewrites.
 */
struct adv_ctx {
	enum adv_mutation mut;
	const struct wire_msg *m; /* the decoded input frame */
	const struct byz_keypair *key;
	const struct adv_conflicts *map; /* may be NULL */
	struct wire_buf *out;
	bool record;
	const struct adv_cert *cert; /* adv_extend: the new justification;
				      * adv_endorse: a TIMEOUT's high QC */
	uint32_t voter;		     /* adv_endorse: who votes */
	uint32_t n, f;		     /* the cluster's (adv_mutate) */
	uint8_t rec_from[BYZ_DIGEST_BYTES], rec_to[BYZ_DIGEST_BYTES];
};

/*
 * What a protocol registers for the adversary (its folder's
 * NAME_adv_rewrites, from lib/protocols.list through adversary/registry.c):
 * its half of adv_mutate. mutate is NULL for a protocol with no rewrites
 * (every mutation then skips its messages).
 */
struct adv_rewrites {
	uint8_t proto; /* the protocol byte of the frames it rewrites */
	int (*mutate)(struct adv_ctx *c);
	/* The coalition's hooks (NULL: not supported): links reads c->m
	 * into *l; endorse writes the vote of c->voter for the proposal
	 * c->m (or its TIMEOUT siding with the TIMEOUT c->m, adv_endorse);
	 * extend writes c->m moved onto c->cert (and sets the record
	 * digests). Unsigned frames at offset 0 of c->out, like mutate. */
	int (*links)(const struct wire_msg *m, struct adv_links *l);
	int (*endorse)(struct adv_ctx *c);
	int (*extend)(struct adv_ctx *c);
	/* adv_usurp: c->m is another replica's proposal, c->voter the
	 * usurper; writes the usurper's proposal (unsigned) and may set the
	 * record digests. NULL: not supported. */
	int (*usurp)(struct adv_ctx *c);
};

/* The registered rewrites, NULL-terminated (adversary/registry.c). */
extern const struct adv_rewrites *const adv_rewrites_registry[];

#endif
