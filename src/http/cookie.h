/*
 * cookie — reading the Cookie request header (RFC 6265 §4.2.1: pairs
 * "name=value" separated by "; ") and writing Set-Cookie values
 * (RFC 6265 §4.1), plus Better-Auth's signed cookie format:
 *
 *   value = encodeURIComponent(token + "." + base64std(HMAC-SHA256(secret, token)))
 *
 * where the signature is 44 characters ending in "=" and the HMAC key is the
 * secret's UTF-8 bytes (REFERENCE-better-auth §3). A value whose signature
 * does not verify is treated as no cookie at all.
 *
 * Owns: nothing beyond the caller's buffers. Threads: any; pure functions.
 */
#ifndef GH_HTTP_COOKIE_H
#define GH_HTTP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#define GH_COOKIE_VALUE_MAX 4096
#define GH_COOKIE_SIG_LEN 44

/* Finds the first cookie called `name` in a Cookie header; copies its raw
 * value (quotes removed) into out. False when absent or longer than outsz-1. */
bool cookie_find(const char *header, const char *name, char *out, size_t outsz);

/* Decodes %XX escapes in place; false on a malformed escape or a NUL byte. */
bool cookie_url_decode(char *s);

/* Checks a signed value (already URL-decoded: "token.sig") against secret;
 * on success copies the token into token_out. Constant-time compare. */
bool cookie_verify_signed(const char *value, const char *secret, size_t secret_len, char *token_out,
			  size_t token_outsz);

/* "token.sig" (not URL-encoded), NUL-terminated, into out. */
bool cookie_sign(const char *token, const char *secret, size_t secret_len, char *out, size_t outsz);

/* The same two operations with the HMAC key schedule computed once (the
 * inner and outer pads of the secret), which halves the hashing per request
 * on the hot path. Immutable after cookie_signer_init. */
struct gh_cookie_signer {
	crypto_auth_hmacsha256_state keyed;
};
void cookie_signer_init(struct gh_cookie_signer *s, const char *secret, size_t secret_len);
bool cookie_signer_verify(const struct gh_cookie_signer *s, const char *value, char *token_out,
			  size_t token_outsz);
bool cookie_signer_sign(const struct gh_cookie_signer *s, const char *token, char *out,
			size_t outsz);
/* HMAC-SHA256(secret, data) as unpadded base64url (43 chars + NUL): the
 * signature of Better-Auth's session_data cookie cache. */
void cookie_signer_mac_b64url(const struct gh_cookie_signer *s, const char *data, size_t len,
			      char out[44]);

/* URL-encodes like encodeURIComponent. */
bool cookie_url_encode(const char *in, char *out, size_t outsz);

struct gh_cookie_attrs {
	long max_age;       /* < 0: session cookie (no Max-Age); 0: delete */
	const char *domain; /* NULL: host-only */
	bool secure;
	bool http_only;
	const char *same_site; /* "Lax", "Strict", "None" */
};

/* name=value; Max-Age=..; Domain=..; Path=/; HttpOnly; Secure; SameSite=.. */
bool cookie_format_set(const char *name, const char *value, const struct gh_cookie_attrs *a,
		       char *out, size_t outsz);

#endif
