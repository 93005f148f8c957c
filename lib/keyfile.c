/*
 * keyfile.c - writing and strictly reading key files. See keyfile.h for the
 * format and the guarantees.
 */
#include "keyfile.h"

#include "err.h"
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIELD_ORDER "role, id, public, secret"
/* Longest piece of a bad line quoted back in an error message. */
#define QUOTE_MAX 24

/* Format a message into err (if there is room for one) and return code. */
__attribute__((format(printf, 4, 5))) static int
kf_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *keyfile_role_name(enum byz_role role)
{
	switch (role) {
	case BYZ_ROLE_REPLICA:
		return "replica";
	case BYZ_ROLE_CLIENT:
		return "client";
	}
	return NULL;
}

/*
 * "dir/name", without doubling a trailing slash of dir ("" is the current
 * directory: just "name"). Returns 0 or
 * BYZ_ELIMIT when it does not fit.
 */
static int kf_join(char *out, size_t outlen, const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	const char *sep = (dl == 0 || dir[dl - 1] == '/') ? "" : "/";
	int r = snprintf(out, outlen, "%s%s%s", dir, sep, name);

	return (r < 0 || (size_t)r >= outlen) ? BYZ_ELIMIT : 0;
}

int keyfile_path(char *out, size_t outlen, const char *dir, enum byz_role role,
		 uint32_t id, bool secret)
{
	const char *rn = keyfile_role_name(role);
	char name[64];

	if (!rn)
		return BYZ_EINVAL;
	snprintf(name, sizeof name, "%s-%lu.%s", rn, (unsigned long)id,
		 secret ? "key" : "pub");
	return kf_join(out, outlen, dir, name);
}

/*
 * outfile.h does the writing: the temporary file is mode 0600 from the
 * moment it exists, whatever the umask; fchmod then sets the final mode
 * exactly. It is fsync'ed before it gets its name, so after a crash the
 * name points at the whole file or at nothing. Without KEYFILE_OVERWRITE
 * the name is given with link(2), which fails atomically if the name is
 * taken (what open(O_CREAT|O_EXCL) would do, without ever showing a partial
 * file). A target that is not a regular file (a FIFO, a device, a symbolic
 * link) is refused, even with KEYFILE_OVERWRITE.
 */
int keyfile_write_file(const char *path, const void *data, size_t len,
		       mode_t mode, unsigned flags, char *err, size_t errlen)
{
	char why[OUTFILE_PATH_MAX + 200];

	if (outfile_write(
		path, data, len, mode,
		OUTFILE_EXACT_MODE |
		    ((flags & KEYFILE_OVERWRITE) ? 0 : OUTFILE_NO_REPLACE),
		why, sizeof why))
		return kf_fail(err, errlen, BYZ_EIO, "%s", why);
	return 0;
}

/*
 * The text of a key file into buf (always fits: about 300 bytes). The
 * secret line only when secret. Returns the length.
 */
static size_t kf_format(char *buf, size_t buflen, enum byz_role role,
			uint32_t id, const struct byz_keypair *kp, bool secret)
{
	char pkhex[2 * BYZ_PK_BYTES + 1];
	char skhex[2 * BYZ_SK_BYTES + 1];
	int r;

	byz_hex(pkhex, kp->pk, sizeof kp->pk);
	if (secret)
		byz_hex(skhex, kp->sk, sizeof kp->sk);
	r = snprintf(
	    buf, buflen, KEYFILE_MAGIC "\nrole %s\nid %lu\npublic %s\n%s%s%s",
	    keyfile_role_name(role), (unsigned long)id, pkhex,
	    secret ? "secret " : "", secret ? skhex : "", secret ? "\n" : "");
	sodium_memzero(skhex, sizeof skhex);
	return (size_t)r;
}

