/*
 * cluster.c - read and check a cluster file (cluster.h).
 */
#include "cluster.h"

#include "conf.h"
#include "err.h"
#include "scenario_io.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cluster_endpoint_ok(const char *text)
{
	size_t len = strlen(text);

	if (len >= CLUSTER_ENDPOINT_MAX)
		return false;
	if (strncmp(text, "tcp://", 6) && strncmp(text, "ipc://", 6))
		return false;
	if (len <= 6)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] <= ' ' ||
		    (unsigned char)text[i] >= 0x7f)
			return false;
	return true;
}

/* dir of path + "/" + rel into out, unless rel is absolute. */
static int resolve(const char *path, const char *rel, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (rel[0] == '/' || !slash)
		n = snprintf(out, cap, "%s", rel);
	else
		n = snprintf(out, cap, "%.*s/%s", (int)(slash - path), path,
			     rel);
	return n < 0 || (size_t)n >= cap ? BYZ_ELIMIT : 0;
}

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t whylen,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* One endpoint from a scalar node; 0 or -1 with why. */
static int endpoint(const struct cluster *c, const struct conf_node *v,
		    const char *what, char out[CLUSTER_ENDPOINT_MAX], char *why,
		    size_t whylen)
{
	if (v->kind != CONF_SCALAR)
		return fail(why, whylen, "%s:%d: %s: expected one endpoint",
			    c->path, v->line, what);
	if (!cluster_endpoint_ok(v->text))
		return fail(why, whylen,
			    "%s:%d: %s: '%.60s' is not an endpoint "
			    "(tcp://HOST:PORT or ipc://PATH, shorter than %d "
			    "bytes)",
			    c->path, v->line, what, v->text,
			    CLUSTER_ENDPOINT_MAX);
	snprintf(out, CLUSTER_ENDPOINT_MAX, "%s", v->text);
	return 0;
}

/* A list of exactly want endpoints. */
static int endpoint_list(const struct cluster *c, const struct conf_node *v,
			 const char *what, uint32_t want,
			 char (*out)[CLUSTER_ENDPOINT_MAX], char *why,
			 size_t whylen)
{
	if (v->kind != CONF_LIST)
		return fail(why, whylen, "%s:%d: cluster.%s: expected a list",
			    c->path, v->line, what);
	if (v->count != want)
		return fail(why, whylen,
			    "%s:%d: cluster.%s: %zu endpoints, but the cluster "
			    "has %" PRIu32,
			    c->path, v->line, what, v->count, want);
	for (size_t i = 0; i < v->count; i++) {
		char name[48];
		snprintf(name, sizeof name, "cluster.%s[%zu]", what, i);
		if (endpoint(c, v->items[i], name, out[i], why, whylen))
			return -1;
	}
	return 0;
}

/* The cluster: map. */
static int cluster_section(struct cluster *c, const struct conf_node *m,
			   char *why, size_t whylen)
{
	const struct conf_node *v;
	bool have_replicas = false, have_clients = false, have_keys = false;

	if (m->kind != CONF_MAP)
		return fail(why, whylen, "%s:%d: cluster: expected a map",
			    c->path, m->line);
	for (size_t i = 0; i < m->count; i++) {
		const char *k = m->keys[i];
		v = m->items[i];
		if (!strcmp(k, "keys") || !strcmp(k, "data")) {
			char *dst = k[0] == 'k' ? c->keys : c->data;
			if (v->kind != CONF_SCALAR || !v->text[0])
				return fail(why, whylen,
					    "%s:%d: cluster.%s: expected a "
					    "directory",
					    c->path, v->line, k);
			if (resolve(c->path, v->text, dst, CLUSTER_PATH_MAX))
				return fail(why, whylen,
					    "%s:%d: cluster.%s: path too long",
					    c->path, v->line, k);
			have_keys |= k[0] == 'k';
		} else if (!strcmp(k, "epoch")) {
			char *end;
			if (v->kind != CONF_SCALAR || !v->text[0] ||
			    strspn(v->text, "0123456789") != strlen(v->text) ||
			    strlen(v->text) > 19)
				return fail(why, whylen,
					    "%s:%d: cluster.epoch: expected "
					    "microseconds since the Unix epoch "
					    "(digits)",
					    c->path, v->line);
			errno = 0;
			c->epoch_us = strtoull(v->text, &end, 10);
		} else if (!strcmp(k, "replicas")) {
			if (endpoint_list(c, v, "replicas", c->sc.n, c->replica,
					  why, whylen))
				return -1;
			have_replicas = true;
		} else if (!strcmp(k, "clients")) {
			if (endpoint_list(c, v, "clients", c->nclients,
					  c->client, why, whylen))
				return -1;
			have_clients = true;
		} else if (!strcmp(k, "adversary")) {
			if (endpoint(c, v, "cluster.adversary", c->adversary,
				     why, whylen))
				return -1;
		} else if (!strcmp(k, "twins")) {
			if (v->kind != CONF_MAP)
				return fail(why, whylen,
					    "%s:%d: cluster.twins: expected a "
					    "map of rN: ENDPOINT",
					    c->path, v->line);
			for (size_t j = 0; j < v->count; j++) {
				const char *t = v->keys[j];
				char *end;
				unsigned long r;
				if (t[0] != 'r' || !t[1] ||
				    strspn(t + 1, "0123456789") !=
					strlen(t + 1) ||
				    (t[1] == '0' && t[2]) ||
				    (r = strtoul(t + 1, &end, 10)) >= c->sc.n)
					return fail(
					    why, whylen,
					    "%s:%d: cluster.twins: '%.20s' is "
					    "not a replica (r0 .. r%" PRIu32
					    ")",
					    c->path, v->key_lines[j], t,
					    c->sc.n - 1);
				if (c->twin[r][0])
					return fail(why, whylen,
						    "%s:%d: cluster.twins: "
						    "replica r%lu has a twin "
						    "already",
						    c->path, v->key_lines[j],
						    r);
				if (endpoint(c, v->items[j], "cluster.twins",
					     c->twin[r], why, whylen))
					return -1;
			}
		} else {
			return fail(why, whylen,
				    "%s:%d: cluster: unknown key '%.40s' "
				    "(keys, data, epoch, replicas, clients, "
				    "adversary, twins)",
				    c->path, m->key_lines[i], k);
		}
	}
	if (!have_keys)
		return fail(why, whylen,
			    "%s:%d: cluster.keys is missing (the folder "
			    "`byzlab keygen` wrote)",
			    c->path, m->line);
	if (!have_replicas)
		return fail(why, whylen,
			    "%s:%d: cluster.replicas is missing (one "
			    "endpoint per replica)",
			    c->path, m->line);
	if (!have_clients && c->nclients)
		return fail(why, whylen,
			    "%s:%d: cluster.clients is missing (one endpoint "
			    "per client)",
			    c->path, m->line);
	return 0;
}

