/*
 * fuzz_cookie.c — libFuzzer target for src/http/cookie.c: the Cookie header
 * parser, %XX decoding and encoding, Better-Auth's signed values
 * ("token.base64(HMAC-SHA256)", plain and with a precomputed key) and
 * Set-Cookie formatting.
 *
 * Input: two control bytes, then NUL-separated strings
 *   text \0 secret \0 domain \0 same_site
 * (text is used as a Cookie header, as a cookie value and as a token;
 * secret, when absent, is a fixed one).
 *
 * Invariants checked, beyond ASan/UBSan cleanliness:
 *   - cookie_find: output NUL-terminated inside outsz, free of ';', a
 *     substring of the header; a small buffer succeeds iff the value fits and
 *     then gives the same value as a large one;
 *   - cookie_url_decode never lengthens; without '%' it is the identity;
 *   - cookie_url_encode succeeds iff the output fits, emits only unreserved
 *     characters and %XX, and decode(encode(x)) == x;
 *   - cookie_sign needs exactly strlen(token) + 46 bytes; for any non-empty
 *     token verify(sign(token)) succeeds with the same secret and returns the
 *     token, and fails with another secret;
 *   - whatever cookie_verify_signed accepts is exactly sign(token);
 *   - the precomputed-key signer (cookie_signer_*) signs and verifies exactly
 *     like cookie_sign / cookie_verify_signed; cookie_signer_mac_b64url gives
 *     43 base64url characters;
 *   - cookie_format_set into a small buffer succeeds iff the full line fits,
 *     and then matches the line built in a large buffer.
 */
#include <limits.h>
#include <stdbool.h>

#include "fuzz_input.h"
#include "http/cookie.h"

#define FIXED_SECRET "better-auth-secret-0123456789abcdefghijklmnopqrstuvwxyz"

static const char *const cookie_names[] = {
    "better-auth.session_token",
    "__Secure-better-auth.session_token",
    "better-auth.session_data",
    "better-auth.dont_remember",
    "a",
    "",
};

static void check_find(const char *header, size_t small)
{
	for (size_t i = 0; i < sizeof cookie_names / sizeof *cookie_names; i++) {
		const char *name = cookie_names[i];
		size_t bigsz = GH_COOKIE_VALUE_MAX + 1;
		char *big = fuzz_malloc(bigsz);
		char *little = fuzz_malloc(small);
		bool big_ok = cookie_find(header, name, big, bigsz);
		bool little_ok = cookie_find(header, name, little, small);
		if (big_ok) {
			size_t len = strnlen(big, bigsz);
			FUZZ_CHECK(len < bigsz);
			FUZZ_CHECK(strchr(big, ';') == NULL);
			FUZZ_CHECK(strstr(header, big) != NULL);
			FUZZ_CHECK(little_ok == (len < small));
			if (little_ok)
				FUZZ_CHECK(strcmp(big, little) == 0);
		} else {
			FUZZ_CHECK(!little_ok);
		}
		free(big);
		free(little);
	}
}

/* What the session middleware does with a found value: decode, verify. */
static void check_decode_and_verify(const char *value, const char *secret, size_t token_outsz)
{
	char *v = fuzz_strdup(value);
	size_t before = strlen(v);
	bool ok = cookie_url_decode(v);
	if (!strchr(value, '%'))
		FUZZ_CHECK(ok && strcmp(v, value) == 0);
	if (!ok) {
		free(v);
		return;
	}
	FUZZ_CHECK(strlen(v) <= before);

	char *token = fuzz_malloc(token_outsz);
	char *token2 = fuzz_malloc(token_outsz);
	struct gh_cookie_signer signer;
	cookie_signer_init(&signer, secret, strlen(secret));
	bool verified = cookie_verify_signed(v, secret, strlen(secret), token, token_outsz);
	FUZZ_CHECK(cookie_signer_verify(&signer, v, token2, token_outsz) == verified);
	if (verified) {
		FUZZ_CHECK(strcmp(token, token2) == 0);
		size_t tl = strnlen(token, token_outsz);
		FUZZ_CHECK(tl > 0 && tl < token_outsz);
		FUZZ_CHECK(strncmp(v, token, tl) == 0 && v[tl] == '.');
		size_t sz = tl + 1 + GH_COOKIE_SIG_LEN + 1;
		char *resigned = fuzz_malloc(sz);
		FUZZ_CHECK(cookie_sign(token, secret, strlen(secret), resigned, sz));
		FUZZ_CHECK(strcmp(resigned, v) == 0);
		free(resigned);
	}
	free(token2);
	free(token);
	free(v);
}

