/*
 * Unit tests for src/auth/password.c: the NIST SP 800-63B-4 policy (lengths
 * in code points after NFKC, blocklist, invalid UTF-8), argon2id hashing and
 * verification, rehash signals, Better-Auth scrypt import, and the hashing
 * gate under concurrent use and reloads.
 *
 * argon2id runs with small parameters (8 MiB, t=1) except where a test is
 * about the parameters themselves. The Better-Auth vectors were produced
 * independently with Node's crypto.scryptSync (see BETTER_AUTH_* below).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth/password.h"

static const struct gh_password_params small_params = {
    .min_length = 8,
    .max_length = 128,
    .memory_kib = 8192,
    .iterations = 1,
    .max_concurrent = 2,
};

static const struct gh_password_params default_params = {
    .min_length = 8,
    .max_length = 128,
    .memory_kib = 19456,
    .iterations = 2,
    .max_concurrent = 2,
};

#define STR(s) (s), strlen(s)

/*
 * Better-Auth's format, generated with Node 20:
 *   salt + ":" + crypto.scryptSync(pw.normalize("NFKC"), salt, 64,
 *       {N: 16384, r: 16, p: 1, maxmem: 128 * 16384 * 16 * 2}).toString("hex")
 */
static const char BETTER_AUTH_PLAIN_PW[] = "better-auth imported pw";
static const char BETTER_AUTH_PLAIN_HASH[] =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f0:"
    "63ed03e690f7e3b366a573b3ea9ee1e02e5fc20ecb3730690a520b63cd31ca7e"
    "1c0865727d06a151131c68eaf01ca785838cc5f01ef29535120710242e897e95";
/* "\uFB01ne Ｐａｓｓ ①": ligature fi, fullwidth letters, circled one; NFKC is
 * "fine Pass 1". */
static const char BETTER_AUTH_NFKC_PW[] = "\xef\xac\x81"
					  "ne "
					  "\xef\xbc\xb0\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93"
					  " "
					  "\xe2\x91\xa0";
static const char BETTER_AUTH_NFKC_HASH[] =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90:"
    "068afa39739539a524305f06d30eeae6a1cfa6f2a7de31c28d22fff4f681f7c6"
    "bdd6956d6a0afe99de0ea399f72d9b6c3ddabdf2246c74029cf8986a97107f40";

/* U+1F600, four bytes of UTF-8 */
#define EMOJI "\xf0\x9f\x98\x80"

static int init_small(void **unused)
{
	(void)unused;
	return password_init(&small_params);
}

static void repeat_into(char *buf, const char *unit, int times)
{
	buf[0] = '\0';
	for (int i = 0; i < times; i++)
		strcat(buf, unit);
}

/* ---- policy ---------------------------------------------------------- */

static void test_policy_lengths_at_defaults(void **unused)
{
	(void)unused;
	char pw[200];
	/* "gh" + digits keeps these off the blocklist */
	memset(pw, 'x', sizeof pw);
	memcpy(pw, "gh", 2);
	assert_int_equal(password_check_policy(pw, 7), GH_PASSWORD_TOO_SHORT);
	assert_int_equal(password_check_policy(pw, 8), GH_PASSWORD_OK);
	assert_int_equal(password_check_policy(pw, 128), GH_PASSWORD_OK);
	assert_int_equal(password_check_policy(pw, 129), GH_PASSWORD_TOO_LONG);
	assert_int_equal(password_check_policy(NULL, 0), GH_PASSWORD_TOO_SHORT);
}

static void test_policy_counts_code_points_not_bytes(void **unused)
{
	(void)unused;
	char pw[4 * 130 + 1];

	/* 4 emoji are 16 bytes but 4 code points */
	repeat_into(pw, EMOJI, 4);
	assert_int_equal(strlen(pw), 16);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_TOO_SHORT);
	repeat_into(pw, EMOJI, 7);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_TOO_SHORT);
	repeat_into(pw, EMOJI, 8);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_OK);
	repeat_into(pw, EMOJI, 128);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_OK);
	repeat_into(pw, EMOJI, 129);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_TOO_LONG);

	/* with a minimum of 4, the 4-emoji password is long enough */
	struct gh_password_params four = small_params;
	four.min_length = 4;
	assert_int_equal(password_init(&four), 0);
	repeat_into(pw, EMOJI, 4);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_OK);
	repeat_into(pw, EMOJI, 3);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_TOO_SHORT);
	assert_int_equal(password_init(&small_params), 0);
}

