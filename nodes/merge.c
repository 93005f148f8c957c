/*
 * merge.c - the per-process traces of a real run merged into one trace
 * (merge.h).
 *
 * Each file is read whole (all files together at most MERGE_MAX_BYTES),
 * and its lines indexed (offset, length, lc) and checked: one JSON object
 * each, parsed by jansson with duplicate keys rejected, with an "lc" above
 * the line before's. Only when every file has passed is anything written:
 * the run line, then a k-way merge of the files (a min-heap of the files
 * on (lc of the next line, file index); within a file lc strictly
 * increases, so that is the order (lc, file, line)), then the end line.
 * Memory: the files' bytes plus 16 bytes a line.
 */
#include "merge.h"

#include "err.h"
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(MERGE_MAX_BYTES <= UINT32_MAX, "offsets are 32 bits");
_Static_assert(MERGE_MAX_BYTES <= SIZE_MAX / 2, "sizes fit size_t");

/* One line of a file: where it is (without its newline) and its clock. */
struct mline {
	uint64_t lc;
	uint32_t off, len;
};

/* One file, read whole: its bytes and its complete lines. */
struct mfile {
	char *buf;
	size_t size;
	struct mline *lines;
	size_t nlines, cap, next; /* next: the merge's position */
};

struct merge {
	const char *const *paths;
	struct mfile *files;
	size_t nfiles;
	size_t total; /* bytes read so far, all files */
	uint64_t torn, max_lc;
	char *why;
	size_t whylen;
};

