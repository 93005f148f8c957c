/*
 * pbft_mutants.c - PBFT's catalog of planted mistakes (core.h, struct
 * byz_mutant; byzlab selftest, issue #11). Each breaks one rule of OSDI'99
 * §4.2-4.4 at the one place the core enforces it, marked there with
 * pbft_mut(p, PBFT_MUT_...). Never on unless a run names it.
 */
#include "pbft.h"

const struct byz_mutant pbft_mutants[] = {
    [PBFT_MUT_PREPARED_QUORUM -
     1] = {"prepared-quorum-2f-1",
	   "prepared(m, v, n) needs 2f matching PREPAREs from distinct backups "
	   "(OSDI'99 §4.2); counts 2f-1"},
    [PBFT_MUT_COMMITTED_QUORUM -
	1] = {"committed-quorum-2f",
	      "committed-local needs 2f+1 matching COMMITs (§4.2); counts 2f"},
    [PBFT_MUT_SECOND_PREPREPARE -
	1] = {"second-pre-prepare-accepted",
	      "a backup accepts no second PRE-PREPARE for (v, n) with another "
	      "digest (§4.2); the later one replaces the first"},
    [PBFT_MUT_PREPREPARE_SENDER -
	1] = {"pre-prepare-from-anyone",
	      "a PRE-PREPARE comes from the primary of its view (§4.2); any "
	      "replica's is accepted"},
    [PBFT_MUT_VOTE_DIGEST -
	1] = {"vote-digest-ignored",
	      "PREPAREs and COMMITs count only for the same view, number and "
	      "digest (§4.2); the digest is not compared"},
    [PBFT_MUT_CERT_SIGNERS -
	1] = {"certificate-repeated-signer",
	      "a certificate's votes come from distinct replicas (§4.2, §4.4); "
	      "one replica's votes count again"},
    [PBFT_MUT_VC_UNCHECKED -
	1] = {"view-change-certificates-unchecked",
	      "each prepared certificate in a VIEW-CHANGE holds a PRE-PREPARE "
	      "and 2f matching PREPAREs (§4.4); not checked"},
    [PBFT_MUT_VC_FORGETS -
	1] = {"view-change-forgets-prepared",
	      "a VIEW-CHANGE carries the prepared certificate of every number "
	      "above the stable checkpoint (§4.4, the set P); sent empty"},
    [PBFT_MUT_O_LOWEST - 1] =
	{"new-view-lowest-certificate",
	 "O takes, for each number, the prepared certificate of the highest "
	 "view in V (§4.4); takes the lowest"},
    [PBFT_MUT_O_UNCHECKED -
	1] = {"new-view-o-unchecked",
	      "a backup recomputes O from V and refuses a NEW-VIEW whose O "
	      "differs (§4.4); O is taken as sent"},
    [PBFT_MUT_NV_QUORUM -
	1] = {"new-view-quorum-2f",
	      "a NEW-VIEW is built from, and must name, 2f+1 VIEW-CHANGEs "
	      "(§4.4); 2f"},
    [PBFT_MUT_CERT_QUORUM -
	1] = {"committed-certificate-quorum-f+1",
	      "a committed certificate a laggard executes (CERT) holds 2f+1 "
	      "COMMITs (§4.2 committed); f+1"},
    [PBFT_MUT_CKPT_QUORUM - 1] =
	{"checkpoint-quorum-f+1",
	 "a checkpoint is stable, and a state is fetched, on 2f+1 matching "
	 "CHECKPOINTs (§4.3); f+1"},
    [PBFT_MUT_EXECUTE_EARLY -
	1] = {"execute-on-pre-prepare",
	      "a replica executes a request once committed-local: prepared and "
	      "2f+1 matching COMMITs (§4.2); executes on accepting the "
	      "PRE-PREPARE"},
    [PBFT_MUT_COUNT - 1] = {0},
};
