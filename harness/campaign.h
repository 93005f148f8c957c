/*
 * campaign.h - a campaign: a matrix of scenarios with expectations, read
 * from a campaign file (docs/campaigns.md), expanded into runs in a fixed
 * order so that run k is the same scenario on every machine (--shard).
 *
 * A cell crosses protocols × n × Byzantine counts × attacks × seeds, or
 * explores: ByzzFuzz-style random faults (c process-fault rounds and d
 * network-fault rounds per run) or Twins-style enumeration of partitions
 * per round, sampled under a cap.
 */
#ifndef BYZ_CAMPAIGN_H
#define BYZ_CAMPAIGN_H

#include "conf.h"
#include "scenario.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define CAMPAIGN_MAX_CELLS 64
#define CAMPAIGN_MAX_LIST  64
/* Protocols in one cell: every protocol byte. */
#define CAMPAIGN_MAX_PROTOCOLS 16
#define CAMPAIGN_MAX_RUNS      2000000
/* The most runs a campaign file may expand to: CAMPAIGN_MAX_RUNS; a fuzz
 * target lowers it, since loading builds and checks every run. */
extern uint64_t campaign_max_runs;
/* ByzzFuzz mutations of a cell: room for every one (campaign.c checks). */
#define CAMPAIGN_MAX_MUTATIONS 16
/* A run's wall-clock limit unless the file or --max-wall says otherwise
 * (wall.h): a scenario that takes longer holds the campaign, and is
 * recorded as wall-limit, without a verdict. */
#define CAMPAIGN_DEFAULT_MAX_WALL_US (60ull * 1000000ull)
/* With driver: zmq, whose runs end at their own limit (max_time in wall
 * time, at most 60 s, nodes/launch.h) and are then judged: the wall limit
 * must not cut a run that its own limit would have judged. */
#define CAMPAIGN_DEFAULT_MAX_WALL_ZMQ_US (180ull * 1000000ull)

enum expect_bits {
	EXPECT_SAFE = 1u << 0,	    /* every run keeps safety */
	EXPECT_LIVE = 1u << 1,	    /* every run is live after GST */
	EXPECT_VIOLATION = 1u << 2, /* some run of each group breaks safety */
	EXPECT_TIMELY = 1u << 3,    /* every run's honest views complete in
				     * time after GST (check.h: progress) */
};

enum explore_kind { EXPLORE_NONE = 0, EXPLORE_BYZZFUZZ, EXPLORE_TWINS };
/* Twins: who may lead each enumerated round (leader_choice). */
enum leader_choice {
	LEAD_BYZANTINE = 0, /* a Byzantine replica (its twins lead together) */
	LEAD_ALL,	    /* any replica */
	LEAD_ROTATION,	    /* the protocol's own rotation, not enumerated */
};
enum attack_mode { MODE_CYCLE = 0, MODE_EACH, MODE_ALL };

struct cell {
	char name[64];
	int line; /* where it starts in the file */
	const struct byz_core_ops *protocols[CAMPAIGN_MAX_PROTOCOLS];
	size_t nprotocols;
	uint32_t ns[CAMPAIGN_MAX_LIST];
	size_t nns;
	/* Byzantine counts as written: "0..f" is [0, f]; each end is
	 * a + k*f (k 0 or 1) */
	struct {
		int64_t lo_a, lo_k, hi_a, hi_k;
		char text[24]; /* as written, for messages */
	} b[CAMPAIGN_MAX_LIST];
	size_t nb;
	int b_line; /* the line of `byzantine:` (the cell's when absent) */
	char *attacks[CAMPAIGN_MAX_LIST]; /* attack texts (owned) */
	uint64_t gen; /* its load's number: parsed texts are remembered */
	size_t nattacks;
	/* `with`: a second list; each run adds one of these to its attack
	 * from `attacks`, so that every pair is run (combined faults). */
	char *with[CAMPAIGN_MAX_LIST];
	size_t nwith;
	enum attack_mode mode;
	uint64_t seed_lo, seed_hi;
	unsigned expect;
	bool shrink;
	enum explore_kind explore;
	uint32_t c, d, rounds, cap;	       /* exploration parameters */
	enum leader_choice leaders;	       /* Twins */
	int mutations[CAMPAIGN_MAX_MUTATIONS]; /* ByzzFuzz process faults */
	size_t nmutations;
	struct conf_node *overrides; /* scenario fields (owned) */
	bool has_max_wall;	     /* max_wall: given in the cell */
	uint64_t max_wall_us;	     /* 0: none */
};

/* How a campaign carries out one run: scenario_run (the simulator), or a
 * real driver's (nodes/real_run.h, installed by the command that can link
 * it). keep_dir: where a failing run may keep its evidence (a real run's
 * folder); NULL for nowhere. Same returns as scenario_run. */
typedef int (*campaign_runner_fn)(const struct scenario *sc,
				  const char *keep_dir,
				  struct scenario_result *res);

struct campaign {
	char name[64];
	char path[512];
	char driver[8]; /* "sim" (default) or "zmq" */
	/* Each run's wall-clock limit (max_wall: at the top; a cell's own
	 * wins), and --max-wall, which wins over both (has_wall_override). */
	uint64_t max_wall_us;
	bool has_wall_override;
	uint64_t wall_override_us;
	/* NULL: scenario_run. A zmq campaign needs one (cmd_campaign sets
	 * it); without, its runs are errors. */
	campaign_runner_fn runner;
	struct conf_node *defaults; /* scenario fields (owned) */
	/* The file's canonical text (conf_emit: no comments, one layout),
	 * what a results directory records (manifest.h); owned. */
	char *definition;
	struct cell cells[CAMPAIGN_MAX_CELLS];
	size_t ncells;
	uint64_t nruns; /* after expansion */
	/* Planted in every run (byzlab selftest; "" for none): a mutant of
	 * the run's protocol, by name (scenario.h). */
	char mutant[48];
	/* --crypto: every run signs so (scenario.h, crypto), whatever the
	 * file says. */
	bool has_crypto_override;
	enum byz_scheme crypto_override;
	/* runs are indexed; each cell's runs are a contiguous range */
	uint64_t cell_first[CAMPAIGN_MAX_CELLS + 1];
};

/* Read and check a campaign file; 0 or -1 with "FILE:LINE: what" in why. */
int campaign_load(const char *path, struct campaign *c, char *why,
		  size_t whylen);
/* The same for a text of len bytes (need not be NUL-terminated), named
 * `name` in errors, as if read from a file of that name (the fuzz target,
 * tests/fuzz/fuzz_campaign.c). */
int campaign_load_text(const char *text, size_t len, const char *name,
		       struct campaign *c, char *why, size_t whylen);
void campaign_free(struct campaign *c);

/* One run of the campaign: its identity and its scenario. */
struct run_spec {
	uint64_t index;
	char id[160]; /* "cell-NAME-n4-b1-a3-s17": unique, a file name */
	size_t cell;
	uint32_t b;
	unsigned expect;
	uint64_t max_wall_us; /* its wall-clock limit; 0: none */
	struct scenario sc;
};

/* Build run k (0 <= k < nruns); 0 or -1 with why (a bad scenario). */
int campaign_run_spec(const struct campaign *c, uint64_t k,
		      struct run_spec *out, char *why, size_t whylen);

/* "safe", "live", "violation-found" joined with '+'. */
void expect_text(unsigned expect, char *out, size_t cap);

#endif