static void test_policy_counts_after_nfkc(void **unused)
{
	(void)unused;
	char pw[64];
	/* U+FB03 (ffi ligature) is one code point that NFKC turns into three:
	 * three of them are 9 code points, enough for a minimum of 8 */
	repeat_into(pw, "\xef\xac\x83", 3);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_OK);
	repeat_into(pw, "\xef\xac\x83", 2);
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_TOO_SHORT);

	/* "e" + U+0301 composes into one code point: 8 typed, 7 counted */
	strcpy(pw, "ghxxxx"
		   "e\xcc\x81");
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_TOO_SHORT);
	strcpy(pw, "ghxxxxx"
		   "e\xcc\x81");
	assert_int_equal(password_check_policy(STR(pw)), GH_PASSWORD_OK);
}

static void test_policy_rejects_invalid_utf8(void **unused)
{
	(void)unused;
	static const char *const invalid[] = {
	    "ghxxxxxx\xff",             /* never valid in UTF-8 */
	    "ghxxxxxx\xc0\xaf",         /* overlong "/" */
	    "ghxxxxxx\xed\xa0\x80",     /* UTF-16 surrogate */
	    "ghxxxxxx\xe2\x82",         /* truncated sequence */
	    "ghxxxxxx\xf4\x90\x80\x80", /* above U+10FFFF */
	};
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		assert_int_equal(password_check_policy(STR(invalid[i])), GH_PASSWORD_INVALID);

	/* an embedded NUL */
	assert_int_equal(password_check_policy("ghxx\0xxxxx", 10), GH_PASSWORD_INVALID);

	/* invalid input far beyond the length limit is still reported invalid */
	char big[4096];
	memset(big, 'x', sizeof big);
	big[100] = '\xff';
	assert_int_equal(password_check_policy(big, sizeof big), GH_PASSWORD_INVALID);
	big[100] = 'x';
	assert_int_equal(password_check_policy(big, sizeof big), GH_PASSWORD_TOO_LONG);

	char out[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR(invalid[0]), out), -1);
	assert_int_equal(password_hash("ghxx\0xxxxx", 10, out), -1);
}

/* ---- blocklist ------------------------------------------------------- */

static void test_blocklist_hits_and_misses(void **unused)
{
	(void)unused;
	assert_true(password_is_common(STR("password")));
	assert_true(password_is_common(STR("123456")));
	assert_true(password_is_common(STR("Password")));
	assert_true(password_is_common(STR("PASSWORD")));
	assert_true(password_is_common(STR("trustno1")));
	/* fullwidth "ｐａｓｓｗｏｒｄ１２３" is "password123" after NFKC */
	assert_true(password_is_common(
	    STR("\xef\xbd\x90\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93\xef\xbd\x97"
		"\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x84\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93")));

	assert_false(password_is_common(STR("gatehouse-unit-test-7f3k")));
	assert_false(password_is_common(STR("sunshi")));     /* prefix of "sunshine" */
	assert_false(password_is_common(STR("password!x"))); /* longer */
	assert_false(password_is_common(STR("")));

	assert_int_equal(password_check_policy(STR("password")), GH_PASSWORD_COMMON);
	assert_int_equal(password_check_policy(STR("Password1")), GH_PASSWORD_COMMON);
	/* too short is reported before common */
	assert_int_equal(password_check_policy(STR("123456")), GH_PASSWORD_TOO_SHORT);
	assert_int_equal(password_check_policy(STR("gatehouse-unit-test-7f3k")), GH_PASSWORD_OK);
}

/* ---- hash and verify ------------------------------------------------- */

static void test_hash_verify_roundtrip(void **unused)
{
	(void)unused;
	char hash[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("correct horse battery staple"), hash), 0);
	assert_true(strncmp(hash, "$argon2id$v=19$m=8192,t=1,p=1$", 30) == 0);
	assert_true(strlen(hash) < GH_PASSWORD_HASH_MAX);
	assert_int_equal(password_verify(hash, STR("correct horse battery staple")), GH_VERIFY_OK);

	/* salted: the same password hashes differently twice */
	char again[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("correct horse battery staple"), again), 0);
	assert_string_not_equal(hash, again);
}

