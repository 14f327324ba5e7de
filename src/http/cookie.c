/*
 * cookie — see cookie.h. The Cookie header is untrusted input: every scan is
 * bounded by the header's NUL and by the output buffer, and fuzzed
 * (fuzz/fuzz_cookie.c).
 */
#include "http/cookie.h"

#include <sodium.h>

#include <stdio.h>
#include <string.h>

bool cookie_find(const char *header, const char *name, char *out, size_t outsz)
{
	if (!header || !name)
		return false;
	size_t nlen = strlen(name);
	const char *p = header;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *pair = p;
		while (*p && *p != ';')
			p++;
		const char *end = p;
		const char *eq = memchr(pair, '=', (size_t)(end - pair));
		if (!eq)
			continue;
		const char *kend = eq;
		while (kend > pair && (kend[-1] == ' ' || kend[-1] == '\t'))
			kend--;
		if ((size_t)(kend - pair) != nlen || memcmp(pair, name, nlen) != 0)
			continue;
		const char *v = eq + 1;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		const char *vend = end;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		if (vend - v >= 2 && *v == '"' && vend[-1] == '"')
			v++, vend--;
		size_t vlen = (size_t)(vend - v);
		if (vlen + 1 > outsz)
			return false;
		memcpy(out, v, vlen);
		out[vlen] = 0;
		return true;
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool cookie_url_decode(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '%') {
			int hi = hexval(r[1]);
			int lo = hi >= 0 ? hexval(r[2]) : -1;
			if (lo < 0)
				return false;
			int c = hi * 16 + lo;
			if (c == 0)
				return false;
			*w++ = (char)c;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
	return true;
}

bool cookie_url_encode(const char *in, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-_.!~*'()", *p);
		if (plain) {
			if (o + 2 > outsz)
				return false;
			out[o++] = (char)*p;
		} else {
			if (o + 4 > outsz)
				return false;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (o + 1 > outsz)
		return false;
	out[o] = 0;
	return true;
}

void cookie_signer_init(struct gh_cookie_signer *s, const char *secret, size_t secret_len)
{
	crypto_auth_hmacsha256_init(&s->keyed, (const unsigned char *)secret, secret_len);
}

static void signature_with(const struct gh_cookie_signer *s, const char *token, size_t token_len,
			   char sig[GH_COOKIE_SIG_LEN + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st = s->keyed; /* the pads are already absorbed */
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, token_len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(sig, GH_COOKIE_SIG_LEN + 1, mac, sizeof mac,
			  sodium_base64_VARIANT_ORIGINAL);
}

bool cookie_signer_verify(const struct gh_cookie_signer *s, const char *value, char *token_out,
			  size_t token_outsz)
{
	const char *dot = strrchr(value, '.');
	if (!dot)
		return false;
	size_t token_len = (size_t)(dot - value);
	const char *sig = dot + 1;
	if (token_len == 0 || strlen(sig) != GH_COOKIE_SIG_LEN ||
	    sig[GH_COOKIE_SIG_LEN - 1] != '=' || token_len + 1 > token_outsz)
		return false;
	char expect[GH_COOKIE_SIG_LEN + 1];
	signature_with(s, value, token_len, expect);
	if (sodium_memcmp(expect, sig, GH_COOKIE_SIG_LEN) != 0)
		return false;
	memcpy(token_out, value, token_len);
	token_out[token_len] = 0;
	return true;
}

bool cookie_signer_sign(const struct gh_cookie_signer *s, const char *token, char *out,
			size_t outsz)
{
	size_t tl = strlen(token);
	if (tl + 1 + GH_COOKIE_SIG_LEN + 1 > outsz)
		return false;
	memcpy(out, token, tl);
	out[tl] = '.';
	signature_with(s, token, tl, out + tl + 1);
	return true;
}

void cookie_signer_mac_b64url(const struct gh_cookie_signer *s, const char *data, size_t len,
			      char out[44])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st = s->keyed;
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(out, 44, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool cookie_verify_signed(const char *value, const char *secret, size_t secret_len, char *token_out,
			  size_t token_outsz)
{
	struct gh_cookie_signer s;
	cookie_signer_init(&s, secret, secret_len);
	bool ok = cookie_signer_verify(&s, value, token_out, token_outsz);
	sodium_memzero(&s, sizeof s);
	return ok;
}

bool cookie_sign(const char *token, const char *secret, size_t secret_len, char *out, size_t outsz)
{
	struct gh_cookie_signer s;
	cookie_signer_init(&s, secret, secret_len);
	bool ok = cookie_signer_sign(&s, token, out, outsz);
	sodium_memzero(&s, sizeof s);
	return ok;
}

bool cookie_format_set(const char *name, const char *value, const struct gh_cookie_attrs *a,
		       char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s=%s", name, value);
	size_t at = (size_t)n;
	if (n < 0 || at >= outsz)
		return false;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		int k = snprintf(out + at, outsz - at, __VA_ARGS__);                               \
		if (k < 0 || (size_t)k >= outsz - at)                                              \
			return false;                                                              \
		at += (size_t)k;                                                                   \
	} while (0)
	if (a->max_age >= 0)
		ADD("; Max-Age=%ld", a->max_age);
	if (a->domain)
		ADD("; Domain=%s", a->domain);
	ADD("; Path=/");
	if (a->http_only)
		ADD("; HttpOnly");
	if (a->secure)
		ADD("; Secure");
	if (a->same_site)
		ADD("; SameSite=%s", a->same_site);
#undef ADD
	return true;
}
