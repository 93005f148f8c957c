/*
 * wal.c - the durable write-ahead log of a replica process (see wal.h).
 *
 * Every file is reached through the directory's descriptor (openat and
 * friends), so the directory synced is the one written to. Every system
 * call that can be interrupted is retried on EINTR, and every write is
 * carried on after a short one.
 */
#include "wal.h"

#include "core.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAL_LOG	      "log"
#define WAL_LOG_TMP   "log.tmp"
#define WAL_BOOTS     "boots"
#define WAL_BOOTS_TMP "boots.tmp"
/* Longest boots file read: "4294967295\n" and room to see it is longer. */
#define WAL_BOOTS_READ 32

/* Format a message into why (if there is room for one) and return code. */
__attribute__((format(printf, 4, 5))) static int
wal_fail(char *why, size_t whylen, int code, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* "dir/name: what: strerror(err)" and BYZ_EIO. */
static int wal_sysfail(char *why, size_t whylen, const char *dir,
		       const char *name, const char *what, int err)
{
	const char *sep = dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "";

	if (!name[0]) /* the directory itself */
		sep = "";
	return wal_fail(why, whylen, BYZ_EIO, "%s%s%s: %s: %s", dir, sep, name,
			what, strerror(err));
}

/* close(2), keeping errno (used on error paths). */
static void wal_close_fd(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

/* write(2) all of len bytes, retrying short writes and EINTR. */
static int wal_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) { /* not for regular files; never loop on it */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The one record rec as it is framed in the log: its length first. */
static int wal_write_record(int fd, const void *rec, size_t len)
{
	uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8),
			  (uint8_t)(len >> 16), (uint8_t)(len >> 24)};

	if (wal_write_all(fd, hdr, sizeof hdr) < 0)
		return -1;
	return wal_write_all(fd, rec, len);
}

