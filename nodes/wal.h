/*
 * wal.h - the durable write-ahead log of a replica process (the zmq driver).
 *
 * core.h's persistence contract, on disk. A replica's data directory holds:
 *
 *     log     the records, each a u32 little-endian length and that many
 *             bytes: exactly what the core's create() takes back after a
 *             crash (byz_persist_next reads it)
 *     boots   the number of starts so far, decimal text and a newline,
 *             written atomically (boots.tmp, fsync, rename, fsync the dir)
 *
 * and, only for a moment, log.tmp or boots.tmp (a leftover of a crash is
 * ignored and overwritten).
 *
 * A PERSIST is durable when wal_persist returns 0: an append is write(2)
 * then fdatasync(2); a replace writes log.tmp, fsyncs it, renames it over
 * log and fsyncs the directory, so after a crash log is the old log or the
 * new one, never a mix. A crash in the middle of an append leaves a torn
 * tail (a last record cut short); wal_open cuts it off and says so. An
 * append or a replace that fails is not durable and the driver must not
 * act as if it were (it carries out no output after the PERSIST).
 *
 * After a failed sync (fsync/fdatasync), what the kernel holds of the file
 * is unknown (a later sync may report success for pages it dropped), so
 * the log refuses every later wal_persist (BYZ_ESTATE): the process must
 * restart and read the log back with wal_open.
 *
 * The file is never trusted: wal_open reads at most WAL_MAX_BYTES (a
 * larger file is refused, not read) and checks the framing. There is no
 * checksum (the file is the core's format): a tail of zeros left by a
 * file system that extended the file before its data reached the disk
 * reads as empty records, which the core must refuse as it refuses any
 * malformed record.
 */
#ifndef BYZ_NODES_WAL_H
#define BYZ_NODES_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A log larger than this is refused (a core that never compacts). */
#define WAL_MAX_BYTES (256u << 20)

/* An open data directory. dir is the path as given to wal_open (for
 * messages); files are reached through dirfd. fd is -1 once the log is
 * unusable (after a failed sync) or closed. */
struct wal {
	int dirfd;
	int fd;
	uint64_t size;	/* bytes of log, all of them whole records */
	uint32_t boots; /* starts before this one: 0 on the first ever */
	char dir[4096];
};

/*
 * Open the data directory dir of one replica, creating it (mode 0700,
 * then fsyncing its parent directory) if it is missing; its parent must
 * exist. Reads the whole log into a malloc'd buffer *log of *len bytes
 * (NULL and 0 when it is empty or missing; the caller frees it), checks
 * the framing and repairs a torn tail: the file is truncated to its last
 * whole record (ftruncate, fsync) and *torn is the number of bytes cut (0
 * when none). Counts this start in boots and makes it durable; w->boots is
 * the count before it.
 *
 * Returns 0, or BYZ_EIO (a system call failed, or boots is malformed),
 * BYZ_ELIMIT (the log is larger than WAL_MAX_BYTES, boots would overflow,
 * dir is too long), BYZ_EINVAL (an empty dir or a NULL argument) or
 * BYZ_ENOMEM, with a message in why naming the path:
 *
 *     data/r0/log: open: Permission denied
 *
 * On error nothing is allocated and w holds no open descriptor (wal_close
 * is harmless).
 */
int wal_open(struct wal *w, const char *dir, uint8_t **log, size_t *len,
	     size_t *torn, char *why, size_t whylen);

/*
 * Make one PERSIST durable before returning. replace false: append (u32 LE
 * length, rec) with write(2) and fdatasync(2). replace true: write log.tmp
 * holding this one record, fsync it, rename it over log, fsync the
 * directory; it is then the log appended to.
 *
 * Returns 0, or BYZ_ELIMIT (the log would grow beyond WAL_MAX_BYTES:
 * checked before anything is written), BYZ_EINVAL (rec NULL with len > 0),
 * BYZ_ESTATE (the log is closed or unusable after a failed sync) or
 * BYZ_EIO (a write or sync failed: the path and strerror in why). A
 * partial append is truncated back before returning when possible (when
 * not, the log is unusable and the next wal_open cuts the torn tail).
 */
int wal_persist(struct wal *w, const void *rec, size_t len, bool replace,
		char *why, size_t whylen);

/*
 * Forget the persisted state (amnesia: a restart without state): remove
 * log (and a leftover log.tmp), keep boots, fsync the directory. A missing
 * directory or log has nothing to forget: 0. Returns 0, or BYZ_EIO /
 * BYZ_EINVAL with a message in why. Not while a struct wal has dir open.
 */
int wal_wipe(const char *dir, char *why, size_t whylen);

/* Close the descriptors (no sync: every PERSIST is durable already).
 * Harmless twice, or after a failed wal_open. */
void wal_close(struct wal *w);

#endif
