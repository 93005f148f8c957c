/*
 * test_keyfile.c - key files: what `byzlab keygen` writes is what a node
 * reads back, with the right modes; every malformed file is refused with a
 * message that names the file, the line and what was wrong.
 */
#include "crypto.h"
#include "err.h"
#include "keyfile.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/byzlab-test-keyfile-XXXXXX";
static char pkhex_a[2 * BYZ_PK_BYTES + 1], skhex_a[2 * BYZ_SK_BYTES + 1];
static char pkhex_b[2 * BYZ_PK_BYTES + 1], skhex_b[2 * BYZ_SK_BYTES + 1];
static struct byz_keypair kp_a, kp_b;

/* A fresh temporary directory and two known keys for each test. */
static void setup(void)
{
	cr_assert_eq(byz_crypto_init(), 0);
	cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
	byz_key_derive(&kp_a, 7, BYZ_ROLE_REPLICA, 2);
	byz_key_derive(&kp_b, 8, BYZ_ROLE_REPLICA, 2);
	byz_hex(pkhex_a, kp_a.pk, sizeof kp_a.pk);
	byz_hex(skhex_a, kp_a.sk, sizeof kp_a.sk);
	byz_hex(pkhex_b, kp_b.pk, sizeof kp_b.pk);
	byz_hex(skhex_b, kp_b.sk, sizeof kp_b.sk);
}

/* Remove everything the test left in the directory, then the directory. */
static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (unlink(p) < 0)
			rmdir(p);
	}
	closedir(d);
	rmdir(dir);
}

TestSuite(keyfile, .init = setup, .fini = teardown);

/* dir/name (one static buffer per slot, so two can be used at once). */
static const char *at(int slot, const char *name)
{
	static char buf[2][600];

	snprintf(buf[slot], sizeof buf[slot], "%s/%s", dir, name);
	return buf[slot];
}

/* Write a file by hand with the given text and mode. */
static void put(const char *name, const char *text, mode_t mode)
{
	const char *p = at(0, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = strlen(text);

	cr_assert_geq(fd, 0, "cannot create %s", p);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* The whole content of a file. */
static char *slurp(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0, "cannot open %s", path);
	n = read(fd, buf, sizeof buf - 1);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "cannot stat %s", path);
	return st.st_mode & 07777;
}

/*
 * Write text to name with mode, read it, and expect code and the message
 * "<path><suffix>".
 */
static void expect_bad(const char *name, mode_t mode, const char *text,
		       int code, const char *suffix)
{
	struct keyfile kf;
	char err[512], want[1200];

	put(name, text, mode);
	snprintf(want, sizeof want, "%s%s", at(0, name), suffix);
	err[0] = '\0';
	cr_assert_eq(keyfile_read(at(0, name), &kf, err, sizeof err), code,
		     "for %s", want);
	cr_assert_str_eq(err, want);
	cr_assert_not(kf.has_secret, "a refused file leaves no secret");
}

/* A secret key file for kp_a as replica 2, with each line replaceable. */
static const char *text_of(const char *l1, const char *l2, const char *l3,
			   const char *l4, const char *l5)
{
	static char buf[4200];

	snprintf(buf, sizeof buf, "%s%s%s%s%s", l1, l2, l3, l4, l5);
	return buf;
}

#define MAGIC "byzlab-key v1\n"
#define ROLE  "role replica\n"
#define ID    "id 2\n"

static char *line(const char *field, const char *value)
{
	static char buf[4][300];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof buf[0], "%s %s\n", field, value);
	return b;
}

