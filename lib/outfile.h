/*
 * outfile.h - writing an output file atomically, and only where byzlab may
 * write: the one writer of every file a command leaves behind (failure
 * files, summaries, traces, key files, shrunk failures).
 *
 * A target that exists must be a regular file: a FIFO, a device, a socket,
 * a directory or a symbolic link (not followed) is refused, and left
 * untouched. The data goes into a temporary file in the target's directory
 * (".NAME.XXXXXX", created with O_EXCL under a unique name), is fsync'ed,
 * and only then gets the target's name (rename, or link when the target
 * must not exist yet), so a reader sees the old file or the whole new one,
 * never a part. On every failure the temporary file is removed, and the
 * message names the target and says why ("cannot write 'DIR/x.json': No
 * space left on device").
 */
#ifndef BYZ_OUTFILE_H
#define BYZ_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* flags */
#define OUTFILE_NO_REPLACE 1u /* fail if the target exists already */
#define OUTFILE_EXACT_MODE 2u /* the mode exactly, whatever the umask */

/* Longest path handled (PATH_MAX on Linux). */
#define OUTFILE_PATH_MAX 4096

/* An output file being written: its stream writes the temporary file. */
struct outfile {
	char path[OUTFILE_PATH_MAX];
	char tmp[OUTFILE_PATH_MAX];
	FILE *f;
	mode_t mode;
	unsigned flags;
	int err; /* errno of the first failed write noticed (outfile_fail) */
};

/*
 * Whether byzlab may write path: 0 if it does not exist or is a regular
 * file; -1 with a sentence in why otherwise ("'x' is a FIFO: byzlab writes
 * only regular files"). errno is EEXIST for a refused target.
 */
int outfile_check(const char *path, char *why, size_t whylen);

/*
 * Start writing path: check it (outfile_check), create the temporary file
 * and open o->f on it. mode as for open(2) (the umask applies unless
 * OUTFILE_EXACT_MODE). 0, or -1 with why (nothing is left behind).
 */
int outfile_open(struct outfile *o, const char *path, mode_t mode,
		 unsigned flags, char *why, size_t whylen);

/* Remember that a write to o->f failed with errno err (the first one is
 * reported by outfile_commit). */
void outfile_fail(struct outfile *o, int err);

/*
 * Finish: flush, check the stream, fsync, close and give the temporary file
 * the target's name. 0, or -1 with why naming the target; either way o->f
 * is closed and no temporary file is left.
 */
int outfile_commit(struct outfile *o, char *why, size_t whylen);

/* Give up: close o->f and remove the temporary file (the target is
 * untouched). Safe on an outfile that is not open. */
void outfile_abort(struct outfile *o);

/* outfile_open + write len bytes + outfile_commit, with SIGINT, SIGTERM
 * and SIGHUP held off meanwhile (so a campaign ending its workers leaves
 * no temporary file). */
int outfile_write(const char *path, const void *data, size_t len, mode_t mode,
		  unsigned flags, char *why, size_t whylen);

#endif
