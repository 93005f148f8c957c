/*
 * proc.c - what every process of a real cluster does alike (proc.h).
 */
#include "proc.h"

#include "clock.h"
#include "err.h"
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t proc_stop;

static void on_signal(int sig)
{
	(void)sig;
	proc_stop = 1;
}

void proc_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a wait returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

uint32_t proc_tag(uint32_t addr)
{
	if (byz_is_client_addr(addr))
		return 0x400u + ((addr - BYZ_CLIENT_BASE) & 0x3ffu);
	if (byz_is_twin_addr(addr))
		return 0x200u + (byz_addr_replica(addr) & 0x1ffu);
	return 1u + (addr & 0x1ffu);
}

/* The largest "lc" in the last 64 KiB of a trace file (0: none). */
static uint64_t last_lc(FILE *f)
{
	static char buf[65536 + 1];
	uint64_t best = 0;
	long size, from;
	size_t got;

	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0)
		return 0;
	from = size > 65536 ? size - 65536 : 0;
	if (fseek(f, from, SEEK_SET))
		return 0;
	got = fread(buf, 1, sizeof buf - 1, f);
	buf[got] = '\0';
	for (char *q = buf; (q = strstr(q, "\"lc\":")); q += 5) {
		uint64_t v = strtoull(q + 5, NULL, 10);
		if (v > best)
			best = v;
	}
	fseek(f, 0, SEEK_END);
	return best;
}

int proc_open(struct proc *p, const struct cluster *cl, uint32_t tag,
	      uint32_t boot, const char *trace_path, char *why, size_t whylen)
{
	memset(p, 0, sizeof *p);
	p->cl = cl;
	if (trace_path) {
		p->trace_file = fopen(trace_path, "a+");
		if (!p->trace_file) {
			snprintf(why, whylen, "%s: %s", trace_path,
				 strerror(errno));
			return -1;
		}
		/* Line by line: a kill loses at most the line in writing. */
		setvbuf(p->trace_file, NULL, _IOLBF, 0);
	}
	trace_init(&p->tr, cl->sc.n, cl->sc.f, p->trace_file);
	p->tr.stamp = true;
	p->tr.epoch = cl->epoch_us;
	/* A restarted process (or another run of a client appending to its
	 * trace) goes on from a clock above its old lines: its last line's
	 * (the hybrid clock's physical floor is above it too, unless a clock
	 * ran ahead). */
	p->tr.lc = p->trace_file ? last_lc(p->trace_file) : 0;
	p->id_base = (uint64_t)(tag & 0xfffu) << 44 | (uint64_t)(boot & 0xffu)
							  << 36;
	p->next_id = 0;
	proc_now(p);
	return 0;
}

int proc_close(struct proc *p, const char *trace_path, char *why, size_t whylen)
{
	int rc = 0;

	if (p->trace_file) {
		if (fflush(p->trace_file) || p->tr.err) {
			snprintf(why, whylen, "%s: %s", trace_path,
				 strerror(errno ? errno : EIO));
			rc = -1;
		}
		fclose(p->trace_file);
		p->trace_file = NULL;
	}
	trace_free(&p->tr);
	return rc;
}

uint64_t proc_now(struct proc *p)
{
	uint64_t w = clock_wall_us();

	p->tr.wall = w;
	return w > p->cl->epoch_us ? w - p->cl->epoch_us : 0;
}

uint64_t proc_msg_id(struct proc *p)
{
	return p->id_base | (p->next_id++ & ((1ull << 36) - 1));
}

void proc_received(struct proc *p, uint64_t lc)
{
	if (lc > p->tr.lc)
		p->tr.lc = lc;
}

int proc_ingress(const struct cluster *cl, struct ingress **out, char *why,
		 size_t whylen)
{
	uint32_t n = cl->sc.n, nc = cl->nclients;
	uint8_t(*rk)[BYZ_PK_BYTES] = calloc(n, BYZ_PK_BYTES);
	uint8_t(*ck)[BYZ_PK_BYTES] = calloc(nc ? nc : 1, BYZ_PK_BYTES);
	struct ingress_keys keys = {.n = n, .clients = nc};
	struct keyfile kf;
	int rc = -1;

	*out = NULL;
	if (!rk || !ck) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < n + nc; i++) {
		bool client = i >= n;
		uint32_t id = client ? i - n : i;
		if (keyfile_load(cl->keys,
				 client ? BYZ_ROLE_CLIENT : BYZ_ROLE_REPLICA,
				 id, false, &kf, why, whylen))
			goto out;
		memcpy(client ? ck[id] : rk[id], kf.pk, BYZ_PK_BYTES);
	}
	keys.replica = (const uint8_t(*)[BYZ_PK_BYTES])rk;
	keys.client = (const uint8_t(*)[BYZ_PK_BYTES])ck;
	if (ingress_new(&keys, 16, out)) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(rk);
	free(ck);
	return rc;
}

bool proc_status_get(const char *path, const char *key, uint64_t *v)
{
	char line[160];
	size_t kl = strlen(key);
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			*v = strtoull(line + kl + 1, NULL, 10);
			found = true;
		}
	fclose(f);
	return found;
}

int proc_write_status(const char *path, const char *text)
{
	char tmp[CLUSTER_PATH_MAX + 8];
	FILE *f;
	int rc;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	rc = fputs(text, f) < 0;
	rc |= fclose(f) != 0;
	if (rc || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

pid_t proc_spawn(const char *self, char *const argv[], const char *log,
		 enum proc_spawn_mode mode)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;
		sigset_t none;
		int fd;

		if (mode == PROC_SPAWN_TIED) {
			/* Die with the launcher, however it dies. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(127);
		} else {
			setsid();
		}
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 0);
		execv(self, argv);
		_exit(127);
	}
	return pid;
}