static void test_wrong_password_mismatches(void **unused)
{
	(void)unused;
	char hash[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("correct horse battery staple"), hash), 0);
	assert_int_equal(password_verify(hash, STR("correct horse battery stapler")),
			 GH_VERIFY_MISMATCH);
	/* no case folding (ASVS 6.2.8) */
	assert_int_equal(password_verify(hash, STR("Correct horse battery staple")),
			 GH_VERIFY_MISMATCH);
	assert_int_equal(password_verify(hash, STR("")), GH_VERIFY_MISMATCH);
	/* invalid UTF-8 can never match */
	assert_int_equal(password_verify(hash, STR("correct horse\xff")), GH_VERIFY_MISMATCH);
}

static void test_no_truncation(void **unused)
{
	(void)unused;
	char pw[129];
	memset(pw, 'k', 128);
	pw[128] = '\0';
	char hash[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(pw, 128, hash), 0);
	assert_int_equal(password_verify(hash, pw, 128), GH_VERIFY_OK);
	pw[127] = 'j'; /* only the last character differs */
	assert_int_equal(password_verify(hash, pw, 128), GH_VERIFY_MISMATCH);
}

static void test_nfkc_forms_verify_alike(void **unused)
{
	(void)unused;
	static const char fullwidth[] = /* "ｐａｓｓｗｏｒｄ１２３" */
	    "\xef\xbd\x90\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93\xef\xbd\x97"
	    "\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x84\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93";
	char hash[GH_PASSWORD_HASH_MAX];

	assert_int_equal(password_hash(STR("password123"), hash), 0);
	assert_int_equal(password_verify(hash, STR(fullwidth)), GH_VERIFY_OK);

	assert_int_equal(password_hash(STR(fullwidth), hash), 0);
	assert_int_equal(password_verify(hash, STR("password123")), GH_VERIFY_OK);
	assert_int_equal(password_verify(hash, STR("password124")), GH_VERIFY_MISMATCH);

	/* precomposed U+00E9 and "e" + U+0301 are the same password */
	assert_int_equal(password_hash(STR("caf\xc3\xa9-gatehouse"), hash), 0);
	assert_int_equal(password_verify(hash, STR("cafe\xcc\x81-gatehouse")), GH_VERIFY_OK);
}

static void test_better_auth_scrypt_verifies_and_asks_rehash(void **unused)
{
	(void)unused;
	assert_int_equal(password_verify(BETTER_AUTH_PLAIN_HASH, STR(BETTER_AUTH_PLAIN_PW)),
			 GH_VERIFY_OK_REHASH);
	assert_int_equal(password_verify(BETTER_AUTH_PLAIN_HASH, STR("better-auth imported pW")),
			 GH_VERIFY_MISMATCH);

	/* Better-Auth normalised too: the typed and the NFKC form both match */
	assert_int_equal(password_verify(BETTER_AUTH_NFKC_HASH, STR(BETTER_AUTH_NFKC_PW)),
			 GH_VERIFY_OK_REHASH);
	assert_int_equal(password_verify(BETTER_AUTH_NFKC_HASH, STR("fine Pass 1")),
			 GH_VERIFY_OK_REHASH);
	assert_int_equal(password_verify(BETTER_AUTH_NFKC_HASH, STR("fine Pass 2")),
			 GH_VERIFY_MISMATCH);

	/* the salt is the hex string's bytes: decoding it would not match */
	char tampered[sizeof BETTER_AUTH_PLAIN_HASH];
	memcpy(tampered, BETTER_AUTH_PLAIN_HASH, sizeof tampered);
	tampered[1] = 'F'; /* "0F1e..." decodes to the same bytes as "0f1e..." */
	assert_int_equal(password_verify(tampered, STR(BETTER_AUTH_PLAIN_PW)), GH_VERIFY_MISMATCH);
}

