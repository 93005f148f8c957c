/*
 * keyfile.h - key files for real processes (the zmq driver).
 *
 * One text file per key, written by `byzlab keygen`, read by the node,
 * client and adversary processes. The format, line by line, in this exact
 * order, each line ending with "\n" (no blank lines, no comments, no "\r"):
 *
 *     byzlab-key v1
 *     role replica|client
 *     id <decimal, 0..4294967295, no leading zeros>
 *     public <64 lower-case hex digits: the Ed25519 public key>
 *     secret <128 lower-case hex digits: libsodium's seed || public key>
 *
 * The "secret" line is present only in secret key files. For (role, id) in a
 * directory DIR there are two files:
 *
 *     DIR/<role>-<id>.key   everything, mode 0600
 *     DIR/<role>-<id>.pub   without the secret line, mode 0644
 *
 * e.g. keys/replica-0.key, keys/client-3.pub. A file is written to a
 * temporary file (mode 0600 from the start) in the same directory and then
 * linked or renamed into place, so a key file is never partial and a secret
 * never readable by others, even briefly.
 *
 * Reading is strict and bounded: at most KEYFILE_MAX_BYTES, the fields in
 * the order above, hex of exactly the right length in lower case, the
 * secret's public half equal to the "public" line and derivable from its
 * seed, and a secret key file must not grant group or others any
 * permission. Every error message names the file and, for a bad line, the
 * line number and what was wrong:
 *
 *     keys/replica-2.key:4: 'public' must be 64 lower-case hex digits
 *     keys/replica-0.key: mode 0644 is too open; secret key files must be 0600
 */
#ifndef BYZ_KEYFILE_H
#define BYZ_KEYFILE_H

#include "crypto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KEYFILE_MAGIC	  "byzlab-key v1"
#define KEYFILE_MAX_BYTES 4096
/* Room for a key file path made by keyfile_path (PATH_MAX on Linux). */
#define KEYFILE_PATH_MAX 4096

/* keyfile_write / keyfile_write_file flags */
#define KEYFILE_OVERWRITE 1u /* replace existing files instead of failing */

/* What a key file holds. sk is meaningful only when has_secret. */
struct keyfile {
	enum byz_role role;
	uint32_t id;
	uint8_t pk[BYZ_PK_BYTES];
	bool has_secret;
	uint8_t sk[BYZ_SK_BYTES];
};

/* "replica" or "client" (the word used in files and file names); NULL for
 * anything else. */
const char *keyfile_role_name(enum byz_role role);

/*
 * The path of (role, id)'s key file in dir: "dir/<role>-<id>.key" when
 * secret, else ".pub". Returns 0, or BYZ_EINVAL (unknown role) or
 * BYZ_ELIMIT (does not fit in outlen).
 */
int keyfile_path(char *out, size_t outlen, const char *dir, enum byz_role role,
		 uint32_t id, bool secret);

/*
 * Write (role, id)'s .key (0600) and .pub (0644) files into dir, which must
 * exist. Without KEYFILE_OVERWRITE an existing file is left alone and the
 * call fails (if the .pub already exists after the .key was written, the
 * .key just written is removed again). Returns 0, or BYZ_EIO / BYZ_EINVAL /
 * BYZ_ELIMIT with a message in err ("keys/replica-0.key: already exists").
 */
int keyfile_write(const char *dir, enum byz_role role, uint32_t id,
		  const struct byz_keypair *kp, unsigned flags, char *err,
		  size_t errlen);

/*
 * Write len bytes to path atomically with the given mode (exactly that mode,
 * whatever the umask): a temporary file in the same directory, fsync, then
 * link (no KEYFILE_OVERWRITE: fails if path exists) or rename. The writer
 * keyfile_write uses; `byzlab keygen` also writes cluster.txt with it.
 * Returns 0 or BYZ_EIO with a message in err.
 */
int keyfile_write_file(const char *path, const void *data, size_t len,
		       mode_t mode, unsigned flags, char *err, size_t errlen);

/*
 * Read and check one key file. Returns 0, or BYZ_EIO (cannot open or read)
 * or BYZ_EKEYFILE (malformed, too big, mode too open) with a message in err
 * that names the file and the line. On error *out is cleared.
 */
BYZ_MUST_CHECK int keyfile_read(const char *path, struct keyfile *out,
				char *err, size_t errlen);

/*
 * Read (role, id)'s file from dir (the .key when secret, else the .pub) and
 * check that it is the key it should be: same role and id, and a secret
 * present when secret. Same returns as keyfile_read.
 */
BYZ_MUST_CHECK int keyfile_load(const char *dir, enum byz_role role,
				uint32_t id, bool secret, struct keyfile *out,
				char *err, size_t errlen);

/* Copy a key file's keys into a keypair (sk zeroed when there is none). */
void keyfile_keypair(const struct keyfile *kf, struct byz_keypair *kp);

/* Wipe a struct keyfile (the secret key with it). */
void keyfile_clear(struct keyfile *kf);

#endif
