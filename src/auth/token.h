/*
 * token — random identifiers and bearer secrets, and the keyed hash under
 * which every bearer secret is stored.
 *
 * Session tokens are 32 characters of [A-Za-z0-9] (Better-Auth's format,
 * ~190 bits). Storage never sees a token: only token_hash(), a keyed BLAKE2b
 * (libsodium crypto_generichash) under a subkey derived from the server
 * secret, so a database leak yields nothing usable (Better-Auth stores them
 * in plaintext; we do not).
 *
 * Owns: the derived hashing key (zeroed at token_shutdown). Threads:
 * token_init on the main thread; the rest from any thread.
 */
#ifndef GH_AUTH_TOKEN_H
#define GH_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define GH_TOKEN_LEN 32

int token_init(const char *secret, size_t secret_len);
void token_shutdown(void);
/* n random characters of [A-Za-z0-9] plus NUL (uniform: rejection sampling). */
void token_random_alnum(char *out, size_t n);
/* Keyed hash of a bearer secret, for storage and cache keys. */
void token_hash(const char *token, size_t len, uint8_t out[32]);

#endif