static void test_weaker_argon2_params_ask_rehash(void **unused)
{
	(void)unused;
	char weak[GH_PASSWORD_HASH_MAX];
	/* made directly with libsodium at the minimum cost */
	assert_int_equal(crypto_pwhash_str_alg(weak, "rehash me please", 16, 1, 8192,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_int_equal(password_verify(weak, STR("rehash me please")), GH_VERIFY_OK_REHASH);
	assert_int_equal(password_verify(weak, STR("rehash me Please")), GH_VERIFY_MISMATCH);

	/* a hash made at today's cost stops being current once the cost rises */
	char current[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("rehash me please"), current), 0);
	assert_int_equal(password_verify(current, STR("rehash me please")), GH_VERIFY_OK);
	struct gh_password_params stronger = small_params;
	stronger.iterations = 2;
	assert_int_equal(password_init(&stronger), 0);
	assert_int_equal(password_verify(current, STR("rehash me please")), GH_VERIFY_OK_REHASH);
	char rehashed[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("rehash me please"), rehashed), 0);
	assert_int_equal(password_verify(rehashed, STR("rehash me please")), GH_VERIFY_OK);
	assert_int_equal(password_init(&small_params), 0);
}

static void test_malformed_hash_is_error(void **unused)
{
	(void)unused;
	char good[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("some password here"), good), 0);
	char truncated[GH_PASSWORD_HASH_MAX];
	strcpy(truncated, good);
	truncated[strlen(truncated) - 10] = '\0';
	char bad_base64[GH_PASSWORD_HASH_MAX];
	strcpy(bad_base64, good);
	bad_base64[strlen(bad_base64) - 3] = '*';

	const char *const malformed[] = {
	    "",
	    "plaintext",
	    "$argon2id$",
	    "$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA", /* salt, hash too short */
	    "$argon2id$v=19$m=abc,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
	    truncated,
	    bad_base64,
	    /* argon2i (not argon2id) and bcrypt are not formats we verify */
	    "$argon2i$v=19$m=8192,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
	    "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
	    /* scrypt shape with a short key, a non-hex salt, a missing colon */
	    "0f1e2d3c4b5a69788796a5b4c3d2e1f0:63ed03e690f7e3b366a573b3ea9ee1e0",
	    "zz1e2d3c4b5a69788796a5b4c3d2e1f0:"
	    "63ed03e690f7e3b366a573b3ea9ee1e02e5fc20ecb3730690a520b63cd31ca7e"
	    "1c0865727d06a151131c68eaf01ca785838cc5f01ef29535120710242e897e95",
	    "0f1e2d3c4b5a69788796a5b4c3d2e1f0-"
	    "63ed03e690f7e3b366a573b3ea9ee1e02e5fc20ecb3730690a520b63cd31ca7e"
	    "1c0865727d06a151131c68eaf01ca785838cc5f01ef29535120710242e897e95",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		enum gh_password_verdict v =
		    password_verify(malformed[i], STR("some password here"));
		if (v != GH_VERIFY_ERROR)
			fail_msg("stored hash #%zu (\"%s\") gave %d, not GH_VERIFY_ERROR", i,
				 malformed[i], (int)v);
	}
	assert_int_equal(password_verify(NULL, STR("some password here")), GH_VERIFY_ERROR);
	/* the untouched hash still verifies, so the cases above fail for their shape */
	assert_int_equal(password_verify(good, STR("some password here")), GH_VERIFY_OK);
}

/* ---- init, dummy, concurrency ---------------------------------------- */

