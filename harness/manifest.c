/*
 * manifest.c - what made a results directory, and its lock (manifest.h).
 */
#include "manifest.h"

#include "byz_version.h"
#include "crypto.h"
#include "failure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *manifest_version(void)
{
	return BYZ_VERSION;
}

void manifest_digest(const struct campaign *c, char out[2 * 32 + 1])
{
	uint8_t d[BYZ_DIGEST_BYTES];
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m) {
		fprintf(m, "%s\ndriver %s\nmutant %s\n",
			c->definition ? c->definition : "", c->driver,
			c->mutant);
		/* only when given, so that digests made before it existed
		 * stay the same */
		if (c->has_crypto_override)
			fprintf(m, "crypto %s\n",
				scenario_crypto_name(c->crypto_override));
		fclose(m);
	}
	byz_digest(d, buf ? buf : "", buf ? len : 0);
	byz_hex(out, d, 32 < BYZ_DIGEST_BYTES ? 32 : BYZ_DIGEST_BYTES);
	free(buf);
}

int manifest_lock(const char *dir, char *why, size_t whylen)
{
	char path[1100], pid[32];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_LOCK);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
		pid[got > 0 ? got : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (errno == EWOULDBLOCK || errno == EAGAIN)
			snprintf(why, whylen,
				 "another byzlab (pid %s) is writing '%s' "
				 "(%s is locked); wait for it or use another "
				 "--out",
				 pid[0] ? pid : "?", dir, path);
		else
			snprintf(why, whylen, "cannot lock '%s': %s", path,
				 strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0) {
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int manifest_read(const char *dir, json_t **out, char *why, size_t whylen)
{
	char path[1100];
	json_error_t err;
	json_t *m;
	struct stat st;

	*out = NULL;
	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_FILE);
	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MANIFEST_MAX_BYTES) {
		snprintf(why, whylen,
			 "%s: not a regular file of at most %u "
			 "bytes",
			 path, MANIFEST_MAX_BYTES);
		return -1;
	}
	m = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!m) {
		snprintf(why, whylen, "%s:%d: %s", path, err.line, err.text);
		return -1;
	}
	if (!json_is_object(m) ||
	    !json_is_integer(json_object_get(m, "byzlab_results")) ||
	    !json_is_string(json_object_get(m, "version")) ||
	    !json_is_string(json_object_get(m, "campaign")) ||
	    !json_is_string(json_object_get(m, "digest")) ||
	    !json_is_integer(json_object_get(m, "runs")) ||
	    json_integer_value(json_object_get(m, "runs")) < 0 ||
	    !json_is_array(json_object_get(m, "shards"))) {
		snprintf(why, whylen,
			 "%s: not a results manifest (byzlab_results, "
			 "version, campaign, digest, runs and shards are "
			 "required)",
			 path);
		json_decref(m);
		return -1;
	}
	*out = m;
	return 0;
}

static const char *str(const json_t *m, const char *key)
{
	const char *s = json_string_value(json_object_get(m, key));
	return s ? s : "";
}

int manifest_write(const char *dir, const struct campaign *c, const char *shard,
		   const json_t *keep, const char *mixed, char *why,
		   size_t whylen)
{
	char digest[65];
	json_t *m, *shards = json_array(), *mix = json_array(), *s;
	size_t i;
	int rc;

	if (keep) {
		json_array_foreach(json_object_get(keep, "shards"), i, s)
		{
			if (json_is_string(s) &&
			    (!shard || strcmp(json_string_value(s), shard)))
				json_array_append(shards, s);
		}
		json_array_foreach(json_object_get(keep, "mixed"), i, s)
		{
			if (json_is_string(s))
				json_array_append(mix, s);
		}
	}
	if (shard)
		json_array_append_new(shards, json_string(shard));
	if (mixed)
		json_array_append_new(mix, json_string(mixed));
	manifest_digest(c, digest);
	m = json_pack("{s:i,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:o,s:s}",
		      "byzlab_results", 1, "version", manifest_version(),
		      "campaign", c->name, "file", c->path, "digest", digest,
		      "runs", (json_int_t)c->nruns, "driver", c->driver,
		      "mutant", c->mutant, "shards", shards, "definition",
		      c->definition ? c->definition : "");
	if (m && json_array_size(mix))
		json_object_set(m, "mixed", mix);
	json_decref(mix);
	if (!m) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rc = manifest_put(dir, m, why, whylen);
	json_decref(m);
	return rc;
}

int manifest_put(const char *dir, json_t *m, char *why, size_t whylen)
{
	char path[1100];

	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_FILE);
	return failure_write(path, m, why, whylen);
}

int manifest_matches(const json_t *m, const char *dir, const struct campaign *c,
		     char *why, size_t whylen)
{
	char digest[65];

	manifest_digest(c, digest);
	if (strcmp(str(m, "digest"), digest)) {
		snprintf(why, whylen,
			 "'%s' holds the runs of campaign '%s' (file %s, "
			 "digest %.12s), and %s defines campaign '%s' "
			 "(digest %.12s): a changed or other campaign's "
			 "runs would be mixed with these",
			 dir, str(m, "campaign"), str(m, "file"),
			 str(m, "digest"), c->path, c->name, digest);
		return -1;
	}
	if (strcmp(str(m, "version"), manifest_version())) {
		snprintf(why, whylen,
			 "'%s' was written by byzlab %s, and this is byzlab "
			 "%s: its runs may differ from this version's",
			 dir, str(m, "version"), manifest_version());
		return -1;
	}
	return 0;
}

int manifest_same(const json_t *a, const char *adir, const json_t *b,
		  const char *bdir, char *why, size_t whylen)
{
	if (strcmp(str(a, "digest"), str(b, "digest"))) {
		snprintf(why, whylen,
			 "'%s' holds campaign '%s' (file %s, digest %.12s) "
			 "and '%s' campaign '%s' (file %s, digest %.12s)",
			 adir, str(a, "campaign"), str(a, "file"),
			 str(a, "digest"), bdir, str(b, "campaign"),
			 str(b, "file"), str(b, "digest"));
		return -1;
	}
	if (strcmp(str(a, "version"), str(b, "version"))) {
		snprintf(why, whylen,
			 "'%s' was written by byzlab %s and '%s' by byzlab %s",
			 adir, str(a, "version"), bdir, str(b, "version"));
		return -1;
	}
	return 0;
}