int keyfile_write(const char *dir, enum byz_role role, uint32_t id,
		  const struct byz_keypair *kp, unsigned flags, char *err,
		  size_t errlen)
{
	char keypath[KEYFILE_PATH_MAX], pubpath[KEYFILE_PATH_MAX];
	char text[512];
	size_t len;
	int r;

	if (!keyfile_role_name(role))
		return kf_fail(err, errlen, BYZ_EINVAL, "unknown key role %d",
			       (int)role);
	if (keyfile_path(keypath, sizeof keypath, dir, role, id, true) ||
	    keyfile_path(pubpath, sizeof pubpath, dir, role, id, false))
		return kf_fail(err, errlen, BYZ_ELIMIT,
			       "%s: directory name too long", dir);

	len = kf_format(text, sizeof text, role, id, kp, true);
	r = keyfile_write_file(keypath, text, len, 0600, flags, err, errlen);
	sodium_memzero(text, sizeof text);
	if (r)
		return r;

	len = kf_format(text, sizeof text, role, id, kp, false);
	r = keyfile_write_file(pubpath, text, len, 0644, flags, err, errlen);
	if (r && !(flags & KEYFILE_OVERWRITE))
		unlink(keypath); /* ours: we just created it */
	return r;
}

/* Reading. A cursor over the file's lines, with what error messages need. */
struct kf_lines {
	const char *path;
	const char *p, *end;
	unsigned lineno; /* of the line last returned */
	char *err;
	size_t errlen;
};

/*
 * The next line (without its "\n") into *line and *len. Returns 1, 0 at the end
 * of the file, or BYZ_EKEYFILE for a line without a final newline or with a
 * control character in it.
 */
static int kf_next_line(struct kf_lines *ls, const char **line, size_t *len)
{
	const char *nl;

	if (ls->p == ls->end)
		return 0;
	ls->lineno++;
	nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
	if (!nl)
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: line does not end with a newline",
			       ls->path, ls->lineno);
	for (const char *c = ls->p; c < nl; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch < 0x20 || ch == 0x7f)
			return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
				       "%s:%u: line contains a control "
				       "character (byte 0x%02x)",
				       ls->path, ls->lineno, ch);
	}
	*line = ls->p;
	*len = (size_t)(nl - ls->p);
	ls->p = nl + 1;
	return 1;
}

/* A piece of a line fit to quote in a message: printable ASCII, short. */
static void kf_quote(char *out, size_t outlen, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 <= outlen; i++) {
		if (i == QUOTE_MAX) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	out[n] = '\0';
}

/*
 * Split a line "name value" at its first space. A line with no space is a
 * name with no value (*val points at its end, *vlen 0).
 */
static void kf_split(const char *line, size_t len, size_t *namelen,
		     const char **val, size_t *vlen)
{
	const char *sp = memchr(line, ' ', len);

	*namelen = sp ? (size_t)(sp - line) : len;
	*val = sp ? sp + 1 : line + len;
	*vlen = sp ? len - *namelen - 1 : 0;
}

static bool kf_name_is(const char *line, size_t namelen, const char *name)
{
	return namelen == strlen(name) && memcmp(line, name, namelen) == 0;
}

/* The error for a line that holds another field than the one expected. */
static int kf_wrong_field(struct kf_lines *ls, const char *expected,
			  const char *line, size_t namelen)
{
	char q[QUOTE_MAX + 4];

	if (namelen == 0)
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: expected field %s, found an empty "
			       "field name (fields are, in order: " FIELD_ORDER
			       ")",
			       ls->path, ls->lineno, expected);
	kf_quote(q, sizeof q, line, namelen);
	return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
		       "%s:%u: expected field %s, found '%s' (fields are, in "
		       "order: " FIELD_ORDER ")",
		       ls->path, ls->lineno, expected, q);
}

/*
 * The next line, which must be the field name; its value into *val and *vlen.
 * Returns 0 or BYZ_EKEYFILE (missing, or another field).
 */
static int kf_field(struct kf_lines *ls, const char *name, const char **val,
		    size_t *vlen)
{
	const char *line;
	size_t len, namelen;
	int r = kf_next_line(ls, &line, &len);
	char expected[32];

	if (r < 0)
		return r;
	if (r == 0)
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: missing field '%s'", ls->path,
			       ls->lineno + 1, name);
	kf_split(line, len, &namelen, val, vlen);
	if (!kf_name_is(line, namelen, name)) {
		snprintf(expected, sizeof expected, "'%s'", name);
		return kf_wrong_field(ls, expected, line, namelen);
	}
	return 0;
}