static size_t encoded_length(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-_.!~*'()", *p);
		n += plain ? 1 : 3;
	}
	return n;
}

static void check_encode_roundtrip(const char *text, size_t small)
{
	size_t need = encoded_length(text);
	char *enc = fuzz_malloc(need + 1);
	FUZZ_CHECK(cookie_url_encode(text, enc, need + 1));
	FUZZ_CHECK(strlen(enc) == need);
	for (const char *p = enc; *p; p++) {
		if (*p == '%') {
			FUZZ_CHECK(strchr("0123456789ABCDEF", p[1]) && p[1]);
			FUZZ_CHECK(strchr("0123456789ABCDEF", p[2]) && p[2]);
			p += 2;
		} else {
			FUZZ_CHECK(*p > 0x20 && *p < 0x7f && !strchr(";,\"\\ %", *p));
		}
	}
	char *dec = fuzz_strdup(enc);
	FUZZ_CHECK(cookie_url_decode(dec));
	FUZZ_CHECK(strcmp(dec, text) == 0);
	free(dec);

	/* one byte short must fail without writing past the buffer */
	char *tight = need ? fuzz_malloc(need) : NULL;
	if (tight) {
		FUZZ_CHECK(!cookie_url_encode(text, tight, need));
		free(tight);
	}
	char *little = fuzz_malloc(small);
	bool ok = cookie_url_encode(text, little, small);
	FUZZ_CHECK(ok == (need + 1 <= small));
	if (ok)
		FUZZ_CHECK(strcmp(little, enc) == 0);
	free(little);
	free(enc);
}

static void check_sign_roundtrip(const char *token, const char *secret)
{
	size_t tl = strlen(token), sl = strlen(secret);
	size_t sz = tl + 1 + GH_COOKIE_SIG_LEN + 1;
	char *short_buf = fuzz_malloc(sz - 1);
	FUZZ_CHECK(!cookie_sign(token, secret, sl, short_buf, sz - 1));
	free(short_buf);

	char *signed_value = fuzz_malloc(sz);
	FUZZ_CHECK(cookie_sign(token, secret, sl, signed_value, sz));
	FUZZ_CHECK(strlen(signed_value) == sz - 1);
	FUZZ_CHECK(signed_value[tl] == '.' && signed_value[sz - 2] == '=');

	/* the precomputed-key signer gives the same bytes */
	struct gh_cookie_signer signer;
	cookie_signer_init(&signer, secret, sl);
	char *signed_again = fuzz_malloc(sz);
	FUZZ_CHECK(!cookie_signer_sign(&signer, token, signed_again, sz - 1));
	FUZZ_CHECK(cookie_signer_sign(&signer, token, signed_again, sz));
	FUZZ_CHECK(strcmp(signed_again, signed_value) == 0);
	free(signed_again);

	/* the session_data MAC: 43 base64url characters */
	char *mac = fuzz_malloc(44);
	cookie_signer_mac_b64url(&signer, token, tl, mac);
	FUZZ_CHECK(strlen(mac) == 43 &&
		   strspn(mac, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "abcdefghijklmnopqrstuvwxyz0123456789-_") == 43);
	free(mac);

	char *out = fuzz_malloc(tl + 1);
	bool ok = cookie_verify_signed(signed_value, secret, sl, out, tl + 1);
	FUZZ_CHECK(cookie_signer_verify(&signer, signed_value, out, tl + 1) == ok);
	/* the signature never contains '.', so the last '.' is the separator */
	FUZZ_CHECK(ok == (tl > 0));
	if (ok)
		FUZZ_CHECK(strcmp(out, token) == 0);
	if (tl > 0) /* too small for the token */
		FUZZ_CHECK(!cookie_verify_signed(signed_value, secret, sl, out, tl));

	/* another secret: must not verify */
	char *other = fuzz_malloc(sl + 2);
	memcpy(other, secret, sl);
	other[sl] = 'x';
	other[sl + 1] = 0;
	FUZZ_CHECK(!cookie_verify_signed(signed_value, other, sl + 1, out, tl + 1));
	free(other);

	/* the Set-Cookie path: encode, then what the parser sees */
	size_t need = encoded_length(signed_value);
	char *enc = fuzz_malloc(need + 1);
	FUZZ_CHECK(cookie_url_encode(signed_value, enc, need + 1));
	FUZZ_CHECK(cookie_url_decode(enc));
	FUZZ_CHECK(strcmp(enc, signed_value) == 0);
	free(enc);

	free(out);
	free(signed_value);
}