Test(keyfile, write_then_read_back_equals)
{
	struct keyfile kf;
	char err[512] = "";

	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 2, &kp_a, 0, err, sizeof err),
	    0, "%s", err);

	cr_assert_eq(keyfile_read(at(0, "replica-2.key"), &kf, err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(kf.role, BYZ_ROLE_REPLICA);
	cr_assert_eq(kf.id, 2);
	cr_assert(kf.has_secret);
	cr_assert_arr_eq(kf.pk, kp_a.pk, sizeof kf.pk);
	cr_assert_arr_eq(kf.sk, kp_a.sk, sizeof kf.sk);

	cr_assert_eq(keyfile_read(at(0, "replica-2.pub"), &kf, err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(kf.role, BYZ_ROLE_REPLICA);
	cr_assert_eq(kf.id, 2);
	cr_assert_not(kf.has_secret);
	cr_assert_arr_eq(kf.pk, kp_a.pk, sizeof kf.pk);
}

Test(keyfile, client_keys_and_large_ids_round_trip)
{
	struct keyfile kf;
	struct byz_keypair kp;
	char err[512] = "";

	cr_assert_eq(keyfile_write(dir, BYZ_ROLE_CLIENT, 4294967295u, &kp_b, 0,
				   err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(keyfile_load(dir, BYZ_ROLE_CLIENT, 4294967295u, true, &kf,
				  err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(kf.role, BYZ_ROLE_CLIENT);
	cr_assert_eq(kf.id, 4294967295u);
	keyfile_keypair(&kf, &kp);
	cr_assert_arr_eq(kp.pk, kp_b.pk, sizeof kp.pk);
	cr_assert_arr_eq(kp.sk, kp_b.sk, sizeof kp.sk);
	keyfile_clear(&kf);
	cr_assert_not(kf.has_secret);
}

Test(keyfile, written_text_is_the_documented_format)
{
	char err[512] = "";
	char want[1400];

	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 2, &kp_a, 0, err, sizeof err),
	    0, "%s", err);
	snprintf(want, sizeof want,
		 "byzlab-key v1\nrole replica\nid 2\npublic %s\nsecret %s\n",
		 pkhex_a, skhex_a);
	cr_assert_str_eq(slurp(at(0, "replica-2.key")), want);
	snprintf(want, sizeof want,
		 "byzlab-key v1\nrole replica\nid 2\npublic %s\n", pkhex_a);
	cr_assert_str_eq(slurp(at(0, "replica-2.pub")), want);
}

Test(keyfile, secret_file_is_0600_and_public_0644_whatever_the_umask)
{
	char err[512] = "";
	mode_t old = umask(0);

	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 0, &kp_a, 0, err, sizeof err),
	    0, "%s", err);
	umask(077);
	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 1, &kp_b, 0, err, sizeof err),
	    0, "%s", err);
	umask(old);
	cr_assert_eq(mode_of(at(0, "replica-0.key")), 0600);
	cr_assert_eq(mode_of(at(0, "replica-0.pub")), 0644);
	cr_assert_eq(mode_of(at(0, "replica-1.key")), 0600);
	cr_assert_eq(mode_of(at(0, "replica-1.pub")), 0644);
}

Test(keyfile, no_temporary_files_are_left_behind)
{
	char err[512] = "";
	DIR *d;
	struct dirent *e;
	int files = 0;

	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 0, &kp_a, 0, err, sizeof err),
	    0, "%s", err);
	cr_assert_neq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 0, &kp_a, 0, err, sizeof err),
	    0);
	cr_assert_eq(keyfile_write(dir, BYZ_ROLE_REPLICA, 0, &kp_a,
				   KEYFILE_OVERWRITE, err, sizeof err),
		     0, "%s", err);
	d = opendir(dir);
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		cr_expect_neq(e->d_name[0], '.', "left behind: %s", e->d_name);
		files++;
	}
	closedir(d);
	cr_assert_eq(files, 2);
}

Test(keyfile, existing_files_are_not_overwritten_without_the_flag)
{
	struct keyfile kf;
	char err[512] = "", want[1400];

	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 2, &kp_a, 0, err, sizeof err),
	    0, "%s", err);
	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 2, &kp_b, 0, err, sizeof err),
	    BYZ_EIO);
	snprintf(want, sizeof want, "cannot write '%s': it exists already",
		 at(0, "replica-2.key"));
	cr_assert_str_eq(err, want);
	cr_assert_eq(keyfile_read(at(0, "replica-2.key"), &kf, err, sizeof err),
		     0, "%s", err);
	cr_assert_arr_eq(kf.sk, kp_a.sk, sizeof kf.sk, "the old key stays");

	cr_assert_eq(keyfile_write(dir, BYZ_ROLE_REPLICA, 2, &kp_b,
				   KEYFILE_OVERWRITE, err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(keyfile_read(at(0, "replica-2.key"), &kf, err, sizeof err),
		     0, "%s", err);
	cr_assert_arr_eq(kf.sk, kp_b.sk, sizeof kf.sk, "the new key is in");
	cr_assert_eq(mode_of(at(0, "replica-2.key")), 0600);
}

Test(keyfile, a_pub_in_the_way_leaves_no_half_written_pair)
{
	char err[512] = "", want[1400];

	put("replica-3.pub", "something else\n", 0644);
	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 3, &kp_a, 0, err, sizeof err),
	    BYZ_EIO);
	snprintf(want, sizeof want, "cannot write '%s': it exists already",
		 at(0, "replica-3.pub"));
	cr_assert_str_eq(err, want);
	cr_assert_neq(access(at(0, "replica-3.key"), F_OK), 0);
}

