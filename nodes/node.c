/*
 * node.c - one replica process (node.h).
 */
#include "node.h"

#include "audit.h"
#include "clock.h"
#include "cluster.h"
#include "core.h"
#include "err.h"
#include "keyfile.h"
#include "net.h"
#include "proc.h"
#include "wal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NODE_OUTBOX_OUTPUTS 65536
#define NODE_OUTBOX_BYTES   (64u << 20)
#define NODE_LOCAL_MAX	    65536  /* loopbacks and PERSISTED pending */
#define NODE_STATUS_US	    100000 /* status file at most this often */

/* Something the node owes its own core after a step: a loopback message
 * (signed by the node, core.h) or a PERSISTED event. */
struct node_local {
	bool persisted;
	uint64_t token, id;
	uint8_t *frame;
	size_t len;
};

struct node {
	const struct node_opts *o;
	struct cluster cl;
	const struct byz_core_ops *ops;
	struct byz_config cfg;
	void *core;
	struct byz_outbox ob;
	struct ingress *ing;
	struct audit *audit;
	struct byz_keypair key;
	uint32_t id, addr;
	bool honest;
	struct net *net;
	struct wal wal;
	struct proc p;
	char data[CLUSTER_PATH_MAX], trace_path[CLUSTER_PATH_MAX + 16];
	char status_path[CLUSTER_PATH_MAX + 16];
	uint64_t timer_at[BYZ_MAX_TIMERS]; /* monotonic µs; 0: not armed */
	struct node_local *q;
	size_t qhead, qlen;
	struct wire_buf signbuf;
	uint8_t *rbuf;
	uint64_t height, view, forged_accepted, sent, received, rejected;
	uint64_t gave_up; /* views it gave up (its timer fired) */
	uint64_t rules;	  /* rule coverage (core.h): what its rules decided */
	/* The last height its trace shows (commit or restore), read back
	 * from the trace file on a restart; UINT64_MAX: not known. */
	uint64_t traced;
	uint64_t status_at;
	bool status_dirty;
	char err[512]; /* the message of the failure that stopped it */
	int fatal;     /* exit status once the loop must stop */
};

