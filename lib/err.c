/*
 * err.c - names and sentences for the codes in err.h.
 */
#include "err.h"

#include <stddef.h>

struct err_entry {
	int code;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
    {BYZ_OK, "ok", "success"},
    {BYZ_ENOMEM, "nomem", "out of memory"},
    {BYZ_EINVAL, "invalid", "invalid argument"},
    {BYZ_EIO, "io", "input/output error"},
    {BYZ_ELIMIT, "limit", "a configured bound would be exceeded"},
    {BYZ_ESTATE, "state", "not possible in the current state"},
    {BYZ_ETRUNC, "truncated", "input ends before a field it must contain"},
    {BYZ_EMAGIC, "bad-magic", "frame does not start with the magic \"BZ\""},
    {BYZ_EVERSION, "bad-version", "unsupported wire version"},
    {BYZ_EPROTO, "bad-protocol", "unknown protocol number"},
    {BYZ_ETYPE, "bad-type", "unknown message type for the protocol"},
    {BYZ_EFLAGS, "bad-flags", "reserved flag bits are set"},
    {BYZ_ELENGTH, "bad-length", "a declared length disagrees with the input"},
    {BYZ_ETOOBIG, "too-big", "a length exceeds its protocol limit"},
    {BYZ_ETRAILING, "trailing-bytes", "bytes left after the last field"},
    {BYZ_EFIELD, "bad-field", "a field holds a value outside its range"},
    {BYZ_ENEST, "bad-nested", "an embedded frame is of the wrong kind"},
    {BYZ_EBADSIG, "bad-signature", "a signature does not verify"},
    {BYZ_ESIGNER, "unknown-signer",
     "the signer is not a known replica or client"},
    {BYZ_ENOKEY, "no-key", "no private key is held for this signer"},
    {BYZ_EKEYFILE, "bad-keyfile", "malformed key file"},
};

static const struct err_entry *err_find(int code)
{
	for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
		if (err_table[i].code == code)
			return &err_table[i];
	return NULL;
}

const char *byz_errname(int code)
{
	const struct err_entry *e = err_find(code);
	return e ? e->name : "unknown-error";
}

const char *byz_strerror(int code)
{
	const struct err_entry *e = err_find(code);
	return e ? e->text : "unknown error";
}
