/*
 * cmd_keygen.c - `byzlab keygen`: fresh key files for a cluster of real
 * processes (the zmq driver). The file format is in lib/keyfile.h.
 */
#include "cli.h"

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "keyfile.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYGEN_MAX_CLIENTS  1024
#define KEYGEN_CLUSTER_FILE "cluster.txt"
/* One cluster.txt line: "replica " + id (2 digits) + " " + 64 hex + "\n". */
#define KEYGEN_CLUSTER_LINE 80

static const char keygen_usage[] =
    "Usage: byzlab keygen --n N --out DIR [--clients C] [--force]\n"
    "\n"
    "Write fresh random Ed25519 key files for a cluster of N replicas and\n"
    "C clients, for the processes of the zmq driver (byzlab node, client,\n"
    "adversary). Copy each .key only to the host that runs that replica\n"
    "or client; the .pub files and cluster.txt may go everywhere.\n"
    "\n"
    "Options:\n"
    "  --n N          replicas, 1..256 (required)\n"
    "  --out DIR      where to write; created with mode 0700 if missing\n"
    "                 (its parent must exist) (required)\n"
    "  --clients C    clients, 0..1024 (default 1)\n"
    "  --force        replace existing files (default: refuse to overwrite)\n"
    "  -h, --help     this help\n"
    "\n"
    "Writes into DIR:\n"
    "  replica-<i>.key  client-<c>.key   secret key files, mode 0600\n"
    "  replica-<i>.pub  client-<c>.pub   public key files, mode 0644\n"
    "  cluster.txt                       \"replica <id> <public key hex>\",\n"
    "                                    one line per replica, mode 0644\n"
    "\n"
    "Exit status: 0 all files written; 2 bad usage, existing files without\n"
    "--force, or a file that could not be written (without --force, a\n"
    "failed run removes the files it wrote).\n"
    "\n"
    "Example:\n"
    "  byzlab keygen --n 4 --out keys\n"
    "  byzlab keygen --n 7 --clients 3 --out /etc/byzlab/keys --force\n";

enum keygen_opt {
	KG_N = 256,
	KG_OUT,
	KG_CLIENTS,
	KG_FORCE,
};

/* The path of cluster.txt in dir into out. Returns 0 or -1 if too long. */
static int keygen_cluster_path(char *out, size_t outlen, const char *dir)
{
	size_t dl = strlen(dir);
	const char *sep = dir[dl - 1] == '/' ? "" : "/";
	int r = snprintf(out, outlen, "%s%s" KEYGEN_CLUSTER_FILE, dir, sep);

	return (r < 0 || (size_t)r >= outlen) ? -1 : 0;
}

/*
 * Make sure dir is a directory we can write into, creating it (mode 0700:
 * it will hold secret keys) if it does not exist. Returns 0 or 2 after a
 * message.
 */
static int keygen_prepare_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return cli_input_error(
		    "keygen", "--out: cannot create directory '%s': %s", dir,
		    strerror(errno));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cli_input_error("keygen",
				       "--out: '%s' exists and is not a "
				       "directory",
				       dir);
	if (access(dir, W_OK | X_OK) < 0)
		return cli_input_error("keygen",
				       "--out: cannot write into '%s': %s", dir,
				       strerror(errno));
	return 0;
}

/*
 * Without --force, refuse before writing anything if any file this run
 * would write is already there (lstat: a dangling symlink counts too).
 * Returns 0 or 2 after a message naming the first such file.
 */
static int keygen_check_free(const char *dir, uint32_t n, uint32_t clients)
{
	char path[KEYFILE_PATH_MAX], first[KEYFILE_PATH_MAX] = "";
	struct stat st;
	unsigned taken = 0;
	const struct {
		enum byz_role role;
		uint32_t count;
	} groups[] = {{BYZ_ROLE_REPLICA, n}, {BYZ_ROLE_CLIENT, clients}};

	for (size_t g = 0; g < 2; g++)
		for (uint32_t id = 0; id < groups[g].count; id++)
			for (int secret = 1; secret >= 0; secret--) {
				if (keyfile_path(path, sizeof path, dir,
						 groups[g].role, id, secret))
					return cli_input_error(
					    "keygen", "--out: '%s' is too long",
					    dir);
				if (lstat(path, &st) == 0 && taken++ == 0)
					memcpy(first, path, sizeof first);
			}
	if (keygen_cluster_path(path, sizeof path, dir))
		return cli_input_error("keygen", "--out: '%s' is too long",
				       dir);
	if (lstat(path, &st) == 0 && taken++ == 0)
		memcpy(first, path, sizeof first);

	if (taken == 1)
		return cli_input_error("keygen",
				       "%s already exists; not overwritten "
				       "(use --force to replace it)",
				       first);
	if (taken > 1)
		return cli_input_error("keygen",
				       "%s and %u more files already exist; "
				       "nothing overwritten (use --force to "
				       "replace them)",
				       first, taken - 1);
	return 0;
}

/* Remove the key files of the first `count` ids of role (after a failure,
 * without --force, when every one of them is new). */