__attribute__((format(printf, 3, 4))) static int
node_fail(struct node *nd, int status, const char *fmt, ...)
{
	char buf[sizeof nd->err];
	va_list ap;

	/* Through a copy: callers often pass nd->err itself as an argument,
	 * and vsnprintf's source and destination must not overlap. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	memcpy(nd->err, buf, sizeof buf);
	if (!nd->fatal)
		nd->fatal = status;
	return -1;
}

static int local_push(struct node *nd, const struct node_local *l)
{
	if (nd->qlen == NODE_LOCAL_MAX)
		return node_fail(nd, 3,
				 "replica %" PRIu32
				 ": more than %d local events pending",
				 nd->id, NODE_LOCAL_MAX);
	nd->q[(nd->qhead + nd->qlen++) % NODE_LOCAL_MAX] = *l;
	return 0;
}

static void write_status(struct node *nd, bool force)
{
	char text[768];
	uint64_t now = clock_mono_us();
	struct ingress_counts ic = {0};

	if (!force && (!nd->status_dirty || now < nd->status_at))
		return;
	if (nd->ing)
		ic = ingress_counts(nd->ing);
	snprintf(
	    text, sizeof text,
	    "pid %ld\nreplica %" PRIu32 "%s\nheight %" PRIu64 "\nview %" PRIu64
	    "\nboots %" PRIu32 "\nviews_given_up %" PRIu64 "\nsent %" PRIu64
	    "\nreceived %" PRIu64 "\nrejected %" PRIu64
	    "\nforged_accepted %" PRIu64 "\nmalformed %" PRIu64
	    "\nsignatures %" PRIu64 "\nverifications %" PRIu64
	    "\nverify_cache_hits %" PRIu64 "\nrules %" PRIu64 "\nstate %s\n",
	    (long)getpid(), nd->id, nd->o->twin ? " twin" : "", nd->height,
	    nd->view, nd->wal.boots + 1, nd->gave_up, nd->sent, nd->received,
	    nd->rejected, nd->forged_accepted,
	    nd->net ? net_malformed(nd->net) : 0, nd->p.tr.counts.signatures,
	    ic.verifications, ic.cache_hits, nd->rules,
	    proc_stop || nd->fatal ? "stopped" : "running");
	proc_write_status(nd->status_path, text);
	nd->status_at = now + NODE_STATUS_US;
	nd->status_dirty = false;
}

/* Send a signed frame to `to` (a node address), through the adversary
 * when the cluster has one. */
static int send_to(struct node *nd, uint32_t to, const uint8_t *frame,
		   size_t len)
{
	struct wire_frame f;
	struct net_env env = {.from = nd->addr, .to = to};
	const char *ep = nd->cl.adversary[0] ? nd->cl.adversary
					     : cluster_endpoint(&nd->cl, to);
	uint64_t t = proc_now(&nd->p);
	int rc;

	env.id = proc_msg_id(&nd->p);
	if (wire_frame_parse(frame, len, true, &f))
		f.proto = f.type = 0xff;
	trace_send(&nd->p.tr, t, nd->addr, to, f.proto, f.type, len, env.id);
	env.lc = nd->p.tr.lc;
	if (!ep) {
		trace_drop(&nd->p.tr, t, nd->addr, to, env.id,
			   byz_is_client_addr(to) ? "no-such-client"
						  : "no-such-replica");
		return 0;
	}
	rc = net_send(nd->net, ep, &env, frame, len, nd->err, sizeof nd->err);
	if (rc < 0)
		return node_fail(nd, 3, "replica %" PRIu32 ": %s", nd->id,
				 nd->err);
	if (rc == 1)
		trace_drop(&nd->p.tr, t, nd->addr, to, env.id, "queue-full");
	nd->sent++;
	nd->status_dirty = true;
	return 0;
}

/*
 * Trace a commit. A SIGKILL can fall between the PERSIST that makes a
 * commit part of the replica's state and the trace line that reports it
 * (two files, no common atomic write): after the restart the core goes on
 * above a height its trace never showed. The trace then says what is
 * known, without a gap: the first commit above the gap is traced as a
 * state transfer to that height (`restore`, with the state digest after
 * it), and a note says how many heights went untraced.
 */
static void trace_commit_gapless(struct node *nd, uint64_t t,
				 const struct byz_commit *c)
{
	if (nd->traced != UINT64_MAX && !c->restored &&
	    c->height > nd->traced + 1) {
		struct byz_commit r = *c;
		char note[160];
		int len = snprintf(note, sizeof note,
				   "heights %" PRIu64 "..%" PRIu64
				   " were committed before a crash but not "
				   "traced: restored at %" PRIu64,
				   nd->traced + 1, c->height - 1, c->height);
		trace_note(&nd->p.tr, t, nd->addr, note, (size_t)len);
		r.restored = true;
		r.client = 0;
		r.timestamp = 0;
		memset(r.request_digest, 0, sizeof r.request_digest);
		trace_commit(&nd->p.tr, t, nd->addr, &r);
	} else {
		trace_commit(&nd->p.tr, t, nd->addr, c);
	}
	if (nd->traced == UINT64_MAX || c->height > nd->traced)
		nd->traced = c->height;
}

/* The last height the trace file at path shows for this node (commit or
 * restore lines), or 0. */
static uint64_t traced_height(const char *path)
{
	char line[TRACE_LINE_MAX + 2];
	uint64_t h = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		const char *p;
		if (!strstr(line, "\"ev\":\"commit\"") &&
		    !strstr(line, "\"ev\":\"restore\""))
			continue;
		p = strstr(line, "\"height\":");
		if (p) {
			uint64_t v = strtoull(p + 9, NULL, 10);
			if (v > h)
				h = v;
		}
	}
	fclose(f);
	return h;
}

