/*
 * test_wal.c - the replica's durable log (nodes/wal): what is persisted is
 * what the next start reads back, a replace discards what came before, a
 * torn tail is cut and reported, boots counts the starts, the size bound
 * holds before anything is written, a failed write leaves the log as it
 * was, and every error names its path.
 */
#include "core.h"
#include "err.h"
#include "wal.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/byzlab-test-wal-XXXXXX";
static char data[600]; /* tmp/r0: the replica's data directory */
static char why[512];

/* A fresh temporary directory for each test (wal_open creates r0 in it). */
static void setup(void)
{
	cr_assert_not_null(mkdtemp(tmp), "mkdtemp failed");
	snprintf(data, sizeof data, "%s/r0", tmp);
}

/* Remove path and, if it is a directory, everything in it. */
static void rm_rf(const char *path)
{
	DIR *d;
	struct dirent *e;
	char p[1200];

	chmod(path, 0700);
	d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		rm_rf(p);
	}
	closedir(d);
	rmdir(path);
}

static void teardown(void)
{
	rm_rf(tmp);
}

TestSuite(wal, .init = setup, .fini = teardown);

/* data/name (one static buffer per slot, so two can be used at once). */
static const char *at(int slot, const char *name)
{
	static char p[2][700];

	snprintf(p[slot], sizeof p[slot], "%s/%s", data, name);
	return p[slot];
}

/* The whole file at path (NUL-terminated for text), its size in *len. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 16);
	size_t n;

	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_not_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void spit(const char *path, const void *p, size_t len, int oflags)
{
	int fd = open(path, O_WRONLY | O_CREAT | oflags, 0600);

	cr_assert_geq(fd, 0, "cannot open %s", path);
	cr_assert_eq(write(fd, p, len), (ssize_t)len);
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static off_t file_size(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "cannot stat %s", path);
	return st.st_size;
}

/* The framed records, as a core's create() takes them. */
struct frame {
	uint8_t b[4096];
	size_t len;
};

static void frame_add(struct frame *f, const char *rec)
{
	size_t l = strlen(rec);

	f->b[f->len++] = (uint8_t)l;
	f->b[f->len++] = (uint8_t)(l >> 8);
	f->b[f->len++] = (uint8_t)(l >> 16);
	f->b[f->len++] = (uint8_t)(l >> 24);
	memcpy(f->b + f->len, rec, l);
	f->len += l;
}

static void persist(struct wal *w, const char *rec, bool replace)
{
	int r = wal_persist(w, rec, strlen(rec), replace, why, sizeof why);

	cr_assert_eq(r, 0, "wal_persist: %d: %s", r, why);
}

/* Open data; asserts success and the number of earlier starts. */
static void open_ok(struct wal *w, uint8_t **log, size_t *len, size_t *torn,
		    uint32_t boots)
{
	int r = wal_open(w, data, log, len, torn, why, sizeof why);

	cr_assert_eq(r, 0, "wal_open: %d: %s", r, why);
	cr_assert_eq(w->boots, boots, "boots %u, expected %u", w->boots, boots);
	cr_assert_eq(w->size, *len);
}

/* The log read back is exactly f, and every record parses. */
static void assert_log(const uint8_t *log, size_t len, const struct frame *f)
{
	const uint8_t *rec;
	size_t pos = 0, rl;
	int r;

	cr_assert_eq(len, f->len, "log of %zu bytes, expected %zu", len,
		     f->len);
	if (f->len == 0) {
		cr_assert_null(log);
		return;
	}
	cr_assert_arr_eq(log, f->b, len);
	while ((r = byz_persist_next(log, len, &pos, &rec, &rl)) == 1)
		;
	cr_assert_eq(r, 0);
}