Test(keyfile, a_fifo_or_a_symlink_is_not_replaced_even_with_the_flag)
{
	char err[512] = "", want[1400];
	struct stat st;

	cr_assert_eq(mkfifo(at(0, "replica-4.key"), 0600), 0);
	cr_assert_eq(keyfile_write(dir, BYZ_ROLE_REPLICA, 4, &kp_a,
				   KEYFILE_OVERWRITE, err, sizeof err),
		     BYZ_EIO);
	snprintf(want, sizeof want,
		 "'%s' is a FIFO: byzlab writes only regular files",
		 at(0, "replica-4.key"));
	cr_assert(strstr(err, want), "%s", err);
	cr_assert_eq(lstat(at(0, "replica-4.key"), &st), 0);
	cr_assert(S_ISFIFO(st.st_mode), "the FIFO stays");

	cr_assert_eq(symlink("/nonexistent-target", at(0, "replica-5.key")), 0);
	cr_assert_eq(keyfile_write(dir, BYZ_ROLE_REPLICA, 5, &kp_a,
				   KEYFILE_OVERWRITE, err, sizeof err),
		     BYZ_EIO);
	cr_assert(strstr(err, "is a symbolic link"), "%s", err);
	cr_assert_eq(lstat(at(0, "replica-5.key"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link stays");
}

Test(keyfile, unwritable_directory_is_reported)
{
	char err[512] = "", want[1400];

	snprintf(want, sizeof want,
		 "cannot write '%s/nope/replica-0.key': No such file or "
		 "directory",
		 dir);
	cr_assert_eq(keyfile_write(at(1, "nope"), BYZ_ROLE_REPLICA, 0, &kp_a, 0,
				   err, sizeof err),
		     BYZ_EIO);
	cr_assert_str_eq(err, want);
}

Test(keyfile, key_paths)
{
	char p[64];

	cr_assert_eq(
	    keyfile_path(p, sizeof p, "keys", BYZ_ROLE_REPLICA, 10, true), 0);
	cr_assert_str_eq(p, "keys/replica-10.key");
	cr_assert_eq(
	    keyfile_path(p, sizeof p, "keys/", BYZ_ROLE_CLIENT, 0, false), 0);
	cr_assert_str_eq(p, "keys/client-0.pub");
	cr_assert_eq(keyfile_path(p, 8, "keys", BYZ_ROLE_CLIENT, 0, false),
		     BYZ_ELIMIT);
	cr_assert_eq(
	    keyfile_path(p, sizeof p, "keys", (enum byz_role)9, 0, false),
	    BYZ_EINVAL);
}

/* Malformed files: each refused with file:line and what was wrong. */

Test(keyfile, wrong_magic_line)
{
	expect_bad("replica-2.key", 0600,
		   text_of("byzlab-key v2\n", ROLE, ID, line("public", pkhex_a),
			   line("secret", skhex_a)),
		   BYZ_EKEYFILE,
		   ":1: first line must be 'byzlab-key v1', found "
		   "'byzlab-key v2'");
	expect_bad("replica-2.key", 0600, "", BYZ_EKEYFILE,
		   ":1: empty file; expected 'byzlab-key v1'");
}

Test(keyfile, wrong_field_order)
{
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ID, ROLE, line("public", pkhex_a),
			   line("secret", skhex_a)),
		   BYZ_EKEYFILE,
		   ":2: expected field 'role', found 'id' (fields are, in "
		   "order: role, id, public, secret)");
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, line("public", pkhex_a), ID,
			   line("secret", skhex_a)),
		   BYZ_EKEYFILE,
		   ":3: expected field 'id', found 'public' (fields are, in "
		   "order: role, id, public, secret)");
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, ID, line("secret", skhex_a),
			   line("public", pkhex_a)),
		   BYZ_EKEYFILE,
		   ":4: expected field 'public', found 'secret' (fields are, "
		   "in order: role, id, public, secret)");
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, ID, "\n", line("public", pkhex_a)),
		   BYZ_EKEYFILE,
		   ":4: expected field 'public', found an empty field name "
		   "(fields are, in order: role, id, public, secret)");
	expect_bad("replica-2.pub", 0644,
		   text_of(MAGIC, ROLE, ID, line("public", pkhex_a),
			   "comment this is a test of a long field name\n"),
		   BYZ_EKEYFILE,
		   ":5: expected field 'secret' or the end of the file, "
		   "found 'comment' (fields are, in order: role, id, public, "
		   "secret)");
}