/* Write the message into why; return rc. */
__attribute__((format(printf, 3, 4))) static int
merge_fail(struct merge *m, int rc, const char *fmt, ...)
{
	va_list ap;

	if (m->why && m->whylen) {
		va_start(ap, fmt);
		vsnprintf(m->why, m->whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * Read file i whole into m->files[i]. A missing file that may be missing
 * is left empty. More bytes than MERGE_MAX_BYTES in all are refused
 * without reading further than one byte past the limit.
 */
static int merge_read(struct merge *m, size_t i, const bool *allow_missing)
{
	const char *path = m->paths[i];
	struct mfile *mf = &m->files[i];
	size_t budget = MERGE_MAX_BYTES - m->total, len = 0, cap = 0;
	size_t hint = 4096;
	struct stat st;
	char *buf = NULL;
	FILE *f;
	int rc = 0;

	if (!path)
		return merge_fail(m, BYZ_EINVAL, "file %zu: no path", i);
	f = fopen(path, "rb");
	if (!f) {
		int e = errno;

		if (e == ENOENT && allow_missing && allow_missing[i])
			return 0;
		return merge_fail(m, BYZ_EIO, "%s: cannot read: %s", path,
				  strerror(e));
	}
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < budget)
		hint = (size_t)st.st_size + 1; /* one more: to see the end */
	for (;;) {
		size_t k;

		if (len == cap) {
			size_t want = cap ? 2 * cap : hint;
			char *p;

			if (len > budget) {
				rc = merge_fail(m, BYZ_ELIMIT,
						"%s: the traces hold more than"
						" %llu bytes in all",
						path, MERGE_MAX_BYTES);
				goto out;
			}
			if (want > budget + 1)
				want = budget + 1;
			p = realloc(buf, want);
			if (!p) {
				rc = merge_fail(m, BYZ_ENOMEM,
						"%s: out of memory", path);
				goto out;
			}
			buf = p;
			cap = want;
		}
		errno = 0;
		k = fread(buf + len, 1, cap - len, f);
		len += k;
		if (len < cap && ferror(f)) {
			rc = merge_fail(m, BYZ_EIO, "%s: cannot read: %s", path,
					strerror(errno ? errno : EIO));
			goto out;
		}
		if (len < cap && feof(f))
			break;
	}
	mf->buf = buf;
	mf->size = len;
	m->total += len;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* Append a line to mf's index. */
static int merge_push(struct mfile *mf, uint64_t lc, size_t off, size_t len)
{
	if (mf->nlines == mf->cap) {
		size_t cap = mf->cap ? 2 * mf->cap : 256;
		struct mline *p;

		if (cap > SIZE_MAX / sizeof *p)
			return BYZ_ENOMEM;
		p = realloc(mf->lines, cap * sizeof *p);
		if (!p)
			return BYZ_ENOMEM;
		mf->lines = p;
		mf->cap = cap;
	}
	mf->lines[mf->nlines++] = (struct mline){
	    .lc = lc, .off = (uint32_t)off, .len = (uint32_t)len};
	return 0;
}

/*
 * Check one complete line (len bytes, without its newline) of file i,
 * line number `line`; its lc in *lc. A process's file holds event lines
 * only: its run and end lines are the launcher's.
 */
static int merge_line(struct merge *m, size_t i, uint64_t line, const char *p,
		      size_t len, uint64_t *lc)
{
	const char *path = m->paths[i];
	json_error_t err;
	json_t *o, *j;
	const char *ev;
	int rc = 0;

	if (len == 0)
		return merge_fail(m, BYZ_EINVAL,
				  "%s:%" PRIu64 ": an empty line", path, line);
	if (len > TRACE_LINE_MAX)
		return merge_fail(m, BYZ_EINVAL,
				  "%s:%" PRIu64
				  ": the line is longer than %d bytes",
				  path, line, TRACE_LINE_MAX);
	o = json_loadb(p, len, JSON_REJECT_DUPLICATES, &err);
	if (!o)
		return merge_fail(m, BYZ_EINVAL,
				  "%s:%" PRIu64 ": not JSON: %s (column %d)",
				  path, line, err.text, err.column);
	if (!json_is_object(o)) {
		rc =
		    merge_fail(m, BYZ_EINVAL,
			       "%s:%" PRIu64 ": not a JSON object", path, line);
		goto out;
	}
	ev = json_string_value(json_object_get(o, "ev"));
	if (ev && (!strcmp(ev, "run") || !strcmp(ev, "end"))) {
		rc = merge_fail(m, BYZ_EINVAL,
				"%s:%" PRIu64
				": %s: a process's trace has no %s line"
				" (the launcher writes it)",
				path, line, ev, ev);
		goto out;
	}
	j = json_object_get(o, "lc");
	if (!j) {
		rc = merge_fail(m, BYZ_EINVAL,
				"%s:%" PRIu64 ": field 'lc' is missing", path,
				line);
		goto out;
	}
	if (!json_is_integer(j) || json_integer_value(j) < 0) {
		rc = merge_fail(m, BYZ_EINVAL,
				"%s:%" PRIu64
				": field 'lc' is not a whole number",
				path, line);
		goto out;
	}
	*lc = (uint64_t)json_integer_value(j);
out:
	json_decref(o);
	return rc;
}

/* Index and check the lines of file i; a torn last line is dropped. */
static int merge_index(struct merge *m, size_t i)
{
	struct mfile *mf = &m->files[i];
	size_t off = 0;
	uint64_t line = 0, lc = 0;
	int rc;

	while (off < mf->size) {
		const char *p = mf->buf + off;
		const char *nl = memchr(p, '\n', mf->size - off);
		size_t len;
		uint64_t prev = lc;

		if (!nl) {
			m->torn++; /* killed mid-write */
			break;
		}
		len = (size_t)(nl - p);
		line++;
		rc = merge_line(m, i, line, p, len, &lc);
		if (rc)
			return rc;
		if (line > 1 && lc <= prev)
			return merge_fail(m, BYZ_EINVAL,
					  "%s:%" PRIu64
					  ": field 'lc' is %" PRIu64
					  ", not above %" PRIu64
					  " on the line before: a process's"
					  " clock only goes up",
					  m->paths[i], line, lc, prev);
		if (merge_push(mf, lc, off, len))
			return merge_fail(m, BYZ_ENOMEM, "%s: out of memory",
					  m->paths[i]);
		if (lc > m->max_lc)
			m->max_lc = lc;
		off += len + 1;
	}
	return 0;
}

/* The run or end line as given: one JSON object, no newline. */
static int merge_given(struct merge *m, const char *what, const char *s)
{
	size_t len = strlen(s);
	json_error_t err;
	json_t *o;
	bool object;

	if (len == 0 || len > TRACE_LINE_MAX || memchr(s, '\n', len))
		return merge_fail(m, BYZ_EINVAL,
				  "the %s line is not one line of 1 to %d"
				  " bytes",
				  what, TRACE_LINE_MAX);
	o = json_loadb(s, len, JSON_REJECT_DUPLICATES, &err);
	if (!o)
		return merge_fail(m, BYZ_EINVAL,
				  "the %s line: not JSON: %s (column %d)", what,
				  err.text, err.column);
	object = json_is_object(o);
	json_decref(o);
	if (!object)
		return merge_fail(m, BYZ_EINVAL,
				  "the %s line: not a JSON object", what);
	return 0;
}

/* The lc of file i's next line. */
static uint64_t merge_key(const struct merge *m, size_t i)
{
	const struct mfile *mf = &m->files[i];

	return mf->lines[mf->next].lc;
}

/* Whether file a's next line goes before file b's: (lc, file). */
static bool merge_before(const struct merge *m, size_t a, size_t b)
{
	uint64_t ka = merge_key(m, a), kb = merge_key(m, b);

	return ka < kb || (ka == kb && a < b);
}

/* Restore the heap h[0..n) below position at. */
static void merge_down(const struct merge *m, size_t *h, size_t n, size_t at)
{
	for (;;) {
		size_t l = 2 * at + 1, r = l + 1, min = at, tmp;

		if (l < n && merge_before(m, h[l], h[min]))
			min = l;
		if (r < n && merge_before(m, h[r], h[min]))
			min = r;
		if (min == at)
			return;
		tmp = h[at];
		h[at] = h[min];
		h[min] = tmp;
		at = min;
	}
}

/* Write a line and its newline; false on a write error. */
static bool merge_put(FILE *out, const char *p, size_t len)
{
	return fwrite(p, 1, len, out) == len && putc('\n', out) != EOF;
}

/* Write the run line, the merged lines and the end line. */
static int merge_write(struct merge *m, FILE *out, const char *run_line,
		       const char *end_line)
{
	size_t *h = NULL, n = 0;
	bool ok;

	if (m->nfiles) {
		h = malloc(m->nfiles * sizeof *h);
		if (!h)
			return merge_fail(m, BYZ_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].nlines)
			h[n++] = i;
	for (size_t i = n / 2; i-- > 0;)
		merge_down(m, h, n, i);
	errno = 0;
	ok = merge_put(out, run_line, strlen(run_line));
	while (ok && n) {
		struct mfile *mf = &m->files[h[0]];
		const struct mline *l = &mf->lines[mf->next++];

		/* The newline after the line is in the buffer: one write. */
		ok = fwrite(mf->buf + l->off, 1, (size_t)l->len + 1, out) ==
		     (size_t)l->len + 1;
		if (mf->next == mf->nlines)
			h[0] = h[--n];
		merge_down(m, h, n, 0);
	}
	free(h);
	if (ok && end_line)
		ok = merge_put(out, end_line, strlen(end_line));
	if (ok)
		ok = fflush(out) == 0 && !ferror(out);
	if (!ok)
		return merge_fail(m, BYZ_EIO,
				  "cannot write the merged trace: %s",
				  strerror(errno ? errno : EIO));
	return 0;
}

int merge_traces(const char *const *paths, const bool *allow_missing,
		 size_t nfiles, const char *run_line, const char *end_line,
		 FILE *out, uint64_t *max_lc, uint64_t *torn, char *why,
		 size_t whylen)
{
	struct merge m = {
	    .paths = paths, .nfiles = nfiles, .why = why, .whylen = whylen};
	int rc = 0;

	if (why && whylen)
		why[0] = '\0';
	if (max_lc)
		*max_lc = 0;
	if (torn)
		*torn = 0;
	if (nfiles > MERGE_MAX_FILES)
		return merge_fail(&m, BYZ_ELIMIT,
				  "%zu traces to merge: at most %d", nfiles,
				  MERGE_MAX_FILES);
	if (!out || !run_line || (nfiles && !paths))
		return merge_fail(&m, BYZ_EINVAL,
				  "merge: no output, run line or paths");
	if ((rc = merge_given(&m, "run", run_line)) ||
	    (end_line && (rc = merge_given(&m, "end", end_line))))
		return rc;
	if (nfiles) {
		m.files = calloc(nfiles, sizeof *m.files);
		if (!m.files)
			return merge_fail(&m, BYZ_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nfiles && !rc; i++) {
		rc = merge_read(&m, i, allow_missing);
		if (!rc)
			rc = merge_index(&m, i);
	}
	if (!rc)
		rc = merge_write(&m, out, run_line, end_line);
	if (!rc) {
		if (max_lc)
			*max_lc = m.max_lc;
		if (torn)
			*torn = m.torn;
	}
	for (size_t i = 0; i < nfiles && m.files; i++) {
		free(m.files[i].buf);
		free(m.files[i].lines);
	}
	free(m.files);
	return rc;
}