static void keygen_remove(const char *dir, enum byz_role role, uint32_t count)
{
	char path[KEYFILE_PATH_MAX];

	for (uint32_t id = 0; id < count; id++)
		for (int secret = 1; secret >= 0; secret--)
			if (keyfile_path(path, sizeof path, dir, role, id,
					 secret) == 0)
				unlink(path);
}

/*
 * Write count fresh keypairs of role. For replicas, append their
 * cluster.txt lines to cluster. Returns how many were written; on error
 * the message is in err.
 */
static uint32_t keygen_write_role(const char *dir, enum byz_role role,
				  uint32_t count, unsigned flags, char *cluster,
				  size_t cluster_cap, char *err, size_t errlen)
{
	struct byz_keypair kp;
	char pkhex[2 * BYZ_PK_BYTES + 1];
	size_t used;
	uint32_t id;

	for (id = 0; id < count; id++) {
		byz_key_random(&kp);
		if (keyfile_write(dir, role, id, &kp, flags, err, errlen))
			break;
		if (cluster) {
			byz_hex(pkhex, kp.pk, sizeof kp.pk);
			used = strlen(cluster);
			snprintf(cluster + used, cluster_cap - used,
				 "replica %lu %s\n", (unsigned long)id, pkhex);
		}
	}
	sodium_memzero(&kp, sizeof kp);
	return id;
}

/* `byzlab keygen`: see keygen_usage. */
int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"n", required_argument, NULL, KG_N},
	    {"out", required_argument, NULL, KG_OUT},
	    {"clients", required_argument, NULL, KG_CLIENTS},
	    {"force", no_argument, NULL, KG_FORCE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char cluster[BYZ_MAX_N * KEYGEN_CLUSTER_LINE + 1] = "";
	char err[KEYFILE_PATH_MAX + 200], path[KEYFILE_PATH_MAX];
	const char *out = NULL;
	uint64_t n = 0, clients = 1;
	bool force = false;
	unsigned flags;
	uint32_t done_r, done_c = 0;
	int opt;

	/* optind = 0, not 1: glibc's (and the BSDs') full reset, which also
	 * forgets a half-parsed "-xyz" left by an earlier parse in this
	 * process (tests call several commands in one process). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(keygen_usage, stdout);
			return EXIT_OK;
		case KG_N:
			if (cli_parse_u64("keygen", "--n", optarg, 1, BYZ_MAX_N,
					  &n))
				return EXIT_USAGE;
			break;
		case KG_OUT:
			if (!*optarg)
				return cli_usage_error("keygen",
						       "--out: empty directory "
						       "name");
			out = optarg;
			break;
		case KG_CLIENTS:
			if (cli_parse_u64("keygen", "--clients", optarg, 0,
					  KEYGEN_MAX_CLIENTS, &clients))
				return EXIT_USAGE;
			break;
		case KG_FORCE:
			force = true;
			break;
		case ':':
			return cli_usage_error("keygen", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("keygen", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("keygen", "unexpected argument '%s'",
				       argv[optind]);
	if (!n)
		return cli_usage_error("keygen",
				       "missing --n (the number of replicas)");
	if (!out)
		return cli_usage_error("keygen",
				       "missing --out (the directory to write "
				       "the keys into)");
	if (byz_crypto_init())
		return cli_input_error("keygen", "cannot initialise libsodium");

	if (keygen_prepare_dir(out))
		return EXIT_USAGE;
	if (!force && keygen_check_free(out, (uint32_t)n, (uint32_t)clients))
		return EXIT_USAGE;
	flags = force ? KEYFILE_OVERWRITE : 0;

	done_r = keygen_write_role(out, BYZ_ROLE_REPLICA, (uint32_t)n, flags,
				   cluster, sizeof cluster, err, sizeof err);
	if (done_r < n)
		goto fail;
	done_c = keygen_write_role(out, BYZ_ROLE_CLIENT, (uint32_t)clients,
				   flags, NULL, 0, err, sizeof err);
	if (done_c < clients)
		goto fail;
	if (keygen_cluster_path(path, sizeof path, out)) {
		snprintf(err, sizeof err, "--out: '%s' is too long", out);
		goto fail;
	}
	if (keyfile_write_file(path, cluster, strlen(cluster), 0644, flags, err,
			       sizeof err))
		goto fail;

	printf("keygen: wrote key pairs for %lu replica%s and %lu client%s "
	       "(.key 0600, .pub 0644) and %s\n",
	       (unsigned long)n, n == 1 ? "" : "s", (unsigned long)clients,
	       clients == 1 ? "" : "s", path);
	return EXIT_OK;

fail:
	if (!force) {
		keygen_remove(out, BYZ_ROLE_REPLICA, done_r);
		keygen_remove(out, BYZ_ROLE_CLIENT, done_c);
		return cli_input_error("keygen", "%s", err);
	}
	if (done_r + done_c == 0)
		return cli_input_error("keygen", "%s", err);
	return cli_input_error("keygen",
			       "%s (files before it were already replaced: "
			       "the keys in %s are not a consistent set "
			       "until a run succeeds)",
			       err, out);
}
