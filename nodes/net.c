/*
 * net.c - ZeroMQ sockets of a real process (net.h).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct net_peer {
	char *endpoint;
	void *push;
};

struct net {
	void *ctx;
	void *pull;
	size_t max_frame;
	struct net_peer *peers;
	size_t npeers, cap;
	uint64_t malformed;
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * What to bind for an endpoint the cluster file gives this process: ipc
 * and literal addresses as they are; tcp://NAME:PORT (a host name, which
 * ZeroMQ binds only as an interface name) on every interface ("*") at
 * that port, so that one cluster file with host names serves every host.
 * *ipv6: the address is IPv6 (or every interface, both families).
 */
static void bind_address(const char *endpoint, char *out, size_t cap, int *ipv6)
{
	const char *host = endpoint + 6, *colon = strrchr(endpoint, ':');
	char name[256];
	struct in_addr a4;
	size_t len;

	*ipv6 = 0;
	snprintf(out, cap, "%s", endpoint);
	if (strncmp(endpoint, "tcp://", 6) || !colon || colon < host)
		return;
	len = (size_t)(colon - host);
	if (host[0] == '[') {
		*ipv6 = 1;
		return;
	}
	if (len >= sizeof name)
		return;
	memcpy(name, host, len);
	name[len] = '\0';
	if (!strcmp(name, "*") || inet_pton(AF_INET, name, &a4) == 1)
		return;
	*ipv6 = 1;
	snprintf(out, cap, "tcp://*%s", colon);
}

