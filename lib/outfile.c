/*
 * outfile.c - atomic output files, written only where they may be
 * (outfile.h).
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
	return S_ISLNK(m)    ? "a symbolic link"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISDIR(m)  ? "a directory"
			     : "not a regular file";
}

int outfile_check(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (!path || !*path) {
		snprintf(why, whylen, "an empty file name");
		errno = EINVAL;
		return -1;
	}
	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return 0;
	snprintf(why, whylen,
		 "'%s' is %s: byzlab writes only regular files (and does "
		 "not follow symbolic links); give another name",
		 path, kind_of(st.st_mode));
	errno = EEXIST;
	return -1;
}

/* Make the temporary file next to path: "DIR/.NAME.PID.K.tmp", created
 * with O_EXCL. The descriptor, or -1 (errno set). */
static int make_tmp(struct outfile *o)
{
	static unsigned counter;
	const char *slash = strrchr(o->path, '/');
	int dirlen = slash ? (int)(slash - o->path) + 1 : 0;
	const char *base = o->path + dirlen;
	mode_t create = (o->flags & OUTFILE_EXACT_MODE) ? 0600 : o->mode;

	for (int tries = 0; tries < 100; tries++) {
		struct timespec ts;
		int r, fd;

		clock_gettime(CLOCK_REALTIME, &ts);
		r = snprintf(o->tmp, sizeof o->tmp, "%.*s.%s.%ld.%u%ld.tmp",
			     dirlen, o->path, base, (long)getpid(), counter++,
			     (long)(ts.tv_nsec % 1000));
		if (r < 0 || (size_t)r >= sizeof o->tmp) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  create);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int outfile_open(struct outfile *o, const char *path, mode_t mode,
		 unsigned flags, char *why, size_t whylen)
{
	int fd;
	size_t len = path ? strlen(path) : 0;

	memset(o, 0, sizeof *o);
	if (outfile_check(path, why, whylen))
		return -1;
	if (len >= sizeof o->path || path[len - 1] == '/') {
		snprintf(why, whylen,
			 "cannot write '%s': not a usable file name", path);
		return -1;
	}
	memcpy(o->path, path, len + 1);
	o->mode = mode;
	o->flags = flags;
	if ((flags & OUTFILE_NO_REPLACE) && access(path, F_OK) == 0) {
		snprintf(why, whylen, "cannot write '%s': it exists already",
			 path);
		return -1;
	}
	fd = make_tmp(o);
	if (fd < 0) {
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(errno));
		o->tmp[0] = '\0';
		return -1;
	}
	if ((flags & OUTFILE_EXACT_MODE) && fchmod(fd, mode)) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		o->tmp[0] = '\0';
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(e));
		return -1;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		o->tmp[0] = '\0';
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(e));
		return -1;
	}
	return 0;
}

void outfile_fail(struct outfile *o, int err)
{
	if (!o->err)
		o->err = err ? err : EIO;
}

void outfile_abort(struct outfile *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
}

/* fsync the directory holding path, so the new name survives a crash
 * (best effort: some file systems refuse). */
static void sync_dir(const char *path)
{
	char dir[OUTFILE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int outfile_commit(struct outfile *o, char *why, size_t whylen)
{
	int e = 0;

	if (!o->f) {
		snprintf(why, whylen, "cannot write '%s': not open", o->path);
		return -1;
	}
	errno = 0;
	if (o->err)
		e = o->err;
	else if (fflush(o->f) || ferror(o->f))
		e = errno ? errno : EIO;
	else if (fsync(fileno(o->f)) && errno != EINVAL && errno != EROFS)
		e = errno;
	if (fclose(o->f) && !e)
		e = errno ? errno : EIO;
	o->f = NULL;
	if (!e && outfile_check(o->path, why, whylen)) {
		/* became something else while we wrote: leave it alone */
		unlink(o->tmp);
		o->tmp[0] = '\0';
		return -1;
	}
	if (!e) {
		if (o->flags & OUTFILE_NO_REPLACE) {
			if (link(o->tmp, o->path))
				e = errno;
			unlink(o->tmp);
		} else if (rename(o->tmp, o->path)) {
			e = errno;
			unlink(o->tmp);
		}
		o->tmp[0] = '\0';
		if (e == EEXIST) {
			snprintf(why, whylen,
				 "cannot write '%s': it exists already",
				 o->path);
			return -1;
		}
	}
	if (e) {
		if (o->tmp[0])
			unlink(o->tmp);
		o->tmp[0] = '\0';
		snprintf(why, whylen, "cannot write '%s': %s", o->path,
			 strerror(e));
		return -1;
	}
	sync_dir(o->path);
	return 0;
}

int outfile_write(const char *path, const void *data, size_t len, mode_t mode,
		  unsigned flags, char *why, size_t whylen)
{
	struct outfile o;
	sigset_t stop, old;
	int rc = -1;

	/* A signal that ends the process (a campaign ends its workers with
	 * SIGTERM) waits until the temporary file has its name or is gone. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	if (!outfile_open(&o, path, mode, flags, why, whylen)) {
		if (len && fwrite(data, 1, len, o.f) != len)
			outfile_fail(&o, errno);
		rc = outfile_commit(&o, why, whylen);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
