/* token — see token.h. */
#include "auth/token.h"

#include <sodium.h>

#include <string.h>

static uint8_t hash_key[crypto_generichash_KEYBYTES];

int token_init(const char *secret, size_t secret_len)
{
	/* subkey = HMAC-SHA256(secret, purpose): domain-separated from the cookie
	 * signature, which is HMAC-SHA256(secret, token). */
	static const char purpose[] = "gatehouse/token-hash/v1";
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, secret_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)purpose, sizeof purpose - 1);
	crypto_auth_hmacsha256_final(&st, hash_key);
	sodium_memzero(&st, sizeof st);
	return 0;
}

void token_shutdown(void)
{
	sodium_memzero(hash_key, sizeof hash_key);
}

void token_random_alnum(char *out, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	/* 62 letters: uniform_random avoids modulo bias */
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(62)];
	out[n] = 0;
}

void token_hash(const char *token, size_t len, uint8_t out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token, len, hash_key, sizeof hash_key);
}