Test(keyfile, missing_fields_and_trailing_content)
{
	char secret_then_blank[300];

	expect_bad("replica-2.pub", 0644, text_of(MAGIC, ROLE, ID, "", ""),
		   BYZ_EKEYFILE, ":4: missing field 'public'");
	expect_bad("replica-2.pub", 0644, text_of(MAGIC, "", "", "", ""),
		   BYZ_EKEYFILE, ":2: missing field 'role'");
	snprintf(secret_then_blank, sizeof secret_then_blank, "secret %s\n\n",
		 skhex_a);
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, ID, line("public", pkhex_a),
			   secret_then_blank),
		   BYZ_EKEYFILE,
		   ":6: unexpected content after the last field ('secret')");
}

Test(keyfile, bad_role_and_id)
{
	const char *bad_ids[] = {"01", "-1", "+1", "4294967296",
				 "1x", "",   " 1", "99999999999"};

	expect_bad(
	    "replica-2.pub", 0644,
	    text_of(MAGIC, "role server\n", ID, line("public", pkhex_a), ""),
	    BYZ_EKEYFILE, ":2: 'role' must be 'replica' or 'client'");
	expect_bad(
	    "replica-2.pub", 0644,
	    text_of(MAGIC, "role Replica\n", ID, line("public", pkhex_a), ""),
	    BYZ_EKEYFILE, ":2: 'role' must be 'replica' or 'client'");
	for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++)
		expect_bad("replica-2.pub", 0644,
			   text_of(MAGIC, ROLE, line("id", bad_ids[i]),
				   line("public", pkhex_a), ""),
			   BYZ_EKEYFILE,
			   ":3: 'id' must be a decimal number from 0 to "
			   "4294967295, without leading zeros");
}

Test(keyfile, bad_hex)
{
	char upper[2 * BYZ_PK_BYTES + 1], nonhex[2 * BYZ_PK_BYTES + 1];
	char sk_nonhex[2 * BYZ_SK_BYTES + 1];

	strcpy(upper, pkhex_a);
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'f') {
			*c = (char)(*c - 'a' + 'A');
			break;
		}
	cr_assert_str_neq(upper, pkhex_a, "the key has a letter to raise");
	expect_bad("replica-2.pub", 0644,
		   text_of(MAGIC, ROLE, ID, line("public", upper), ""),
		   BYZ_EKEYFILE,
		   ":4: 'public' must be 64 lower-case hex digits");

	strcpy(nonhex, pkhex_a);
	nonhex[10] = 'g';
	expect_bad("replica-2.pub", 0644,
		   text_of(MAGIC, ROLE, ID, line("public", nonhex), ""),
		   BYZ_EKEYFILE,
		   ":4: 'public' must be 64 lower-case hex digits");

	strcpy(sk_nonhex, skhex_a);
	sk_nonhex[0] = 'x';
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, ID, line("public", pkhex_a),
			   line("secret", sk_nonhex)),
		   BYZ_EKEYFILE,
		   ":5: 'secret' must be 128 lower-case hex digits");

	/* one space too many is not a value */
	expect_bad("replica-2.pub", 0644,
		   text_of(MAGIC, ROLE, ID, line("public ", pkhex_a), ""),
		   BYZ_EKEYFILE,
		   ":4: 'public' must be 64 lower-case hex digits");
	expect_bad("replica-2.pub", 0644,
		   text_of(MAGIC, ROLE, ID, "public\n", ""), BYZ_EKEYFILE,
		   ":4: 'public' must be 64 lower-case hex digits");
}