/* Exactly 2*n lower-case hex digits into n bytes. */
static bool kf_unhex(uint8_t *out, size_t n, const char *s, size_t len)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned v;
		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return true;
}

/* A decimal u32 with no sign, no spaces and no leading zeros. */
static bool kf_parse_id(uint32_t *out, const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/*
 * Check that a secret key is whole: its public half is the "public" line
 * (pk_line is that line's number) and its seed gives that public key.
 */
static int kf_check_secret(struct kf_lines *ls, const struct keyfile *kf,
			   unsigned pk_line)
{
	uint8_t pk[BYZ_PK_BYTES], sk[BYZ_SK_BYTES];
	bool same;

	if (memcmp(kf->sk + crypto_sign_SEEDBYTES, kf->pk, BYZ_PK_BYTES) != 0)
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: the public half of 'secret' does not "
			       "match 'public' (line %u)",
			       ls->path, ls->lineno, pk_line);
	crypto_sign_seed_keypair(pk, sk, kf->sk);
	same = memcmp(pk, kf->pk, sizeof pk) == 0;
	sodium_memzero(sk, sizeof sk);
	if (!same)
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: 'secret' is corrupt: its seed does not "
			       "give its public half",
			       ls->path, ls->lineno);
	return 0;
}

/* Parse the text of a key file (see keyfile.h) into *kf. */
static int kf_parse(struct kf_lines *ls, struct keyfile *kf)
{
	const char *line, *val;
	size_t len, vlen, namelen;
	unsigned pk_line;
	char q[QUOTE_MAX + 4];
	int r;

	r = kf_next_line(ls, &line, &len);
	if (r < 0)
		return r;
	if (r == 0)
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:1: empty file; expected '" KEYFILE_MAGIC "'",
			       ls->path);
	if (len != strlen(KEYFILE_MAGIC) || memcmp(line, KEYFILE_MAGIC, len)) {
		kf_quote(q, sizeof q, line, len);
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:1: first line must be '" KEYFILE_MAGIC
			       "', found '%s'",
			       ls->path, q);
	}

	if ((r = kf_field(ls, "role", &val, &vlen)))
		return r;
	if (vlen == 7 && memcmp(val, "replica", 7) == 0)
		kf->role = BYZ_ROLE_REPLICA;
	else if (vlen == 6 && memcmp(val, "client", 6) == 0)
		kf->role = BYZ_ROLE_CLIENT;
	else
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: 'role' must be 'replica' or 'client'",
			       ls->path, ls->lineno);

	if ((r = kf_field(ls, "id", &val, &vlen)))
		return r;
	if (!kf_parse_id(&kf->id, val, vlen))
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: 'id' must be a decimal number from 0 "
			       "to 4294967295, without leading zeros",
			       ls->path, ls->lineno);

	if ((r = kf_field(ls, "public", &val, &vlen)))
		return r;
	if (!kf_unhex(kf->pk, sizeof kf->pk, val, vlen))
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: 'public' must be %d lower-case hex "
			       "digits",
			       ls->path, ls->lineno, 2 * BYZ_PK_BYTES);
	pk_line = ls->lineno;

	/* Then either the end of the file, or the secret and then the end. */
	r = kf_next_line(ls, &line, &len);
	if (r <= 0)
		return r;
	kf_split(line, len, &namelen, &val, &vlen);
	if (!kf_name_is(line, namelen, "secret"))
		return kf_wrong_field(ls, "'secret' or the end of the file",
				      line, namelen);
	if (!kf_unhex(kf->sk, sizeof kf->sk, val, vlen))
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: 'secret' must be %d lower-case hex "
			       "digits",
			       ls->path, ls->lineno, 2 * BYZ_SK_BYTES);
	kf->has_secret = true;
	if ((r = kf_check_secret(ls, kf, pk_line)))
		return r;

	r = kf_next_line(ls, &line, &len);
	if (r < 0)
		return r;
	if (r > 0)
		return kf_fail(ls->err, ls->errlen, BYZ_EKEYFILE,
			       "%s:%u: unexpected content after the last "
			       "field ('secret')",
			       ls->path, ls->lineno);
	return 0;
}

/*
 * Read at most KEYFILE_MAX_BYTES + 1 bytes (one more than allowed, to see a
 * file that grew after fstat) into buf. Returns the length or -1.
 */