static void test_init_rejects_bad_params_and_keeps_old(void **unused)
{
	(void)unused;
	struct gh_password_params p;
	p = small_params;
	p.min_length = 0;
	assert_int_equal(password_init(&p), -1);
	p = small_params;
	p.max_length = 7;
	assert_int_equal(password_init(&p), -1);
	p = small_params;
	p.memory_kib = 7;
	assert_int_equal(password_init(&p), -1);
	p = small_params;
	p.iterations = 0;
	assert_int_equal(password_init(&p), -1);
	p = small_params;
	p.max_concurrent = 0;
	assert_int_equal(password_init(&p), -1);
	assert_int_equal(password_init(NULL), -1);

	/* the parameters in force are unchanged */
	char hash[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("still small params"), hash), 0);
	assert_true(strncmp(hash, "$argon2id$v=19$m=8192,t=1,p=1$", 30) == 0);
	assert_int_equal(password_check_policy("ghxxxxx", 7), GH_PASSWORD_TOO_SHORT);
}

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void test_burn_dummy_costs_like_verify(void **unused)
{
	(void)unused;
	/* real parameters, so the work dwarfs scheduling noise */
	assert_int_equal(password_init(&default_params), 0);
	char hash[GH_PASSWORD_HASH_MAX];
	assert_int_equal(password_hash(STR("a real user's password"), hash), 0);

	enum { RUNS = 5 };
	double verify_s[RUNS], dummy_s[RUNS];
	for (int i = 0; i < RUNS; i++) {
		double t0 = seconds_now();
		assert_int_equal(password_verify(hash, STR("a guessed password")),
				 GH_VERIFY_MISMATCH);
		double t1 = seconds_now();
		password_burn_dummy(STR("a guessed password"));
		double t2 = seconds_now();
		verify_s[i] = t1 - t0;
		dummy_s[i] = t2 - t1;
	}
	qsort(verify_s, RUNS, sizeof verify_s[0], compare_doubles);
	qsort(dummy_s, RUNS, sizeof dummy_s[0], compare_doubles);
	double ratio = dummy_s[RUNS / 2] / verify_s[RUNS / 2];
	print_message("median verify %.1f ms, burn_dummy %.1f ms\n", verify_s[RUNS / 2] * 1e3,
		      dummy_s[RUNS / 2] * 1e3);
	/* a dummy that skipped the hash would take microseconds, not ~the same */
	assert_true(ratio > 0.33 && ratio < 3.0);
	assert_int_equal(password_init(&small_params), 0);
}

struct hasher_args {
	int id;
	int failures;
};

static void *hash_and_verify_loop(void *arg)
{
	struct hasher_args *a = arg;
	char pw[64], hash[GH_PASSWORD_HASH_MAX];
	snprintf(pw, sizeof pw, "concurrent password #%d", a->id);
	for (int i = 0; i < 4; i++) {
		if (password_hash(STR(pw), hash) != 0)
			a->failures++;
		enum gh_password_verdict v = password_verify(hash, STR(pw));
		/* a reload in between may make the hash outdated, never wrong */
		if (v != GH_VERIFY_OK && v != GH_VERIFY_OK_REHASH)
			a->failures++;
		if (password_verify(hash, STR("not it")) != GH_VERIFY_MISMATCH)
			a->failures++;
	}
	return NULL;
}

static void test_concurrent_hashing_survives_reloads(void **unused)
{
	(void)unused;
	enum { THREADS = 6 };
	pthread_t threads[THREADS];
	struct hasher_args args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i] = (struct hasher_args){.id = i};
		assert_int_equal(pthread_create(&threads[i], NULL, hash_and_verify_loop, &args[i]),
				 0);
	}
	/* reload while they run: narrower gate, different cost, then back */
	struct gh_password_params p = small_params;
	for (int r = 0; r < 4; r++) {
		p.max_concurrent = 1 + r % 3;
		p.iterations = 1 + r % 2;
		assert_int_equal(password_init(&p), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	assert_int_equal(password_init(&small_params), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_lengths_at_defaults),
	    cmocka_unit_test(test_policy_counts_code_points_not_bytes),
	    cmocka_unit_test(test_policy_counts_after_nfkc),
	    cmocka_unit_test(test_policy_rejects_invalid_utf8),
	    cmocka_unit_test(test_blocklist_hits_and_misses),
	    cmocka_unit_test(test_hash_verify_roundtrip),
	    cmocka_unit_test(test_wrong_password_mismatches),
	    cmocka_unit_test(test_no_truncation),
	    cmocka_unit_test(test_nfkc_forms_verify_alike),
	    cmocka_unit_test(test_better_auth_scrypt_verifies_and_asks_rehash),
	    cmocka_unit_test(test_weaker_argon2_params_ask_rehash),
	    cmocka_unit_test(test_malformed_hash_is_error),
	    cmocka_unit_test(test_init_rejects_bad_params_and_keeps_old),
	    cmocka_unit_test(test_burn_dummy_costs_like_verify),
	    cmocka_unit_test(test_concurrent_hashing_survives_reloads),
	};
	return cmocka_run_group_tests(tests, init_small, NULL);
}
