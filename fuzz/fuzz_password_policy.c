/*
 * fuzz_password_policy.c — libFuzzer target for the password policy of
 * src/auth/password.c: UTF-8 checking, NFKC normalisation (libunistring),
 * length in code points and the blocklist lookup, through
 * password_check_policy and password_is_common. password_hash and
 * password_verify are far too slow to fuzz and are not called.
 *
 * Setup, once: password_init({min 8, max 128, 8192 KiB, t=1, 1 at a time}).
 * Input: the password bytes, as sent (they may hold NUL or invalid UTF-8).
 *
 * Invariants checked, beyond ASan/UBSan (and LeakSanitizer) cleanliness:
 *   - the verdict is one of the enum's values and is deterministic;
 *   - bytes that are not valid UTF-8, or that hold a NUL, are INVALID, and
 *     never common;
 *   - a common password is never OK (COMMON, or out of the length bounds);
 *     COMMON implies password_is_common;
 *   - for ASCII input (NFKC-invariant) the verdict is exactly: TOO_SHORT
 *     below 8 bytes, TOO_LONG above 128, else COMMON or OK by the blocklist,
 *     and the blocklist answer ignores ASCII case.
 */
#include <stdbool.h>

#include <unistr.h>

#include "auth/password.h"
#include "fuzz_input.h"

#define MIN_LEN 8
#define MAX_LEN 128

static bool is_ascii(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialised;
	if (!initialised) {
		const struct gh_password_params params = {
		    .min_length = MIN_LEN,
		    .max_length = MAX_LEN,
		    .memory_kib = 8192,
		    .iterations = 1,
		    .max_concurrent = 1,
		};
		FUZZ_CHECK(password_init(&params) == 0);
		initialised = true;
	}

	/* an exactly-sized copy (no NUL added: the API takes a length) */
	char *pw = fuzz_malloc(size);
	if (size)
		memcpy(pw, data, size);

	enum gh_password_policy verdict = password_check_policy(pw, size);
	int common = password_is_common(pw, size);
	FUZZ_CHECK(verdict >= GH_PASSWORD_OK && verdict <= GH_PASSWORD_INVALID);
	FUZZ_CHECK(common == 0 || common == 1);
	FUZZ_CHECK(password_check_policy(pw, size) == verdict);

	bool valid = size == 0 ||
		     (memchr(pw, 0, size) == NULL && u8_check((const uint8_t *)pw, size) == NULL);
	if (!valid) {
		FUZZ_CHECK(verdict == GH_PASSWORD_INVALID);
		FUZZ_CHECK(!common);
	} else {
		FUZZ_CHECK(verdict != GH_PASSWORD_INVALID);
	}
	if (common)
		FUZZ_CHECK(verdict != GH_PASSWORD_OK);
	if (verdict == GH_PASSWORD_COMMON)
		FUZZ_CHECK(common);

	if (valid && is_ascii(data, size)) {
		enum gh_password_policy want = size < MIN_LEN   ? GH_PASSWORD_TOO_SHORT
					       : size > MAX_LEN ? GH_PASSWORD_TOO_LONG
					       : common         ? GH_PASSWORD_COMMON
								: GH_PASSWORD_OK;
		FUZZ_CHECK(verdict == want);
		for (size_t i = 0; i < size; i++) {
			char c = pw[i];
			pw[i] = c >= 'a' && c <= 'z'   ? (char)(c - 32)
				: c >= 'A' && c <= 'Z' ? (char)(c + 32)
						       : c;
		}
		FUZZ_CHECK(password_is_common(pw, size) == common);
	}

	free(pw);
	return 0;
}
