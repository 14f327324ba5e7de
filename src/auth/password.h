/*
 * password — hashing, verification and the NIST SP 800-63B-4 policy for
 * account passwords.
 *
 * Owns: the argon2id parameters, the bound on concurrent hashes, the embedded
 * common-password blocklist (resources/common-passwords.txt, see
 * docs/decisions/0006-password-blocklist.md) and the formats we verify:
 *   - "$argon2id$v=19$m=...,t=...,p=...$salt$hash" (libsodium's crypto_pwhash_str);
 *   - Better-Auth's scrypt "<saltHex32>:<keyHex128>" (N=16384, r=16, p=1,
 *     dkLen=64, the 32-char hex *string* is the salt; REFERENCE-better-auth §7).
 *
 * Every password is NFKC-normalised (libunistring) before hashing, verifying
 * and length checks; length is counted in Unicode code points; nothing is
 * truncated or case-folded. No composition rules.
 *
 * Threads: password_init once on the main thread before any other call.
 * password_hash / password_verify / password_burn_dummy are slow (tens of ms)
 * and must run on worker threads only; they block while more than
 * max_concurrent hashes are in flight. password_check_policy is cheap and may
 * run anywhere.
 */
#ifndef GH_AUTH_PASSWORD_H
#define GH_AUTH_PASSWORD_H

#include <stddef.h>

/* libsodium's crypto_pwhash_STRBYTES */
#define GH_PASSWORD_HASH_MAX 128

struct gh_password_params {
	int min_length;      /* code points, >= 1 */
	int max_length;      /* code points, >= min_length */
	unsigned memory_kib; /* argon2id m, >= 8 */
	unsigned iterations; /* argon2id t, >= 1 */
	int max_concurrent;  /* >= 1 */
};

enum gh_password_policy {
	GH_PASSWORD_OK = 0,
	GH_PASSWORD_TOO_SHORT,
	GH_PASSWORD_TOO_LONG,
	GH_PASSWORD_COMMON,  /* on the blocklist (ASCII case-insensitive match) */
	GH_PASSWORD_INVALID, /* not valid UTF-8, or contains NUL */
};

enum gh_password_verdict {
	GH_VERIFY_MISMATCH = 0,
	GH_VERIFY_OK,
	GH_VERIFY_OK_REHASH, /* matched, but the stored hash is scrypt or has argon2id
			      * parameters other than those in force (weaker, or
			      * stronger after an operator lowered them): store
			      * password_hash() anew */
	GH_VERIFY_ERROR,     /* malformed stored hash, out of memory */
};

/* Returns 0, or -1 if the parameters are invalid, the blocklist failed to
 * load or the dummy hash could not be made (then the previous parameters stay
 * in force). May be called again (SIGHUP) to change parameters; hashes already
 * running finish with the old ones. */
int password_init(const struct gh_password_params *params);

/* Cheap: NFKC, length in code points, blocklist lookup (O(1)). */
enum gh_password_policy password_check_policy(const char *pw, size_t len);

/* Whether NFKC(pw) is on the blocklist, ignoring ASCII case (which covers an
 * exact and a lower-cased match); 0 for invalid UTF-8. Exposed for tests. */
int password_is_common(const char *pw, size_t len);

/* argon2id of NFKC(pw) into out (NUL-terminated). Returns 0 or -1. */
int password_hash(const char *pw, size_t len, char out[GH_PASSWORD_HASH_MAX]);

/* Verifies pw against a stored hash of either supported format; the final
 * comparison is constant-time. pw that is not valid UTF-8 (or holds NUL) can
 * match nothing we store: GH_VERIFY_MISMATCH at once, without hashing (and
 * password_burn_dummy does the same, so this reveals nothing about the user). */
enum gh_password_verdict password_verify(const char *stored, const char *pw, size_t len);

/* Spends the same time as a password_verify against a real argon2id hash, for
 * sign-ins of unknown users (no timing difference, ASVS 6.3.8). */
void password_burn_dummy(const char *pw, size_t len);

#endif