static ssize_t kf_read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int keyfile_read(const char *path, struct keyfile *out, char *err,
		 size_t errlen)
{
	char buf[KEYFILE_MAX_BYTES + 1];
	struct kf_lines ls = {.path = path, .err = err, .errlen = errlen};
	struct stat st;
	ssize_t n = 0;
	int fd, r;

	memset(out, 0, sizeof *out);
	/* O_NONBLOCK: a FIFO put in place of a key file must not hang the
	 * reader; it is refused below as not a regular file. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return kf_fail(err, errlen, BYZ_EIO, "%s: cannot open: %s",
			       path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = kf_fail(err, errlen, BYZ_EIO, "%s: cannot stat: %s", path,
			    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = kf_fail(err, errlen, BYZ_EKEYFILE, "%s: not a regular file",
			    path);
		goto out;
	}
	if (st.st_size > KEYFILE_MAX_BYTES) {
		r = kf_fail(err, errlen, BYZ_EKEYFILE,
			    "%s: file is %lld bytes; a key file is at most %d "
			    "bytes",
			    path, (long long)st.st_size, KEYFILE_MAX_BYTES);
		goto out;
	}
	n = kf_read_all(fd, buf, sizeof buf);
	if (n < 0) {
		r = kf_fail(err, errlen, BYZ_EIO, "%s: cannot read: %s", path,
			    strerror(errno));
		goto out;
	}
	if (n > KEYFILE_MAX_BYTES) {
		r = kf_fail(err, errlen, BYZ_EKEYFILE,
			    "%s: file is more than %d bytes; a key file is at "
			    "most %d bytes",
			    path, KEYFILE_MAX_BYTES, KEYFILE_MAX_BYTES);
		goto out;
	}

	ls.p = buf;
	ls.end = buf + n;
	r = kf_parse(&ls, out);
	/* Any secret, whatever the file's name, must be private. */
	if (r == 0 && out->has_secret && (st.st_mode & 077))
		r = kf_fail(err, errlen, BYZ_EKEYFILE,
			    "%s: mode %04o is too open; secret key files "
			    "must be 0600",
			    path, (unsigned)(st.st_mode & 07777));
out:
	close(fd);
	sodium_memzero(buf, sizeof buf);
	if (r)
		keyfile_clear(out);
	return r;
}

int keyfile_load(const char *dir, enum byz_role role, uint32_t id, bool secret,
		 struct keyfile *out, char *err, size_t errlen)
{
	char path[KEYFILE_PATH_MAX];
	int r;

	memset(out, 0, sizeof *out);
	if (keyfile_path(path, sizeof path, dir, role, id, secret))
		return kf_fail(err, errlen, BYZ_EINVAL,
			       "%s: bad key directory or role", dir);
	r = keyfile_read(path, out, err, errlen);
	if (r)
		return r;
	if (out->role != role || out->id != id) {
		r = kf_fail(err, errlen, BYZ_EKEYFILE,
			    "%s: holds the key of %s %lu, not of %s %lu", path,
			    keyfile_role_name(out->role),
			    (unsigned long)out->id, keyfile_role_name(role),
			    (unsigned long)id);
		goto fail;
	}
	if (secret && !out->has_secret) {
		r = kf_fail(err, errlen, BYZ_EKEYFILE,
			    "%s: no 'secret' line: this is a public key file",
			    path);
		goto fail;
	}
	if (!secret) {
		sodium_memzero(out->sk, sizeof out->sk);
		out->has_secret = false;
	}
	return 0;
fail:
	keyfile_clear(out);
	return r;
}

void keyfile_keypair(const struct keyfile *kf, struct byz_keypair *kp)
{
	memcpy(kp->pk, kf->pk, sizeof kp->pk);
	kp->scheme = BYZ_SCHEME_ED25519; /* key files hold Ed25519 keys */
	if (kf->has_secret)
		memcpy(kp->sk, kf->sk, sizeof kp->sk);
	else
		sodium_memzero(kp->sk, sizeof kp->sk);
}

void keyfile_clear(struct keyfile *kf)
{
	sodium_memzero(kf, sizeof *kf);
}