static void check_format_set(const char *name, const char *value, const char *domain,
			     const char *same_site, uint8_t ctl, size_t small)
{
	static const long max_ages[] = {-1, 0, 604800, LONG_MAX, LONG_MIN};
	struct gh_cookie_attrs a = {
	    .max_age = max_ages[(ctl & 7) % 5],
	    .domain = (ctl & 8) ? domain : NULL,
	    .secure = ctl & 16,
	    .http_only = ctl & 32,
	    .same_site = same_site,
	};
	size_t bigsz = strlen(name) + strlen(value) + strlen(domain) +
		       (same_site ? strlen(same_site) : 0) + 128;
	char *big = fuzz_malloc(bigsz);
	FUZZ_CHECK(cookie_format_set(name, value, &a, big, bigsz));
	size_t len = strlen(big);
	FUZZ_CHECK(len < bigsz);
	FUZZ_CHECK(strncmp(big, name, strlen(name)) == 0 && big[strlen(name)] == '=');
	FUZZ_CHECK(strstr(big, "; Path=/") != NULL);

	char *little = fuzz_malloc(small);
	bool ok = cookie_format_set(name, value, &a, little, small);
	FUZZ_CHECK(ok == (len < small));
	if (ok)
		FUZZ_CHECK(strcmp(little, big) == 0);
	free(little);
	free(big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_u8(&data, &size);
	uint8_t small = fuzz_take_u8(&data, &size);
	char *parts[4];
	int n = fuzz_split(data, size, parts, 4);
	const char *text = parts[0];
	const char *secret = n > 1 ? parts[1] : FIXED_SECRET;
	const char *domain = n > 2 ? parts[2] : "example.com";
	static const char *const same_sites[] = {NULL, "Lax", "Strict", "None"};
	const char *same_site = n > 3 ? parts[3] : same_sites[(ctl >> 6) & 3];

	check_find(text, small);

	/* the header's session cookie through the middleware's steps, and the
	 * whole text as a value */
	char *value = fuzz_malloc(GH_COOKIE_VALUE_MAX + 1);
	for (size_t i = 0; i < 2; i++)
		if (cookie_find(text, cookie_names[i], value, GH_COOKIE_VALUE_MAX + 1)) {
			check_decode_and_verify(value, FIXED_SECRET, GH_COOKIE_VALUE_MAX + 1);
			check_decode_and_verify(value, secret, (size_t)small + 1);
		}
	free(value);
	check_decode_and_verify(text, secret, GH_COOKIE_VALUE_MAX + 1);

	check_encode_roundtrip(text, small);
	check_sign_roundtrip(text, secret);
	check_format_set(n > 1 ? parts[1] : "better-auth.session_token", text, domain, same_site,
			 ctl, small);

	fuzz_free_parts(parts, n);
	return 0;
}
