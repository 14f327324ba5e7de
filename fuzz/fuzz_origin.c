/*
 * fuzz_origin.c — libFuzzer target for src/http/origin.c: origin extraction
 * from URLs, trusted-origin pattern matching and callbackURL validation
 * (origin_check_request and origin_check_login need a live request and are
 * left to the black-box tests).
 *
 * Setup, once: base URL "http://127.0.0.1:8080" and the patterns
 * "http://localhost:3000", "*.example.com" qualified with "https://" in
 * front, and the bare "*.trusted.org".
 * Input: the whole input is one URL (cut at the first NUL).
 *
 * Invariants checked, beyond ASan/UBSan cleanliness:
 *   - a trusted URL has "scheme://host" with no userinfo ('@') and no '\\' in
 *     the authority (browsers read "https://evil.com\\.example.com" as host
 *     evil.com, so accepting it is an open redirect), and its origin is one
 *     of the configured ones or a subdomain the wildcards allow;
 *   - trust does not depend on ASCII case;
 *   - origin_check_callback: true leaves err untouched; false sets 403 and the
 *     code passed in; a relative URL passes only if it cannot be read as
 *     protocol-relative ("//", "/\\", control characters browsers strip); an
 *     absolute one passes only if trusted.
 */
#include <ctype.h>
#include <stdbool.h>

#include "fuzz_input.h"
#include "http/origin.h"

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);
	return len > sl && memcmp(s + len - sl, suffix, sl) == 0;
}

/* What we allow a trusted URL's origin to be, written independently of
 * origin.c. */
static void check_trusted_shape(const char *url)
{
	const char *sep = strstr(url, "://");
	FUZZ_CHECK(sep != NULL && sep != url);
	const char *host = sep + 3;
	size_t hlen = strcspn(host, "/?#");
	FUZZ_CHECK(hlen > 0);
	FUZZ_CHECK(memchr(host, '@', hlen) == NULL);
	FUZZ_CHECK(memchr(host, '\\', hlen) == NULL);

	size_t olen = (size_t)(host - url) + hlen;
	char *origin = fuzz_malloc(olen + 1);
	for (size_t i = 0; i < olen; i++)
		origin[i] = (char)tolower((unsigned char)url[i]);
	origin[olen] = 0;
	const char *h = origin + (host - url);
	bool allowed =
	    strcmp(origin, "http://127.0.0.1:8080") == 0 ||
	    strcmp(origin, "http://localhost:3000") == 0 ||
	    (strncmp(origin, "https://", 8) == 0 && ends_with(h, hlen, ".example.com")) ||
	    ends_with(h, hlen, ".trusted.org");
	FUZZ_CHECK(allowed);
	free(origin);
}

static void check_callback(const char *url, bool trusted)
{
	static const char code[] = "INVALID_CALLBACK_URL";
	struct gh_error err;
	memset(&err, 0, sizeof err);
	bool ok = origin_check_callback(url, code, &err);
	if (ok) {
		FUZZ_CHECK(err.status == 0);
		if (url[0] == '/') {
			FUZZ_CHECK(url[1] != '/' && url[1] != '\\');
			for (const char *p = url; *p; p++)
				FUZZ_CHECK((unsigned char)*p >= 0x20);
		} else if (url[0]) {
			FUZZ_CHECK(trusted);
		}
		for (const char *p = url; *p; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	} else {
		FUZZ_CHECK(err.status == 403 && err.code == code);
		FUZZ_CHECK(memchr(err.message, 0, sizeof err.message) != NULL);
		bool has_control = false;
		for (const char *p = url; *p; p++)
			has_control |= (unsigned char)*p < 0x20 || *p == 0x7f;
		/* refused: relative, untrusted, or carrying a control character
		 * (which would end up in a Location header) */
		FUZZ_CHECK(url[0] == '/' || !trusted || has_control);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialised;
	if (!initialised) {
		static char p0[] = "http://localhost:3000", p1[] = "https://*.example.com",
			    p2[] = "*.trusted.org";
		char *const patterns[] = {p0, p1, p2};
		FUZZ_CHECK(origin_init("http://127.0.0.1:8080", patterns, 3) == 0);
		initialised = true;
	}

	char *url = fuzz_strndup(data, size);
	bool trusted = origin_is_trusted(url);
	if (trusted)
		check_trusted_shape(url);

	char *upper = fuzz_strdup(url);
	for (char *p = upper; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	FUZZ_CHECK(origin_is_trusted(upper) == trusted);
	free(upper);

	check_callback(url, trusted);
	(void)origin_check_callback(NULL, "INVALID_REDIRECT_URL", NULL);

	free(url);
	return 0;
}