Test(wal, first_open_is_empty_and_boots_zero)
{
	struct wal w;
	uint8_t *log = (uint8_t *)1;
	size_t len = 99, torn = 99;
	struct stat st;
	char *b;

	open_ok(&w, &log, &len, &torn, 0);
	cr_assert_null(log);
	cr_assert_eq(len, 0);
	cr_assert_eq(torn, 0);
	cr_assert_eq(stat(data, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0700, "mode %o", st.st_mode & 0777);
	cr_assert_eq(file_size(at(0, "log")), 0);
	b = slurp(at(0, "boots"), NULL);
	cr_assert_str_eq(b, "1\n");
	free(b);
	cr_assert(!exists(at(0, "boots.tmp")));
	wal_close(&w);
	wal_close(&w); /* harmless twice */

	open_ok(&w, &log, &len, &torn, 1);
	cr_assert_null(log);
	wal_close(&w);
	open_ok(&w, &log, &len, &torn, 2);
	wal_close(&w);
	b = slurp(at(0, "boots"), NULL);
	cr_assert_str_eq(b, "3\n");
	free(b);
}

Test(wal, appends_are_read_back_in_order)
{
	struct wal w;
	struct frame f = {.len = 0};
	uint8_t *log;
	size_t len, torn, flen;
	char *b;

	open_ok(&w, &log, &len, &torn, 0);
	persist(&w, "view v=1", false);
	persist(&w, "", false); /* an empty record is a record */
	persist(&w, "prepare seq=7", false);
	frame_add(&f, "view v=1");
	frame_add(&f, "");
	frame_add(&f, "prepare seq=7");
	cr_assert_eq(w.size, f.len);
	wal_close(&w);

	b = slurp(at(0, "log"), &flen);
	cr_assert_eq(flen, f.len);
	cr_assert_arr_eq(b, f.b, flen);
	free(b);

	open_ok(&w, &log, &len, &torn, 1);
	cr_assert_eq(torn, 0);
	assert_log(log, len, &f);
	free(log);
	/* Appending goes on after what was read back. */
	persist(&w, "commit seq=7", false);
	frame_add(&f, "commit seq=7");
	wal_close(&w);
	open_ok(&w, &log, &len, &torn, 2);
	assert_log(log, len, &f);
	free(log);
	wal_close(&w);
}

Test(wal, replace_discards_the_log)
{
	struct wal w;
	struct frame f = {.len = 0};
	uint8_t *log;
	size_t len, torn;

	open_ok(&w, &log, &len, &torn, 0);
	persist(&w, "a", false);
	persist(&w, "bb", false);
	persist(&w, "checkpoint 100", true);
	persist(&w, "view v=3", false);
	frame_add(&f, "checkpoint 100");
	frame_add(&f, "view v=3");
	cr_assert_eq(w.size, f.len);
	cr_assert(!exists(at(0, "log.tmp")));
	cr_assert_eq(file_size(at(0, "log")), (off_t)f.len);
	wal_close(&w);

	open_ok(&w, &log, &len, &torn, 1);
	assert_log(log, len, &f);
	free(log);
	/* A replace right after a start, then nothing appended. */
	persist(&w, "checkpoint 200", true);
	wal_close(&w);
	f.len = 0;
	frame_add(&f, "checkpoint 200");
	open_ok(&w, &log, &len, &torn, 2);
	assert_log(log, len, &f);
	free(log);
	wal_close(&w);
}

Test(wal, a_torn_tail_is_cut_and_reported)
{
	struct wal w;
	struct frame f = {.len = 0};
	/* A record of 100 bytes of which 10 made it to the disk. */
	const uint8_t half[14] = {100, 0, 0, 0, 'h', 'a', 'l', 'f'};
	/* Only 3 bytes of a length. */
	const uint8_t hdr[3] = {5, 0, 0};
	uint8_t *log;
	size_t len, torn;

	open_ok(&w, &log, &len, &torn, 0);
	persist(&w, "one", false);
	persist(&w, "two", false);
	frame_add(&f, "one");
	frame_add(&f, "two");
	wal_close(&w);
	spit(at(0, "log"), half, sizeof half, O_APPEND);

	open_ok(&w, &log, &len, &torn, 1);
	cr_assert_eq(torn, sizeof half, "torn %zu", torn);
	assert_log(log, len, &f);
	free(log);
	cr_assert_eq(file_size(at(0, "log")), (off_t)f.len);
	/* The next append follows the last whole record. */
	persist(&w, "three", false);
	frame_add(&f, "three");
	wal_close(&w);
	spit(at(0, "log"), hdr, sizeof hdr, O_APPEND);

	open_ok(&w, &log, &len, &torn, 2);
	cr_assert_eq(torn, sizeof hdr);
	assert_log(log, len, &f);
	free(log);
	wal_close(&w);

	/* Nothing left to cut. */
	open_ok(&w, &log, &len, &torn, 3);
	cr_assert_eq(torn, 0);
	assert_log(log, len, &f);
	free(log);
	wal_close(&w);
}

Test(wal, a_log_that_is_all_torn_is_empty)
{
	struct wal w;
	const uint8_t junk[6] = {0xff, 0xff, 0xff, 0xff, 1, 2};
	uint8_t *log;
	size_t len, torn;

	cr_assert_eq(mkdir(data, 0700), 0);
	spit(at(0, "log"), junk, sizeof junk, O_TRUNC);
	open_ok(&w, &log, &len, &torn, 0);
	cr_assert_null(log);
	cr_assert_eq(len, 0);
	cr_assert_eq(torn, sizeof junk);
	cr_assert_eq(file_size(at(0, "log")), 0);
	wal_close(&w);
}

Test(wal, an_existing_empty_log_and_boots)
{
	struct wal w;
	uint8_t *log;
	size_t len, torn;
	char *b;

	cr_assert_eq(mkdir(data, 0755), 0);
	spit(at(0, "log"), "", 0, O_TRUNC);
	spit(at(0, "boots"), "41\n", 3, O_TRUNC);
	spit(at(0, "log.tmp"), "stale", 5, O_TRUNC); /* a crashed replace */
	open_ok(&w, &log, &len, &torn, 41);
	cr_assert_null(log);
	cr_assert_eq(torn, 0);
	cr_assert(!exists(at(0, "log.tmp")));
	wal_close(&w);
	b = slurp(at(0, "boots"), NULL);
	cr_assert_str_eq(b, "42\n");
	free(b);
}

Test(wal, a_malformed_boots_is_refused)
{
	static const char *bad[] = {"",	    "x\n",   "-1\n",	    "01\n",
				    "1 \n", "1\n\n", "4294967296\n"};
	struct wal w;
	uint8_t *log;
	size_t len, torn, i;

	cr_assert_eq(mkdir(data, 0700), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		spit(at(0, "boots"), bad[i], strlen(bad[i]), O_TRUNC);
		cr_assert_eq(
		    wal_open(&w, data, &log, &len, &torn, why, sizeof why),
		    BYZ_EIO, "boots '%s' accepted", bad[i]);
		cr_assert_not_null(strstr(why, at(0, "boots")), "%s", why);
		cr_assert_null(log);
		cr_assert_eq(w.fd, -1);
		cr_assert_eq(w.dirfd, -1);
		wal_close(&w);
	}
	/* The last count there is. */
	spit(at(0, "boots"), "4294967295", 10, O_TRUNC);
	cr_assert_eq(wal_open(&w, data, &log, &len, &torn, why, sizeof why),
		     BYZ_ELIMIT);
	wal_close(&w);
}

Test(wal, a_directory_that_cannot_be_made_is_named)
{
	struct wal w;
	uint8_t *log;
	size_t len, torn;
	char path[700];
	int r;

	/* The parent is missing. */
	snprintf(path, sizeof path, "%s/missing/r0", tmp);
	r = wal_open(&w, path, &log, &len, &torn, why, sizeof why);
	cr_assert_eq(r, BYZ_EIO);
	cr_assert_not_null(strstr(why, path), "%s", why);
	cr_assert_not_null(strstr(why, strerror(ENOENT)), "%s", why);
	cr_assert_null(log);
	wal_close(&w);

	/* The parent is a file. */
	spit(data, "", 0, O_TRUNC);
	snprintf(path, sizeof path, "%s/r0/r1", tmp);
	r = wal_open(&w, path, &log, &len, &torn, why, sizeof why);
	cr_assert_eq(r, BYZ_EIO);
	cr_assert_not_null(strstr(why, path), "%s", why);
	wal_close(&w);

	/* The directory is a file. */
	r = wal_open(&w, data, &log, &len, &torn, why, sizeof why);
	cr_assert_eq(r, BYZ_EIO);
	cr_assert_not_null(strstr(why, data), "%s", why);
	wal_close(&w);

	/* log is a directory. */
	unlink(data);
	cr_assert_eq(mkdir(data, 0700), 0);
	cr_assert_eq(mkdir(at(0, "log"), 0700), 0);
	r = wal_open(&w, data, &log, &len, &torn, why, sizeof why);
	cr_assert_eq(r, BYZ_EIO);
	cr_assert_not_null(strstr(why, at(0, "log")), "%s", why);
	wal_close(&w);

	r = wal_open(&w, "", &log, &len, &torn, why, sizeof why);
	cr_assert_eq(r, BYZ_EINVAL);
}

Test(wal, permission_denied_is_named)
{
	struct wal w;
	uint8_t *log;
	size_t len, torn;
	int r;

	if (geteuid() == 0) {
		teardown(); /* a skipped test's fini does not run */
		cr_skip_test("root ignores permissions");
	}
	cr_assert_eq(chmod(tmp, 0500), 0);
	r = wal_open(&w, data, &log, &len, &torn, why, sizeof why);
	cr_assert_eq(r, BYZ_EIO);
	cr_assert_not_null(strstr(why, data), "%s", why);
	cr_assert_not_null(strstr(why, strerror(EACCES)), "%s", why);
	wal_close(&w);

	cr_assert_eq(chmod(tmp, 0700), 0);
	open_ok(&w, &log, &len, &torn, 0);
	wal_close(&w);
	cr_assert_eq(chmod(at(0, "log"), 0), 0);
	r = wal_open(&w, data, &log, &len, &torn, why, sizeof why);
	cr_assert_eq(r, BYZ_EIO);
	cr_assert_not_null(strstr(why, at(0, "log")), "%s", why);
	cr_assert_not_null(strstr(why, strerror(EACCES)), "%s", why);
	wal_close(&w);
}

Test(wal, the_size_bound_is_checked_before_writing)
{
	static const char small[] = "0123456789";
	struct wal w;
	struct frame f = {.len = 0};
	uint8_t *log;
	size_t len, torn;
	uint64_t real;

	open_ok(&w, &log, &len, &torn, 0);
	persist(&w, "a", false);
	real = w.size;

	/* len larger than the bound: refused without reading rec (which
	 * has only 11 bytes behind it). */
	cr_assert_eq(
	    wal_persist(&w, small, WAL_MAX_BYTES, false, why, sizeof why),
	    BYZ_ELIMIT);
	cr_assert_not_null(strstr(why, at(0, "log")), "%s", why);
	cr_assert_eq(
	    wal_persist(&w, small, WAL_MAX_BYTES - 3, true, why, sizeof why),
	    BYZ_ELIMIT);
	cr_assert_eq(wal_persist(&w, small, SIZE_MAX, false, why, sizeof why),
		     BYZ_ELIMIT);
	cr_assert_eq(w.size, real);
	cr_assert_eq(file_size(at(0, "log")), (off_t)real);
	cr_assert(!exists(at(0, "log.tmp")));

	/* A log 10 bytes short of the bound takes 4 + 6 bytes, not 4 + 7. */
	w.size = WAL_MAX_BYTES - 10;
	cr_assert_eq(wal_persist(&w, small, 7, false, why, sizeof why),
		     BYZ_ELIMIT);
	cr_assert_eq(file_size(at(0, "log")), (off_t)real);
	cr_assert_eq(wal_persist(&w, small, 6, false, why, sizeof why), 0, "%s",
		     why);
	cr_assert_eq(w.size, WAL_MAX_BYTES);
	cr_assert_eq(wal_persist(&w, "", 0, false, why, sizeof why),
		     BYZ_ELIMIT);
	/* A replace discards the log: room again. */
	persist(&w, "fresh", true);
	cr_assert_eq(w.size, 9);
	wal_close(&w);
	frame_add(&f, "fresh");
	open_ok(&w, &log, &len, &torn, 1);
	assert_log(log, len, &f);
	free(log);
	wal_close(&w);

	/* A file larger than the bound is refused, not read (sparse). */
	cr_assert_eq(truncate(at(0, "log"), (off_t)WAL_MAX_BYTES + 1), 0);
	cr_assert_eq(wal_open(&w, data, &log, &len, &torn, why, sizeof why),
		     BYZ_ELIMIT);
	cr_assert_not_null(strstr(why, at(0, "log")), "%s", why);
	cr_assert_null(log);
	wal_close(&w);
}

/* A write that fails halfway (the file size limit, EFBIG) is taken back:
 * the log is as it was and can be appended to. */
Test(wal, a_failed_write_leaves_the_log_as_it_was)
{
	struct wal w;
	struct frame f = {.len = 0};
	struct rlimit rl, lim;
	uint8_t *log;
	size_t len, torn;
	char *b;

	signal(SIGXFSZ, SIG_IGN);
	open_ok(&w, &log, &len, &torn, 0);
	persist(&w, "first", false);
	frame_add(&f, "first");
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	lim = rl;
	lim.rlim_cur = (rlim_t)f.len + 6; /* the length and 2 bytes fit */

	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	cr_assert_eq(wal_persist(&w, "0123456789", 10, false, why, sizeof why),
		     BYZ_EIO);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_not_null(strstr(why, at(0, "log")), "%s", why);
	cr_assert_not_null(strstr(why, strerror(EFBIG)), "%s", why);
	cr_assert_eq(w.size, f.len);
	cr_assert_eq(file_size(at(0, "log")), (off_t)f.len);

	/* A replace that cannot be written leaves the old log in place. */
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	cr_assert_eq(
	    wal_persist(&w, "a much longer record", 20, true, why, sizeof why),
	    BYZ_EIO);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_not_null(strstr(why, at(0, "log.tmp")), "%s", why);
	cr_assert(!exists(at(0, "log.tmp")));
	b = slurp(at(0, "log"), &len);
	cr_assert_eq(len, f.len);
	cr_assert_arr_eq(b, f.b, len);
	free(b);

	persist(&w, "second", false);
	frame_add(&f, "second");
	wal_close(&w);
	open_ok(&w, &log, &len, &torn, 1);
	cr_assert_eq(torn, 0);
	assert_log(log, len, &f);
	free(log);
	wal_close(&w);
}

Test(wal, a_closed_log_refuses_persist)
{
	struct wal w;
	uint8_t *log;
	size_t len, torn;

	open_ok(&w, &log, &len, &torn, 0);
	wal_close(&w);
	cr_assert_eq(wal_persist(&w, "x", 1, false, why, sizeof why),
		     BYZ_ESTATE);
	cr_assert_eq(wal_persist(&w, NULL, 1, false, why, sizeof why),
		     BYZ_EINVAL);
}

Test(wal, wipe_forgets_the_log_but_not_the_boots)
{
	struct wal w;
	uint8_t *log;
	size_t len, torn;
	char *b;

	/* Nothing to forget yet. */
	cr_assert_eq(wal_wipe(data, why, sizeof why), 0, "%s", why);

	open_ok(&w, &log, &len, &torn, 0);
	persist(&w, "view v=9", false);
	wal_close(&w);
	cr_assert_eq(wal_wipe(data, why, sizeof why), 0, "%s", why);
	cr_assert(!exists(at(0, "log")));
	b = slurp(at(0, "boots"), NULL);
	cr_assert_str_eq(b, "1\n");
	free(b);
	cr_assert_eq(wal_wipe(data, why, sizeof why), 0, "%s", why);

	open_ok(&w, &log, &len, &torn, 1);
	cr_assert_null(log);
	cr_assert_eq(len, 0);
	wal_close(&w);

	/* A data directory that is a file is an error naming it. */
	rm_rf(data);
	spit(data, "", 0, O_TRUNC);
	cr_assert_eq(wal_wipe(data, why, sizeof why), BYZ_EIO);
	cr_assert_not_null(strstr(why, data), "%s", why);
}
