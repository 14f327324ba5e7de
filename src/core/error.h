/*
 * error — the one error type: an HTTP status, a stable code
 * ("INVALID_EMAIL_OR_PASSWORD") and a human message. It becomes the JSON body
 * {"message": ..., "code": ...} in exactly one place (http/server.c).
 *
 * Owns: the message buffer inside struct gh_error (no heap). Threads: any.
 */
#ifndef GH_CORE_ERROR_H
#define GH_CORE_ERROR_H

#include <stdbool.h>

#define GH_ERROR_MSG_MAX 384

struct gh_error {
	int status;       /* 0: no error */
	const char *code; /* static string */
	char message[GH_ERROR_MSG_MAX];
};

/* Sets err and returns false, so handlers can `return error_set(...)`. */
bool error_set(struct gh_error *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline bool error_is_set(const struct gh_error *err)
{
	return err->status != 0;
}

#endif