Test(keyfile, wrong_hex_length)
{
	char shortpk[2 * BYZ_PK_BYTES + 1], longpk[2 * BYZ_PK_BYTES + 3];
	char shortsk[2 * BYZ_SK_BYTES + 1];

	snprintf(shortpk, sizeof shortpk, "%.62s", pkhex_a);
	snprintf(longpk, sizeof longpk, "%s00", pkhex_a);
	snprintf(shortsk, sizeof shortsk, "%.126s", skhex_a);
	expect_bad("replica-2.pub", 0644,
		   text_of(MAGIC, ROLE, ID, line("public", shortpk), ""),
		   BYZ_EKEYFILE,
		   ":4: 'public' must be 64 lower-case hex digits");
	expect_bad("replica-2.pub", 0644,
		   text_of(MAGIC, ROLE, ID, line("public", longpk), ""),
		   BYZ_EKEYFILE,
		   ":4: 'public' must be 64 lower-case hex digits");
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, ID, line("public", pkhex_a),
			   line("secret", shortsk)),
		   BYZ_EKEYFILE,
		   ":5: 'secret' must be 128 lower-case hex digits");
}

Test(keyfile, secret_must_match_public)
{
	char mixed[2 * BYZ_SK_BYTES + 1];

	/* another key's whole secret */
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, ID, line("public", pkhex_a),
			   line("secret", skhex_b)),
		   BYZ_EKEYFILE,
		   ":5: the public half of 'secret' does not match 'public' "
		   "(line 4)");
	/* another key's seed with this key's public half */
	snprintf(mixed, sizeof mixed, "%.64s%s", skhex_b, pkhex_a);
	expect_bad("replica-2.key", 0600,
		   text_of(MAGIC, ROLE, ID, line("public", pkhex_a),
			   line("secret", mixed)),
		   BYZ_EKEYFILE,
		   ":5: 'secret' is corrupt: its seed does not give its "
		   "public half");
}

Test(keyfile, line_endings_and_control_characters)
{
	char t[1000];

	expect_bad(
	    "replica-2.pub", 0644,
	    text_of("byzlab-key v1\r\n", ROLE, ID, line("public", pkhex_a), ""),
	    BYZ_EKEYFILE, ":1: line contains a control character (byte 0x0d)");
	snprintf(t, sizeof t, MAGIC ROLE ID "public %s", pkhex_a);
	expect_bad("replica-2.pub", 0644, t, BYZ_EKEYFILE,
		   ":4: line does not end with a newline");
	expect_bad(
	    "replica-2.pub", 0644,
	    text_of(MAGIC, "role\treplica\n", ID, line("public", pkhex_a), ""),
	    BYZ_EKEYFILE, ":2: line contains a control character (byte 0x09)");
}

Test(keyfile, file_too_big)
{
	static char big[5001];

	memset(big, 'x', 5000);
	expect_bad("replica-2.key", 0600, big, BYZ_EKEYFILE,
		   ": file is 5000 bytes; a key file is at most 4096 bytes");
}

Test(keyfile, file_of_exactly_the_limit_is_parsed)
{
	static char t[4097];
	size_t len;

	snprintf(t, sizeof t, MAGIC ROLE ID "public %s\n", pkhex_a);
	len = strlen(t);
	memset(t + len, 'y', 4096 - len - 1);
	t[4095] = '\n';
	t[4096] = '\0';
	expect_bad("replica-2.pub", 0644, t, BYZ_EKEYFILE,
		   ":5: expected field 'secret' or the end of the file, found "
		   "'yyyyyyyyyyyyyyyyyyyyyyyy...' (fields are, in order: role, "
		   "id, public, secret)");
}