/* Carry out a step's outputs in order (core.h; as lib/sim.c does). */
static int apply_outputs(struct node *nd)
{
	const uint8_t *bytes = nd->ob.bytes.data;
	uint64_t t = proc_now(&nd->p), mono = clock_mono_us();
	/* The outbox bytes signbuf holds signed (SIZE_MAX: none): a core
	 * that sends one frame to several (a BROADCAST and a SEND to itself)
	 * names the same bytes, signed once. */
	size_t signed_off = SIZE_MAX, signed_len = 0;

	for (size_t i = 0; i < nd->ob.count && !nd->fatal; i++) {
		const struct byz_output *o = &nd->ob.out[i];

		switch (o->kind) {
		case BYZ_OUT_PERSIST: {
			struct node_local l = {.persisted = true,
					       .token = o->token};
			if (wal_persist(&nd->wal, bytes + o->off, o->len,
					o->replace, nd->err, sizeof nd->err))
				return node_fail(nd, 3,
						 "replica %" PRIu32
						 ": cannot persist: %s",
						 nd->id, nd->err);
			if (local_push(nd, &l))
				return -1;
			break;
		}
		case BYZ_OUT_SEND:
		case BYZ_OUT_BROADCAST: {
			struct wire_frame f;
			const uint8_t *fr;
			size_t flen;
			if (wire_frame_parse(bytes + o->off, o->len, false,
					     &f) ||
			    f.sender != nd->id)
				return node_fail(nd, 3,
						 "replica %" PRIu32
						 ": its core sent a malformed "
						 "frame",
						 nd->id);
			if (o->off != signed_off || o->len != signed_len) {
				wire_buf_reset(&nd->signbuf);
				wire_put_bytes(&nd->signbuf, bytes + o->off,
					       o->len);
				if (wire_sign(&nd->signbuf, 0, &nd->key))
					return node_fail(nd, 3,
							 "replica %" PRIu32
							 ": cannot sign",
							 nd->id);
				nd->p.tr.counts.signatures++;
				signed_off = o->off;
				signed_len = o->len;
			}
			fr = nd->signbuf.data;
			flen = nd->signbuf.len;
			if (nd->honest)
				audit_output(nd->audit, &nd->p.tr, t, nd->id,
					     fr, flen);
			if (o->kind == BYZ_OUT_SEND && o->to == nd->id) {
				struct node_local l = {.id =
							   proc_msg_id(&nd->p)};
				l.frame = malloc(flen);
				if (!l.frame)
					return node_fail(nd, 3,
							 "out of memory");
				memcpy(l.frame, fr, flen);
				l.len = flen;
				/* Its own signature, just made: not verified
				 * again when the frame comes back. */
				ingress_trust_own(nd->ing, nd->id, fr, flen);
				trace_loopback(&nd->p.tr, t, nd->addr, l.id);
				if (local_push(nd, &l)) {
					free(l.frame);
					return -1;
				}
			} else if (o->kind == BYZ_OUT_SEND) {
				if (send_to(nd, o->to, fr, flen))
					return -1;
			} else {
				for (uint32_t to = 0; to < nd->cfg.n; to++)
					if (to != nd->id &&
					    send_to(nd, to, fr, flen))
						return -1;
			}
			break;
		}
		case BYZ_OUT_TIMER:
			if (o->timer >= BYZ_MAX_TIMERS)
				return node_fail(nd, 3,
						 "replica %" PRIu32
						 ": timer %" PRIu32
						 " out of range",
						 nd->id, o->timer);
			nd->timer_at[o->timer] =
			    o->delay_us == BYZ_TIMER_CANCEL
				? 0
				: mono + (o->delay_us ? o->delay_us : 1);
			break;
		case BYZ_OUT_COMMIT:
			if (o->commit.height > nd->height)
				nd->height = o->commit.height;
			trace_commit_gapless(nd, t, &o->commit);
			nd->status_dirty = true;
			break;
		case BYZ_OUT_NOTE:
			trace_note(&nd->p.tr, t, nd->addr,
				   (const char *)bytes + o->off, o->len);
			break;
		case BYZ_OUT_VIEW:
			if (!o->view.gave_up)
				nd->view = o->view.view;
			else
				nd->gave_up++;
			trace_view(&nd->p.tr, t, nd->addr, &o->view);
			nd->status_dirty = true;
			break;
		}
	}
	for (size_t i = 0; nd->honest && i < nd->ob.count; i++)
		if (nd->ob.out[i].kind == BYZ_OUT_COMMIT)
			audit_commit(nd->audit, &nd->p.tr, t, nd->id,
				     &nd->ob.out[i].commit);
	return nd->fatal ? -1 : 0;
}

