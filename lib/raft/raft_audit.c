/*
 * raft_audit.c - the rules every honest Raft replica's outputs keep,
 * judged from outside the core (core.h, audit; lib/audit.h). Written
 * apart from raft_core.c and blind to mutants.
 *
 *   - a granted VOTE is a vote (Figure 2, RequestVote: votedFor is one
 *     candidate per term): kind VOTE, view = term, for the candidate it
 *     names, so two granted votes of one term for two candidates break
 *     vote-once;
 *   - an APPEND carrying entries is a leader's statement of the entry
 *     at prev_index + 1 in its term (§5.3: a leader creates at most one
 *     entry with a given index in a given term, the Log Matching
 *     Property's premise): kind APPEND, view = term, slot = that index,
 *     for the entry's digest.
 * Raft embeds no certificate: there is nothing else to check.
 */
#include "raft_core.h"

#include <string.h>

const char *raft_audit(const struct byz_config *cfg, const struct wire_msg *m,
		       struct byz_vote *vote, bool *is_vote)
{
	const struct raft_msg *r = raft_of(m);

	(void)cfg;
	*is_vote = false;
	if (m->frame.proto != RAFT_PROTO)
		return NULL;
	memset(vote, 0, sizeof *vote);
	switch (m->frame.type) {
	case RAFT_VOTE: {
		uint8_t c[4];
		if (!r->vote.granted)
			return NULL;
		for (int i = 0; i < 4; i++)
			c[i] = (uint8_t)(r->vote.candidate >> (8 * i));
		vote->kind = RAFT_VOTE;
		vote->view = r->vote.term;
		vote->slot = 0;
		byz_digest(vote->digest, c, sizeof c);
		*is_vote = true;
		return NULL;
	}
	case RAFT_APPEND: {
		struct raft_entry e;
		size_t pos = 0;
		if (raft_entries_next(&r->app, &pos, &e) != 1)
			return NULL;
		vote->kind = RAFT_APPEND;
		vote->view = r->app.term;
		vote->slot = r->app.prev_index + 1;
		raft_entry_digest(vote->digest, e.bytes, e.len);
		*is_vote = true;
		return NULL;
	}
	}
	return NULL;
}
