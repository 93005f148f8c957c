/*
 * err.h - the one table of error codes used throughout libbyz.
 *
 * Functions return 0 on success or one of these negative codes. Each code
 * has a short stable name (used in traces and counters) and a sentence for
 * people. Messages that name files, lines and fields are made only at the
 * edges (command line, file parsing), on top of these codes.
 */
#ifndef BYZ_ERR_H
#define BYZ_ERR_H

enum byz_err {
	BYZ_OK = 0,
	/* general */
	BYZ_ENOMEM = -1, /* allocation failed */
	BYZ_EINVAL = -2, /* invalid argument (a caller's bug or bad config) */
	BYZ_EIO = -3,	 /* a file or socket operation failed */
	BYZ_ELIMIT = -4, /* a configured bound would be exceeded */
	BYZ_ESTATE = -5, /* not possible in the current state */
	/* wire decoding: one code for each kind of malformed input */
	BYZ_ETRUNC = -10,    /* input ends before a field it must contain */
	BYZ_EMAGIC = -11,    /* the frame does not start with the magic "BZ" */
	BYZ_EVERSION = -12,  /* unsupported wire version */
	BYZ_EPROTO = -13,    /* unknown protocol number */
	BYZ_ETYPE = -14,     /* unknown message type for the protocol */
	BYZ_EFLAGS = -15,    /* reserved flag bits are set */
	BYZ_ELENGTH = -16,   /* a declared length disagrees with the input */
	BYZ_ETOOBIG = -17,   /* a length exceeds its protocol limit */
	BYZ_ETRAILING = -18, /* bytes left after the last field */
	BYZ_EFIELD = -19,    /* a field holds a value outside its range */
	BYZ_ENEST = -20,     /* an embedded frame is of the wrong kind */
	/* authentication */
	BYZ_EBADSIG = -30, /* a signature does not verify */
	BYZ_ESIGNER = -31, /* the signer is not a known replica or client */
	BYZ_ENOKEY = -32,  /* no private key is held for this signer */
	/* files */
	BYZ_EKEYFILE = -40, /* a key file is malformed */
};

/* Short stable name for a code, e.g. "truncated". Never NULL. */
const char *byz_errname(int code);
/* A sentence for people, e.g. "input ends before a field it must contain". */
const char *byz_strerror(int code);

#endif