static int step(struct node *nd, struct byz_event *ev)
{
	int rc;

	ev->now = clock_mono_us();
	byz_outbox_reset(&nd->ob);
	rc = nd->ops->step(nd->core, ev, &nd->ob);
	if (rc)
		return node_fail(nd, 3,
				 "replica %" PRIu32 ": its core failed: %s",
				 nd->id, byz_strerror(rc));
	if (nd->honest && (nd->ob.rules & ~nd->rules)) {
		nd->rules |= nd->ob.rules;
		nd->status_dirty = true;
	}
	return apply_outputs(nd);
}

/* A frame from the network (or a loopback): ingress, then the core. */
static int deliver(struct node *nd, const struct net_env *env,
		   const uint8_t *frame, size_t len)
{
	struct wire_msg m;
	struct byz_event ev = {0};
	uint64_t t;
	int rc;

	proc_received(&nd->p, env->lc);
	t = proc_now(&nd->p);
	nd->status_dirty = true; /* received or rejected moves */
	rc = ingress_check(nd->ing, frame, len, &m);
	nd->p.tr.counts.verifications = ingress_counts(nd->ing).verifications;
	if (!rc) {
		if (m.frame.proto == BYZ_PROTO_CLIENT &&
		    m.frame.type == WIRE_CLIENT_REQUEST)
			ev.kind = BYZ_EV_REQUEST;
		else if (m.frame.proto == nd->ops->proto)
			ev.kind = BYZ_EV_MESSAGE;
		else
			rc = BYZ_EPROTO;
	}
	if (rc) {
		nd->rejected++;
		trace_reject(&nd->p.tr, t, env->from, nd->addr, env->id, rc);
		return 0;
	}
	if (env->flags & NET_FORGED) {
		static const char what[] = "forged message passed ingress";
		nd->forged_accepted++;
		trace_note(&nd->p.tr, t, nd->addr, what, sizeof what - 1);
	}
	nd->received++;
	trace_deliver(&nd->p.tr, t, env->from, nd->addr, env->id);
	if (nd->honest && ev.kind == BYZ_EV_MESSAGE)
		audit_input(nd->audit, nd->id, &m);
	ev.u.msg = &m;
	return step(nd, &ev);
}

/* What the node owes its core after a step, in order. */
static int drain_local(struct node *nd)
{
	while (nd->qlen && !nd->fatal && !proc_stop) {
		struct node_local l = nd->q[nd->qhead];
		int rc;

		nd->qhead = (nd->qhead + 1) % NODE_LOCAL_MAX;
		nd->qlen--;
		if (l.persisted) {
			struct byz_event ev = {.kind = BYZ_EV_PERSISTED,
					       .u.token = l.token};
			rc = step(nd, &ev);
		} else {
			struct net_env env = {
			    .from = nd->addr, .to = nd->addr, .id = l.id};
			rc = deliver(nd, &env, l.frame, l.len);
			free(l.frame);
		}
		if (rc)
			return -1;
	}
	return 0;
}

static int fire_timers(struct node *nd)
{
	uint64_t now = clock_mono_us();

	for (uint32_t k = 0; k < BYZ_MAX_TIMERS && !nd->fatal; k++) {
		struct byz_event ev = {.kind = BYZ_EV_TIMER, .u.timer = k};
		if (!nd->timer_at[k] || nd->timer_at[k] > now)
			continue;
		nd->timer_at[k] = 0;
		trace_timer(&nd->p.tr, proc_now(&nd->p), nd->addr, k);
		if (step(nd, &ev) || drain_local(nd))
			return -1;
	}
	return 0;
}