static int wal_fsync(int fd)
{
	while (fsync(fd) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static int wal_fdatasync(int fd)
{
	while (fdatasync(fd) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static int wal_ftruncate(int fd, off_t size)
{
	while (ftruncate(fd, size) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* openat(2), retried on EINTR (opening a FIFO, say, can be interrupted). */
static int wal_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd;

	do {
		fd = openat(dirfd, name, flags | O_CLOEXEC | O_NOCTTY, mode);
	} while (fd < 0 && errno == EINTR);
	return fd;
}

/*
 * Read up to max bytes of fd from its start into buf; returns the number
 * read (less at end of file) or -1.
 */
static ssize_t wal_read_all(int fd, uint8_t *buf, size_t max)
{
	size_t got = 0;

	while (got < max) {
		ssize_t n = pread(fd, buf + got, max - got, (off_t)got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The parent directory of path ("." when it has no slash). */
static void wal_parent(char *out, size_t outlen, const char *path)
{
	size_t l = strlen(path);

	while (l > 1 && path[l - 1] == '/') /* trailing slashes */
		l--;
	while (l > 0 && path[l - 1] != '/') /* the last component */
		l--;
	while (l > 1 && path[l - 1] == '/') /* the slashes before it */
		l--;
	if (l == 0)
		snprintf(out, outlen, ".");
	else
		snprintf(out, outlen, "%.*s", (int)l, path);
}

/* fsync the directory at path. */
static int wal_sync_dir_path(const char *path)
{
	int fd, r;

	fd = wal_openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return -1;
	r = wal_fsync(fd);
	wal_close_fd(fd);
	return r;
}

/*
 * Make dir exist (0700, then fsync its parent so that the new name lasts)
 * and open it into w->dirfd.
 */
static int wal_open_dir(struct wal *w, char *why, size_t whylen)
{
	char parent[sizeof w->dir];
	bool created = true;

	wal_parent(parent, sizeof parent, w->dir);
	if (mkdir(w->dir, 0700) < 0) {
		if (errno != EEXIST)
			return wal_fail(why, whylen, BYZ_EIO,
					"%s: cannot create directory: %s",
					w->dir, strerror(errno));
		created = false;
	}
	/* Also when it existed: a start that crashed between its mkdir and
	 * this fsync left a name that may not last (best effort then). */
	if (wal_sync_dir_path(parent) < 0 && created)
		return wal_fail(why, whylen, BYZ_EIO, "%s: fsync: %s", parent,
				strerror(errno));
	w->dirfd = wal_openat(AT_FDCWD, w->dir, O_RDONLY | O_DIRECTORY, 0);
	if (w->dirfd < 0)
		return wal_fail(why, whylen, BYZ_EIO, "%s: open: %s", w->dir,
				strerror(errno));
	return 0;
}

/*
 * Open log for appending (creating it empty), read it whole into *log,
 * and cut a torn tail.
 */
static int wal_read_log(struct wal *w, uint8_t **log, size_t *len, size_t *torn,
			char *why, size_t whylen)
{
	const uint8_t *rec;
	uint8_t *buf = NULL;
	size_t pos = 0, rlen, good;
	struct stat st;
	ssize_t got;
	int r;

	w->fd =
	    wal_openat(w->dirfd, WAL_LOG, O_RDWR | O_APPEND | O_CREAT, 0600);
	if (w->fd < 0)
		return wal_sysfail(why, whylen, w->dir, WAL_LOG, "open", errno);
	if (fstat(w->fd, &st) < 0)
		return wal_sysfail(why, whylen, w->dir, WAL_LOG, "fstat",
				   errno);
	if (!S_ISREG(st.st_mode))
		return wal_fail(why, whylen, BYZ_EIO,
				"%s/" WAL_LOG ": not a regular file", w->dir);
	if (st.st_size < 0 || (uint64_t)st.st_size > WAL_MAX_BYTES)
		return wal_fail(why, whylen, BYZ_ELIMIT,
				"%s/" WAL_LOG
				": %lld bytes, more than the limit of %u",
				w->dir, (long long)st.st_size, WAL_MAX_BYTES);
	if (st.st_size == 0)
		return 0;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return wal_fail(why, whylen, BYZ_ENOMEM,
				"%s/" WAL_LOG ": %lld bytes: out of memory",
				w->dir, (long long)st.st_size);
	got = wal_read_all(w->fd, buf, (size_t)st.st_size);
	if (got < 0) {
		r = wal_sysfail(why, whylen, w->dir, WAL_LOG, "read", errno);
		free(buf);
		return r;
	}
	/* The whole records; whatever follows the last one is torn. */
	do {
		r = byz_persist_next(buf, (size_t)got, &pos, &rec, &rlen);
	} while (r == 1);
	good = pos;
	if (good < (size_t)got) {
		if (wal_ftruncate(w->fd, (off_t)good) < 0 ||
		    wal_fsync(w->fd) < 0) {
			r = wal_sysfail(why, whylen, w->dir, WAL_LOG,
					"cutting the torn tail", errno);
			free(buf);
			return r;
		}
		*torn = (size_t)got - good;
	}
	w->size = good;
	if (good == 0) {
		free(buf);
		return 0;
	}
	*log = buf;
	*len = good;
	return 0;
}

/* Parse boots: decimal digits, no leading zero, an optional "\n". */
static int wal_parse_boots(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n == 0 || n > 10 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Read boots into w->boots (0 when missing), and write it plus one. */
static int wal_count_boot(struct wal *w, char *why, size_t whylen)
{
	char buf[WAL_BOOTS_READ];
	ssize_t got;
	int fd, n;

	w->boots = 0;
	fd = wal_openat(w->dirfd, WAL_BOOTS, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0 && errno != ENOENT)
		return wal_sysfail(why, whylen, w->dir, WAL_BOOTS, "open",
				   errno);
	if (fd >= 0) {
		got = wal_read_all(fd, (uint8_t *)buf, sizeof buf);
		if (got < 0) {
			n = errno;
			wal_close_fd(fd);
			return wal_sysfail(why, whylen, w->dir, WAL_BOOTS,
					   "read", n);
		}
		close(fd);
		if (wal_parse_boots(buf, (size_t)got, &w->boots) < 0)
			return wal_fail(why, whylen, BYZ_EIO,
					"%s/" WAL_BOOTS
					": not a decimal count of starts",
					w->dir);
	}
	if (w->boots == UINT32_MAX)
		return wal_fail(why, whylen, BYZ_ELIMIT,
				"%s/" WAL_BOOTS ": %u starts, no more", w->dir,
				w->boots);

	n = snprintf(buf, sizeof buf, "%lu\n", (unsigned long)w->boots + 1);
	fd = wal_openat(w->dirfd, WAL_BOOTS_TMP, O_WRONLY | O_CREAT | O_TRUNC,
			0600);
	if (fd < 0)
		return wal_sysfail(why, whylen, w->dir, WAL_BOOTS_TMP, "open",
				   errno);
	if (wal_write_all(fd, (const uint8_t *)buf, (size_t)n) < 0 ||
	    wal_fsync(fd) < 0) {
		n = errno;
		wal_close_fd(fd);
		unlinkat(w->dirfd, WAL_BOOTS_TMP, 0);
		return wal_sysfail(why, whylen, w->dir, WAL_BOOTS_TMP, "write",
				   n);
	}
	if (close(fd) < 0 && errno != EINTR) {
		n = errno;
		unlinkat(w->dirfd, WAL_BOOTS_TMP, 0);
		return wal_sysfail(why, whylen, w->dir, WAL_BOOTS_TMP, "close",
				   n);
	}
	if (renameat(w->dirfd, WAL_BOOTS_TMP, w->dirfd, WAL_BOOTS) < 0) {
		n = errno;
		unlinkat(w->dirfd, WAL_BOOTS_TMP, 0);
		return wal_sysfail(why, whylen, w->dir, WAL_BOOTS, "rename", n);
	}
	if (wal_fsync(w->dirfd) < 0)
		return wal_fail(why, whylen, BYZ_EIO, "%s: fsync: %s", w->dir,
				strerror(errno));
	return 0;
}

int wal_open(struct wal *w, const char *dir, uint8_t **log, size_t *len,
	     size_t *torn, char *why, size_t whylen)
{
	size_t dl;
	int r;

	if (w) {
		w->dirfd = -1;
		w->fd = -1;
		w->size = 0;
		w->boots = 0;
		w->dir[0] = '\0';
	}
	if (!w || !dir || !log || !len || !torn)
		return wal_fail(why, whylen, BYZ_EINVAL,
				"wal_open: a NULL argument");
	*log = NULL;
	*len = 0;
	*torn = 0;
	dl = strlen(dir);
	if (dl == 0)
		return wal_fail(why, whylen, BYZ_EINVAL,
				"the data directory is an empty path");
	if (dl >= sizeof w->dir)
		return wal_fail(why, whylen, BYZ_ELIMIT,
				"%.64s...: the data directory's path is "
				"longer than %zu bytes",
				dir, sizeof w->dir - 1);
	memcpy(w->dir, dir, dl + 1);

	r = wal_open_dir(w, why, whylen);
	if (r == 0) {
		/* A replace that crashed before its rename (ignored anyway). */
		unlinkat(w->dirfd, WAL_LOG_TMP, 0);
		r = wal_read_log(w, log, len, torn, why, whylen);
	}
	if (r == 0)
		r = wal_count_boot(w, why, whylen);
	if (r < 0) {
		free(*log);
		*log = NULL;
		*len = 0;
		*torn = 0;
		wal_close(w);
	}
	return r;
}

/*
 * A sync failed: what the kernel holds of the log is unknown, so the log
 * is closed for good (wal.h) and the process must start over.
 */
static int wal_poison(struct wal *w, char *why, size_t whylen, const char *name,
		      const char *what, int err)
{
	wal_close_fd(w->fd);
	w->fd = -1;
	return wal_sysfail(why, whylen, w->dir, name, what, err);
}

static int wal_append(struct wal *w, const void *rec, size_t len, char *why,
		      size_t whylen)
{
	int err;

	if (wal_write_record(w->fd, rec, len) < 0) {
		err = errno;
		/* Take the partial record back; if that fails too, the
		 * next wal_open cuts it as a torn tail. */
		if (wal_ftruncate(w->fd, (off_t)w->size) < 0)
			return wal_poison(w, why, whylen, WAL_LOG, "write",
					  err);
		return wal_sysfail(why, whylen, w->dir, WAL_LOG, "write", err);
	}
	if (wal_fdatasync(w->fd) < 0)
		return wal_poison(w, why, whylen, WAL_LOG, "fdatasync", errno);
	w->size += 4 + (uint64_t)len;
	return 0;
}

static int wal_replace(struct wal *w, const void *rec, size_t len, char *why,
		       size_t whylen)
{
	const char *what;
	int fd, err;

	fd = wal_openat(w->dirfd, WAL_LOG_TMP,
			O_RDWR | O_APPEND | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return wal_sysfail(why, whylen, w->dir, WAL_LOG_TMP, "open",
				   errno);
	what = "write";
	if (wal_write_record(fd, rec, len) < 0)
		goto fail;
	what = "fsync";
	if (wal_fsync(fd) < 0)
		goto fail;
	what = "rename";
	if (renameat(w->dirfd, WAL_LOG_TMP, w->dirfd, WAL_LOG) < 0)
		goto fail;
	/* log is now the new file, and fd (opened for appending) is it. */
	wal_close_fd(w->fd);
	w->fd = fd;
	w->size = 4 + (uint64_t)len;
	if (wal_fsync(w->dirfd) < 0)
		return wal_poison(w, why, whylen, "", "fsync", errno);
	return 0;
fail:
	err = errno;
	wal_close_fd(fd);
	unlinkat(w->dirfd, WAL_LOG_TMP, 0);
	/* The old log is untouched and still the one appended to. */
	return wal_sysfail(why, whylen, w->dir, WAL_LOG_TMP, what, err);
}

int wal_persist(struct wal *w, const void *rec, size_t len, bool replace,
		char *why, size_t whylen)
{
	uint64_t base;

	if (!w || (!rec && len > 0))
		return wal_fail(why, whylen, BYZ_EINVAL,
				"wal_persist: a NULL argument");
	if (w->fd < 0)
		return wal_fail(why, whylen, BYZ_ESTATE,
				"%s/" WAL_LOG
				": not open (closed, or after a failed sync)",
				w->dir);
	/* Before anything is written (len is not trusted to be backed). */
	base = replace ? 0 : w->size;
	if (len > WAL_MAX_BYTES || base + 4 + (uint64_t)len > WAL_MAX_BYTES)
		return wal_fail(
		    why, whylen, BYZ_ELIMIT,
		    "%s/" WAL_LOG ": a record of %zu bytes would make the log "
		    "%llu bytes, more than the limit of %u",
		    w->dir, len, (unsigned long long)(base + 4 + (uint64_t)len),
		    WAL_MAX_BYTES);
	if (replace)
		return wal_replace(w, rec, len, why, whylen);
	return wal_append(w, rec, len, why, whylen);
}

int wal_wipe(const char *dir, char *why, size_t whylen)
{
	const char *name;
	int dfd, err;

	if (!dir || !dir[0])
		return wal_fail(why, whylen, BYZ_EINVAL,
				"wal_wipe: no data directory");
	dfd = wal_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0) {
		if (errno == ENOENT) /* never started: nothing to forget */
			return 0;
		return wal_fail(why, whylen, BYZ_EIO, "%s: open: %s", dir,
				strerror(errno));
	}
	name = WAL_LOG;
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		goto fail;
	name = WAL_LOG_TMP;
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		goto fail;
	if (wal_fsync(dfd) < 0) {
		err = errno;
		close(dfd);
		return wal_fail(why, whylen, BYZ_EIO, "%s: fsync: %s", dir,
				strerror(err));
	}
	close(dfd);
	return 0;
fail:
	err = errno;
	close(dfd);
	return wal_sysfail(why, whylen, dir, name, "unlink", err);
}

void wal_close(struct wal *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->fd = -1;
	w->dirfd = -1;
}