Test(keyfile, secret_file_mode_too_open)
{
	const char *good = text_of(MAGIC, ROLE, ID, line("public", pkhex_a),
				   line("secret", skhex_a));
	struct keyfile kf;
	char err[512] = "";

	expect_bad("replica-2.key", 0644, good, BYZ_EKEYFILE,
		   ": mode 0644 is too open; secret key files must be 0600");
	expect_bad("replica-2.key", 0640, good, BYZ_EKEYFILE,
		   ": mode 0640 is too open; secret key files must be 0600");
	expect_bad("replica-2.key", 0604, good, BYZ_EKEYFILE,
		   ": mode 0604 is too open; secret key files must be 0600");
	/* a secret under a public name is still a secret */
	expect_bad("replica-2.pub", 0644, good, BYZ_EKEYFILE,
		   ": mode 0644 is too open; secret key files must be 0600");
	/* stricter than 0600 is fine */
	put("replica-2.key", good, 0400);
	cr_assert_eq(keyfile_read(at(0, "replica-2.key"), &kf, err, sizeof err),
		     0, "%s", err);
}

Test(keyfile, missing_file_and_directory)
{
	struct keyfile kf;
	char err[512] = "", want[1400];

	snprintf(want, sizeof want,
		 "%s: cannot open: No such file or directory",
		 at(0, "replica-9.key"));
	cr_assert_eq(keyfile_read(at(0, "replica-9.key"), &kf, err, sizeof err),
		     BYZ_EIO);
	cr_assert_str_eq(err, want);

	cr_assert_eq(mkfifo(at(0, "replica-7.key"), 0600), 0);
	snprintf(want, sizeof want, "%s: not a regular file",
		 at(0, "replica-7.key"));
	cr_assert_eq(keyfile_read(at(0, "replica-7.key"), &kf, err, sizeof err),
		     BYZ_EKEYFILE, "a FIFO is refused, without hanging");
	cr_assert_str_eq(err, want);

	cr_assert_eq(mkdir(at(0, "replica-8.key"), 0700), 0);
	snprintf(want, sizeof want, "%s: not a regular file",
		 at(0, "replica-8.key"));
	cr_assert_eq(keyfile_read(at(0, "replica-8.key"), &kf, err, sizeof err),
		     BYZ_EKEYFILE);
	cr_assert_str_eq(err, want);
}

Test(keyfile, load_checks_whose_key_it_is)
{
	struct keyfile kf;
	char err[512] = "", want[1400];

	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_REPLICA, 1, &kp_a, 0, err, sizeof err),
	    0, "%s", err);
	cr_assert_eq(rename(at(0, "replica-1.key"), at(1, "replica-2.key")), 0);
	snprintf(want, sizeof want,
		 "%s: holds the key of replica 1, not of replica 2",
		 at(0, "replica-2.key"));
	cr_assert_eq(
	    keyfile_load(dir, BYZ_ROLE_REPLICA, 2, true, &kf, err, sizeof err),
	    BYZ_EKEYFILE);
	cr_assert_str_eq(err, want);

	/* a public file under the secret name */
	cr_assert_eq(rename(at(0, "replica-1.pub"), at(1, "replica-2.key")), 0);
	cr_assert_eq(chmod(at(0, "replica-2.key"), 0600), 0);
	cr_assert_eq(
	    keyfile_load(dir, BYZ_ROLE_REPLICA, 2, true, &kf, err, sizeof err),
	    BYZ_EKEYFILE);
	snprintf(want, sizeof want,
		 "%s: holds the key of replica 1, not of replica 2",
		 at(0, "replica-2.key"));
	cr_assert_str_eq(err, want);

	cr_assert_eq(
	    keyfile_write(dir, BYZ_ROLE_CLIENT, 5, &kp_a, 0, err, sizeof err),
	    0, "%s", err);
	cr_assert_eq(rename(at(0, "client-5.pub"), at(1, "client-5.key")), 0);
	cr_assert_eq(
	    keyfile_load(dir, BYZ_ROLE_CLIENT, 5, true, &kf, err, sizeof err),
	    BYZ_EKEYFILE);
	snprintf(want, sizeof want,
		 "%s: no 'secret' line: this is a public key file",
		 at(0, "client-5.key"));
	cr_assert_str_eq(err, want);
}