int net_open(struct net **out, const char *endpoint, size_t max_frame,
	     char *why, size_t whylen)
{
	char addr[512];
	int ipv6;
	struct net *n = calloc(1, sizeof *n);
	int64_t maxmsg = (int64_t)max_frame;
	int hwm = NET_RCVHWM, linger = 0;

	*out = NULL;
	if (!n) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	n->max_frame = max_frame;
	n->ctx = zmq_ctx_new();
	if (!n->ctx)
		goto fail;
	bind_address(endpoint, addr, sizeof addr, &ipv6);
	n->pull = zmq_socket(n->ctx, ZMQ_PULL);
	if (!n->pull || zmq_setsockopt(n->pull, ZMQ_IPV6, &ipv6, sizeof ipv6) ||
	    zmq_setsockopt(n->pull, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
	    zmq_setsockopt(n->pull, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
	    zmq_setsockopt(n->pull, ZMQ_LINGER, &linger, sizeof linger) ||
	    zmq_bind(n->pull, addr))
		goto fail;
	*out = n;
	return 0;
fail:
	snprintf(why, whylen, "%s: %s", endpoint, zmq_strerror(zmq_errno()));
	net_close(&n);
	return -1;
}

int net_bind(struct net *n, const char *endpoint, char *why, size_t whylen)
{
	if (zmq_bind(n->pull, endpoint)) {
		snprintf(why, whylen, "%s: %s", endpoint,
			 zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

void net_close(struct net **np)
{
	struct net *n = *np;

	if (!n)
		return;
	for (size_t i = 0; i < n->npeers; i++) {
		zmq_close(n->peers[i].push);
		free(n->peers[i].endpoint);
	}
	free(n->peers);
	if (n->pull)
		zmq_close(n->pull);
	if (n->ctx)
		zmq_ctx_term(n->ctx);
	free(n);
	*np = NULL;
}

/* The PUSH socket for endpoint, connected on first use; NULL on error. */
static void *peer(struct net *n, const char *endpoint)
{
	struct net_peer *p;
	int hwm = NET_HWM, linger = 0, ipv6 = 1;

	for (size_t i = 0; i < n->npeers; i++)
		if (!strcmp(n->peers[i].endpoint, endpoint))
			return n->peers[i].push;
	if (n->npeers == n->cap) {
		size_t ncap = n->cap ? 2 * n->cap : 16;
		struct net_peer *np = realloc(n->peers, ncap * sizeof *np);
		if (!np) {
			errno = ENOMEM;
			return NULL;
		}
		n->peers = np;
		n->cap = ncap;
	}
	p = &n->peers[n->npeers];
	p->endpoint = strdup(endpoint);
	p->push = zmq_socket(n->ctx, ZMQ_PUSH);
	if (!p->endpoint || !p->push ||
	    zmq_setsockopt(p->push, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
	    zmq_setsockopt(p->push, ZMQ_LINGER, &linger, sizeof linger) ||
	    zmq_setsockopt(p->push, ZMQ_IPV6, &ipv6, sizeof ipv6) ||
	    zmq_connect(p->push, endpoint)) {
		int e = zmq_errno();
		if (p->push)
			zmq_close(p->push);
		free(p->endpoint);
		errno = e;
		return NULL;
	}
	n->npeers++;
	return p->push;
}

int net_send(struct net *n, const char *endpoint, const struct net_env *env,
	     const uint8_t *frame, size_t len, char *why, size_t whylen)
{
	uint8_t e[NET_ENV_BYTES];
	void *s = peer(n, endpoint);

	if (!s) {
		snprintf(why, whylen, "%s: %s", endpoint,
			 zmq_strerror(zmq_errno()));
		return -1;
	}
	put32(e, NET_ENV_MAGIC);
	put32(e + 4, env->flags);
	put32(e + 8, env->from);
	put32(e + 12, env->to);
	put64(e + 16, env->id);
	put64(e + 24, env->lc);
	if (zmq_send(s, e, sizeof e, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
		if (zmq_errno() == EAGAIN)
			return 1;
		snprintf(why, whylen, "send to %s: %s", endpoint,
			 zmq_strerror(zmq_errno()));
		return -1;
	}
	/* The first part went: the second joins it atomically. */
	if (zmq_send(s, frame, len, ZMQ_DONTWAIT) < 0) {
		snprintf(why, whylen, "send to %s: %s", endpoint,
			 zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

/* Discard the rest of a multipart message. */
static void drain(void *s)
{
	int more = 1;
	size_t sz = sizeof more;
	zmq_msg_t m;

	while (!zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz) && more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		zmq_msg_close(&m);
		sz = sizeof more;
	}
}

int net_recv(struct net *n, int timeout_ms, struct net_env *env, uint8_t *buf,
	     size_t *len, char *why, size_t whylen)
{
	zmq_pollitem_t it = {.socket = n->pull, .events = ZMQ_POLLIN};
	uint8_t e[NET_ENV_BYTES];
	int more = 0, rc;
	size_t sz = sizeof more;

	/* A message already queued is taken without polling (a system call
	 * saved per message under load); only an empty queue waits. */
	rc = zmq_recv(n->pull, e, sizeof e, ZMQ_DONTWAIT);
	if (rc < 0 && zmq_errno() == EAGAIN && timeout_ms != 0) {
		rc = zmq_poll(&it, 1, timeout_ms);
		if (rc < 0) {
			if (zmq_errno() == EINTR)
				return 0;
			snprintf(why, whylen, "poll: %s",
				 zmq_strerror(zmq_errno()));
			return -1;
		}
		if (rc == 0 || !(it.revents & ZMQ_POLLIN))
			return 0;
		rc = zmq_recv(n->pull, e, sizeof e, ZMQ_DONTWAIT);
	}
	if (rc < 0) {
		if (zmq_errno() == EAGAIN || zmq_errno() == EINTR)
			return 0;
		snprintf(why, whylen, "receive: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	if (zmq_getsockopt(n->pull, ZMQ_RCVMORE, &more, &sz) || !more ||
	    rc != NET_ENV_BYTES || get32(e) != NET_ENV_MAGIC) {
		drain(n->pull);
		n->malformed++;
		return 2;
	}
	rc = zmq_recv(n->pull, buf, n->max_frame, ZMQ_DONTWAIT);
	sz = sizeof more;
	if (rc < 0 || (size_t)rc > n->max_frame ||
	    zmq_getsockopt(n->pull, ZMQ_RCVMORE, &more, &sz) || more) {
		drain(n->pull);
		n->malformed++;
		return 2;
	}
	env->flags = get32(e + 4);
	env->from = get32(e + 8);
	env->to = get32(e + 12);
	env->id = get64(e + 16);
	env->lc = get64(e + 24);
	*len = (size_t)rc;
	return 1;
}

uint64_t net_malformed(const struct net *n)
{
	return n->malformed;
}