/* No two nodes listen at one endpoint, but clients may share one (one
 * process serves them all: `byzlab client --count`). */
static int distinct(const struct cluster *c, char *why, size_t whylen)
{
	const char *all[2 * BYZ_MAX_N + 1024 + 1];
	size_t k = 0, first_client;

	for (uint32_t r = 0; r < c->sc.n; r++) {
		all[k++] = c->replica[r];
		if (c->twin[r][0])
			all[k++] = c->twin[r];
	}
	if (c->adversary[0])
		all[k++] = c->adversary;
	first_client = k;
	for (uint32_t i = 0; i < c->nclients && k < sizeof all / sizeof *all;
	     i++)
		all[k++] = c->client[i];
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++)
			if (i < first_client && !strcmp(all[i], all[j]))
				return fail(why, whylen,
					    "%s: endpoint %s is given to two "
					    "nodes",
					    c->path, all[i]);
	return 0;
}

int cluster_load(const char *path, struct cluster *c, char *why, size_t whylen)
{
	static const char *const own[] = {"cluster", "scenario", NULL};
	struct scenario_text st;
	struct conf_node *root = NULL;
	const struct conf_node *sec = NULL, *scen = NULL;
	int rc = -1;

	memset(c, 0, sizeof *c);
	if (strlen(path) >= sizeof c->path)
		return fail(why, whylen, "cluster file path too long");
	snprintf(c->path, sizeof c->path, "%s", path);
	scenario_text_init(&st, &c->sc);
	if (conf_parse_file(path, &root, why, whylen))
		return -1;
	for (size_t i = 0; i < root->count; i++) {
		if (!strcmp(root->keys[i], "cluster"))
			sec = root->items[i];
		else if (!strcmp(root->keys[i], "scenario"))
			scen = root->items[i];
	}
	if (!sec) {
		fail(why, whylen,
		     "%s: the 'cluster:' map is missing (keys, replicas, "
		     "clients; docs/zmq.md)",
		     path);
		goto out;
	}
	if (scen) {
		char sp[CLUSTER_PATH_MAX];
		if (scen->kind != CONF_SCALAR || !scen->text[0]) {
			fail(why, whylen, "%s:%d: scenario: expected a file",
			     path, scen->line);
			goto out;
		}
		if (resolve(path, scen->text, sp, sizeof sp)) {
			fail(why, whylen, "%s:%d: scenario: path too long",
			     path, scen->line);
			goto out;
		}
		if (scenario_text_load(&st, sp, why, whylen))
			goto out;
	}
	if (scenario_text_load_map(&st, root, path, own, why, whylen) ||
	    scenario_text_finish(&st, why, whylen))
		goto out;
	if (scenario_check_config(&c->sc, why, whylen) ||
	    scenario_check_sim_only(&c->sc, "real", why, whylen))
		goto out;
	c->nclients = c->sc.clients;
	c->replica = calloc(c->sc.n, sizeof *c->replica);
	c->twin = calloc(c->sc.n, sizeof *c->twin);
	c->client = calloc(c->nclients ? c->nclients : 1, sizeof *c->client);
	if (!c->replica || !c->twin || !c->client) {
		fail(why, whylen, "out of memory");
		goto out;
	}
	if (resolve(path, "data", c->data, sizeof c->data) ||
	    cluster_section(c, sec, why, whylen) || distinct(c, why, whylen))
		goto out;
	rc = 0;
out:
	conf_free(root);
	return rc;
}

void cluster_free(struct cluster *c)
{
	free(c->replica);
	free(c->twin);
	free(c->client);
	c->replica = c->twin = c->client = NULL;
}

const char *cluster_endpoint(const struct cluster *c, uint32_t addr)
{
	if (byz_is_client_addr(addr)) {
		uint32_t i = addr - BYZ_CLIENT_BASE;
		return i < c->nclients ? c->client[i] : NULL;
	}
	if (byz_is_twin_addr(addr)) {
		uint32_t r = byz_addr_replica(addr);
		return r < c->sc.n && c->twin[r][0] ? c->twin[r] : NULL;
	}
	return addr < c->sc.n ? c->replica[addr] : NULL;
}

int cluster_data_dir(const struct cluster *c, uint32_t addr, char *out,
		     size_t outlen)
{
	int n = snprintf(out, outlen, "%s/replica-%" PRIu32 "%s", c->data,
			 byz_addr_replica(addr),
			 byz_is_twin_addr(addr) ? "-twin" : "");
	return n < 0 || (size_t)n >= outlen ? BYZ_ELIMIT : 0;
}