/* Milliseconds to the next timer (rounded up), at most 100. */
static int next_wait_ms(const struct node *nd)
{
	uint64_t now = clock_mono_us(), soon = now + 100000;

	for (uint32_t k = 0; k < BYZ_MAX_TIMERS; k++)
		if (nd->timer_at[k] && nd->timer_at[k] < soon)
			soon = nd->timer_at[k];
	return soon <= now ? 0 : (int)((soon - now + 999) / 1000);
}

/* Create the folders above path (mode 0700) that do not exist yet. */
static int make_parents(const char *path, char *why, size_t whylen)
{
	char buf[CLUSTER_PATH_MAX];

	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST) {
			snprintf(why, whylen, "%.300s: cannot create: %s", buf,
				 strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int node_setup(struct node *nd, uint8_t **log, size_t *loglen)
{
	const struct node_opts *o = nd->o;
	struct sim_config sc;
	struct keyfile kf;
	size_t torn = 0;
	const char *ep;

	if (cluster_load(o->cluster, &nd->cl, nd->err, sizeof nd->err))
		return node_fail(nd, 2, "%s", nd->err);
	if (o->id >= nd->cl.sc.n)
		return node_fail(nd, 2,
				 "--id: %" PRIu32 " is not a replica of %s "
				 "(0 .. %" PRIu32 ")",
				 o->id, o->cluster, nd->cl.sc.n - 1);
	nd->id = o->id;
	nd->addr = o->twin ? byz_twin_addr(o->id) : o->id;
	ep = cluster_endpoint(&nd->cl, nd->addr);
	if (!ep)
		return node_fail(nd, 2,
				 "--twin: %s gives replica %" PRIu32
				 " no twin (cluster.twins)",
				 o->cluster, o->id);
	nd->ops = nd->cl.sc.ops;
	scenario_sim_config(&nd->cl.sc, &sc);
	nd->cfg = sc.core;
	nd->cfg.id = nd->id;
	nd->honest = !o->twin && !nd->cl.sc.byzantine[nd->id] &&
		     !nd->cl.sc.plan.byzantine[nd->id];
	if (keyfile_load(nd->cl.keys, BYZ_ROLE_REPLICA, nd->id, true, &kf,
			 nd->err, sizeof nd->err))
		return node_fail(nd, 2, "%s", nd->err);
	keyfile_keypair(&kf, &nd->key);
	keyfile_clear(&kf);
	if (proc_ingress(&nd->cl, &nd->ing, nd->err, sizeof nd->err))
		return node_fail(nd, 2, "%s", nd->err);
	if (o->data)
		snprintf(nd->data, sizeof nd->data, "%s", o->data);
	else if (cluster_data_dir(&nd->cl, nd->addr, nd->data, sizeof nd->data))
		return node_fail(nd, 2, "data folder path too long");
	if (make_parents(nd->data, nd->err, sizeof nd->err))
		return node_fail(nd, 2, "%s", nd->err);
	if (wal_open(&nd->wal, nd->data, log, loglen, &torn, nd->err,
		     sizeof nd->err))
		return node_fail(nd, 2, "%s", nd->err);
	snprintf(nd->status_path, sizeof nd->status_path, "%s/status",
		 nd->data);
	if (o->trace)
		snprintf(nd->trace_path, sizeof nd->trace_path, "%s", o->trace);
	else
		snprintf(nd->trace_path, sizeof nd->trace_path,
			 "%s/trace.jsonl", nd->data);
	/* A restart from its log goes on above what its trace shows. */
	nd->traced = nd->wal.boots && *loglen ? traced_height(nd->trace_path)
					      : UINT64_MAX;
	if (proc_open(&nd->p, &nd->cl, proc_tag(nd->addr), nd->wal.boots,
		      nd->trace_path, nd->err, sizeof nd->err))
		return node_fail(nd, 2, "%s", nd->err);
	if (torn && !o->quiet)
		fprintf(stderr,
			"byzlab node: replica %" PRIu32
			": cut a torn last record (%zu bytes) from its log\n",
			nd->id, torn);
	byz_outbox_init(&nd->ob, NODE_OUTBOX_OUTPUTS, NODE_OUTBOX_BYTES);
	wire_buf_init(&nd->signbuf, WIRE_MAX_FRAME);
	nd->q = calloc(NODE_LOCAL_MAX, sizeof *nd->q);
	nd->rbuf = malloc(PROC_MAX_FRAME);
	if (!nd->q || !nd->rbuf ||
	    (nd->honest && audit_new(nd->ops, &nd->cfg, &nd->audit)))
		return node_fail(nd, 3, "out of memory");
	if (net_open(&nd->net, ep, PROC_MAX_FRAME, nd->err, sizeof nd->err))
		return node_fail(nd, 2,
				 "replica %" PRIu32 ": cannot listen at %s",
				 nd->id, nd->err);
	return 0;
}

static void node_teardown(struct node *nd)
{
	char why[256];

	if (nd->q)
		for (size_t i = 0; i < nd->qlen; i++)
			free(nd->q[(nd->qhead + i) % NODE_LOCAL_MAX].frame);
	free(nd->q);
	free(nd->rbuf);
	if (nd->core)
		nd->ops->destroy(&nd->core);
	net_close(&nd->net);
	audit_free(&nd->audit);
	ingress_destroy(&nd->ing);
	byz_outbox_free(&nd->ob);
	wire_buf_free(&nd->signbuf);
	if (nd->p.cl && proc_close(&nd->p, nd->trace_path, why, sizeof why) &&
	    !nd->fatal) {
		fprintf(stderr, "byzlab node: %s\n", why);
		nd->fatal = 3;
	}
	wal_close(&nd->wal);
	sodium_memzero(&nd->key, sizeof nd->key);
	cluster_free(&nd->cl);
}

int node_main(const struct node_opts *o)
{
	struct node *nd = calloc(1, sizeof *nd);
	uint8_t *log = NULL;
	size_t loglen = 0;
	struct byz_event ev = {.kind = BYZ_EV_START};
	int status;

	if (!nd) {
		fprintf(stderr, "byzlab node: out of memory\n");
		return 3;
	}
	nd->o = o;
	nd->wal.fd = nd->wal.dirfd = -1;
	if (node_setup(nd, &log, &loglen))
		goto out;
	if (nd->ops->create(&nd->cfg, log, loglen, &nd->core)) {
		node_fail(nd, 3,
			  "replica %" PRIu32
			  ": its core refused its configuration or log",
			  nd->id);
		goto out;
	}
	free(log);
	log = NULL;
	ev.u.restarted = nd->wal.boots > 0;
	if (step(nd, &ev) || drain_local(nd))
		goto out;
	nd->status_dirty = true;
	if (!o->quiet)
		fprintf(stderr,
			"byzlab node: replica %" PRIu32 "%s of %s (n=%" PRIu32
			") listening at %s, data in %s\n",
			nd->id, o->twin ? " (twin)" : "", nd->ops->name,
			nd->cfg.n, cluster_endpoint(&nd->cl, nd->addr),
			nd->data);
	while (!proc_stop && !nd->fatal) {
		struct net_env env;
		size_t len = 0;
		int rc = net_recv(nd->net, next_wait_ms(nd), &env, nd->rbuf,
				  &len, nd->err, sizeof nd->err);

		if (rc < 0) {
			node_fail(nd, 3, "replica %" PRIu32 ": %s", nd->id,
				  nd->err);
			break;
		}
		if (rc == 2) /* dropped, counted in malformed */
			nd->status_dirty = true;
		if (rc == 1 &&
		    (deliver(nd, &env, nd->rbuf, len) || drain_local(nd)))
			break;
		if (fire_timers(nd))
			break;
		write_status(nd, false);
	}
out:
	free(log);
	if (nd->status_path[0])
		write_status(nd, true);
	node_teardown(nd);
	if (nd->fatal)
		fprintf(stderr, "byzlab node: %s\n", nd->err);
	status = nd->fatal;
	free(nd);
	return status;
}
