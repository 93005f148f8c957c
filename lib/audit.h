/*
 * audit.h - watching what honest replicas send against their protocol's
 * output rules (core.h, audit; issue #11): every certificate a message
 * embeds is well formed, and no vote is said twice with two different
 * contents. Agreement sees a broken rule only once it has forked a log;
 * these see it the moment an honest replica acts on it. And a new
 * leader's first proposals are the ones the messages it cites prescribe
 * (core.h, audit_new_view). A broken rule becomes a `fault` line of the
 * trace (trace.h), which the checkers count (check.h: vote-once,
 * certificates, new-view), so `byzlab check` judges it alone.
 *
 * Memory is bounded: each replica remembers its AUDIT_SLOTS most recent
 * votes (by kind, view and slot; an older one is forgotten when its slot
 * is needed), allocated on its first vote; and for the new-view rule,
 * the AUDIT_KEEP most recent distinct frames of each sender that a
 * message may cite by digest (core.h, audit_keep), seen going into or
 * out of an honest replica. A message citing one no longer held is not
 * judged.
 */
#ifndef BYZ_AUDIT_H
#define BYZ_AUDIT_H

#include "core.h"
#include "trace.h"

#include <stdint.h>

#define AUDIT_SLOTS 512
#define AUDIT_KEEP  16

struct audit;

/* For a run of ops with cfg (n replicas). 0, or BYZ_ENOMEM. With no audit
 * in ops, *out is NULL and audit_output does nothing. */
int audit_new(const struct byz_core_ops *ops, const struct byz_config *cfg,
	      struct audit **out);
void audit_free(struct audit **a);

/* Honest replica r sends the signed frame (len bytes) at time now: judge
 * it, and write a fault line to tr for each rule it breaks. */
void audit_output(struct audit *a, struct trace *tr, uint64_t now, uint32_t r,
		  const uint8_t *frame, size_t len);

/* Honest replica r received m (it passed ingress): remember the frame it
 * is or carries that a later message may cite by digest, if any. */
void audit_input(struct audit *a, uint32_t r, const struct wire_msg *m);

/* Honest replica r committed c (after the messages it sent in the same
 * step were given to audit_output): judge it by the decide rule. */
void audit_commit(struct audit *a, struct trace *tr, uint64_t now, uint32_t r,
		  const struct byz_commit *c);

/* Replica r restarted without its state: what it voted is forgotten. */
void audit_forget(struct audit *a, uint32_t r);

#endif
