/*
 * Unit tests for the pure HTTP pieces: cookie parsing and Better-Auth's
 * signed cookie format (vector computed independently with Node's crypto),
 * URL encoding, client IP resolution through trusted proxies, and the email
 * and username rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/validate.h"
#include "http/clientip.h"
#include "http/cookie.h"
#include "http/origin.h"

static const char secret[] = "test-secret-that-is-long-enough-0123";
static const char token[] = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
/* node -e 'crypto.createHmac("sha256", secret).update(token).digest("base64")' */
static const char sig[] = "PdqYUMWq7jnH0SbVRAIWafhGgNs677AMHTuVhuv5k8c=";

static void signed_cookie_matches_better_auth(void **state)
{
	(void)state;
	char out[128], expect[128];
	assert_true(cookie_sign(token, secret, strlen(secret), out, sizeof out));
	snprintf(expect, sizeof expect, "%s.%s", token, sig);
	assert_string_equal(out, expect);
	char tok[64];
	assert_true(cookie_verify_signed(expect, secret, strlen(secret), tok, sizeof tok));
	assert_string_equal(tok, token);
	expect[5] ^= 1; /* tampered token */
	assert_false(cookie_verify_signed(expect, secret, strlen(secret), tok, sizeof tok));
	assert_false(cookie_verify_signed(token, secret, strlen(secret), tok, sizeof tok));
	assert_false(cookie_verify_signed("x.short=", secret, strlen(secret), tok, sizeof tok));
}

static void cookie_header_parsing(void **state)
{
	(void)state;
	char v[64];
	assert_true(cookie_find("a=1; better-auth.session_token=xyz; b=2",
				"better-auth.session_token", v, sizeof v));
	assert_string_equal(v, "xyz");
	assert_true(cookie_find("x=\"quoted\"", "x", v, sizeof v));
	assert_string_equal(v, "quoted");
	assert_false(cookie_find("xa=1; ax=2", "x", v, sizeof v));
	assert_false(cookie_find("x", "x", v, sizeof v));
	assert_false(cookie_find("x=0123456789", "x", v, 5)); /* too long for the buffer */
	assert_true(cookie_find(";;  x = 7 ;", "x", v, sizeof v));
	assert_string_equal(v, "7");
}

static void url_coding(void **state)
{
	(void)state;
	char enc[128], dec[128];
	assert_true(cookie_url_encode("a+b/c=d e", enc, sizeof enc));
	assert_string_equal(enc, "a%2Bb%2Fc%3Dd%20e");
	strcpy(dec, enc);
	assert_true(cookie_url_decode(dec));
	assert_string_equal(dec, "a+b/c=d e");
	strcpy(dec, "bad%2");
	assert_false(cookie_url_decode(dec));
	strcpy(dec, "nul%00byte");
	assert_false(cookie_url_decode(dec));
}

static void set_cookie_attributes(void **state)
{
	(void)state;
	char line[256];
	struct gh_cookie_attrs a = {.max_age = 604800, .http_only = true, .same_site = "Lax"};
	assert_true(cookie_format_set("n", "v", &a, line, sizeof line));
	assert_string_equal(line, "n=v; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax");
	a.max_age = -1;
	a.secure = true;
	a.domain = ".example.com";
	assert_true(cookie_format_set("n", "v", &a, line, sizeof line));
	assert_string_equal(line,
			    "n=v; Domain=.example.com; Path=/; HttpOnly; Secure; SameSite=Lax");
}

static void client_ip_through_proxies(void **state)
{
	(void)state;
	char *proxies[] = {"127.0.0.1", "10.0.0.0/8"};
	assert_int_equal(clientip_init(proxies, 2), 0);
	char out[GH_IP_MAX];
	clientip_resolve("203.0.113.9", "1.2.3.4", out); /* untrusted peer: header ignored */
	assert_string_equal(out, "203.0.113.9");
	clientip_resolve("127.0.0.1", "1.2.3.4", out);
	assert_string_equal(out, "1.2.3.4");
	clientip_resolve("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1", out); /* right to left */
	assert_string_equal(out, "1.2.3.4");
	clientip_resolve("127.0.0.1", "::ffff:198.51.100.7", out);
	assert_string_equal(out, "198.51.100.7");
	clientip_resolve("127.0.0.1", "garbage", out);
	assert_string_equal(out, "127.0.0.1");
	char *bad[] = {"10.0.0.0/99"};
	assert_int_equal(clientip_init(bad, 1), -1);
}

static void email_and_username_rules(void **state)
{
	(void)state;
	assert_true(validate_email("a@example.com"));
	assert_true(validate_email("first.last+tag@sub.example.co"));
	assert_false(validate_email("x'; DROP TABLE user;--@a.com"));
	assert_false(validate_email("a@b"));
	assert_false(validate_email(".a@example.com"));
	assert_false(validate_email("a..b@example.com"));
	assert_false(validate_email("a@-x.com"));
	assert_false(validate_email("a@x.c0m"));
	struct gh_error err = {0};
	assert_true(validate_username("john_doe.1", 400, &err));
	assert_false(validate_username("ab", 400, &err));
	assert_string_equal(err.code, "USERNAME_TOO_SHORT");
	assert_int_equal(err.status, 400);
	assert_false(validate_username("a b!", 422, &err));
	assert_string_equal(err.code, "INVALID_USERNAME");
	assert_int_equal(err.status, 422);
}

static void trusted_origins_and_callbacks(void **state)
{
	(void)state;
	char *patterns[] = {"http://localhost:3000", "https://*.example.com", "*.trusted.org"};
	assert_int_equal(origin_init("http://127.0.0.1:8080", patterns, 3), 0);
	assert_true(origin_is_trusted("http://127.0.0.1:8080/x"));
	assert_true(origin_is_trusted("http://localhost:3000"));
	assert_true(origin_is_trusted("https://app.example.com/cb"));
	assert_false(origin_is_trusted("http://app.example.com")); /* scheme pinned */
	assert_false(origin_is_trusted("https://example.com.evil.net"));
	assert_false(origin_is_trusted("https://evil.com\\.example.com")); /* browsers: evil.com */
	assert_false(origin_is_trusted("https://user@app.example.com"));
	assert_true(origin_is_trusted("https://a.trusted.org"));
	assert_false(origin_is_trusted("javascript://a.trusted.org/%0aalert(1)"));
	struct gh_error err = {0};
	assert_true(origin_check_callback("/dashboard", "INVALID_CALLBACK_URL", &err));
	assert_false(origin_check_callback("//evil.net", "INVALID_CALLBACK_URL", &err));
	assert_false(origin_check_callback("https://app.example.com/\r\nSet-Cookie: x",
					   "INVALID_CALLBACK_URL", &err));
	assert_string_equal(err.code, "INVALID_CALLBACK_URL");
	assert_false(origin_check_callback("https://evil.net/", "INVALID_CALLBACK_URL", &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signed_cookie_matches_better_auth),
	    cmocka_unit_test(cookie_header_parsing),
	    cmocka_unit_test(url_coding),
	    cmocka_unit_test(set_cookie_attributes),
	    cmocka_unit_test(client_ip_through_proxies),
	    cmocka_unit_test(email_and_username_rules),
	    cmocka_unit_test(trusted_origins_and_callbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
