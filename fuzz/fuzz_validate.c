/*
 * fuzz_validate.c — libFuzzer target for src/auth/validate.c: the email,
 * username and free-text field rules and ASCII lower-casing.
 *
 * Input: one control byte (username status, text-field limit and
 * allow_empty), then the string under test (cut at the first NUL).
 *
 * Invariants checked, beyond ASan/UBSan cleanliness:
 *   - lowercase_ascii keeps the length, leaves no 'A'..'Z', changes no other
 *     byte and is idempotent;
 *   - validate_email: an accepted address has 1..254 bytes, exactly one '@'
 *     with something on both sides, no "..", no control, space or non-ASCII
 *     byte; the verdict does not depend on ASCII case;
 *   - validate_username: true iff 3..30 bytes of [A-Za-z0-9_.]; false sets
 *     the status passed in and one of USERNAME_TOO_SHORT, USERNAME_TOO_LONG,
 *     INVALID_USERNAME; true leaves err untouched;
 *   - validate_text_field agrees with the rule in validate.h (length bound,
 *     optional emptiness, no C0 control or DEL).
 */
#include <stdbool.h>

#include "auth/validate.h"
#include "fuzz_input.h"
#include "store/store.h"

static void check_lowercase(const char *s)
{
	char *l = fuzz_strdup(s);
	size_t len = strlen(s);
	lowercase_ascii(l);
	FUZZ_CHECK(strlen(l) == len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned char want = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
		FUZZ_CHECK((unsigned char)l[i] == want);
	}
	char *again = fuzz_strdup(l);
	lowercase_ascii(again);
	FUZZ_CHECK(strcmp(again, l) == 0);
	free(again);
	free(l);
}

static void check_email(const char *s)
{
	bool ok = validate_email(s);
	char *l = fuzz_strdup(s);
	lowercase_ascii(l);
	FUZZ_CHECK(validate_email(l) == ok);
	free(l);
	if (!ok)
		return;
	size_t len = strlen(s);
	FUZZ_CHECK(len >= 1 && len <= GH_EMAIL_MAX);
	const char *at = strchr(s, '@');
	FUZZ_CHECK(at && at > s && at[1] && !strchr(at + 1, '@'));
	FUZZ_CHECK(strstr(s, "..") == NULL);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
}

static void check_username(const char *s, int status)
{
	struct gh_error err;
	memset(&err, 0, sizeof err);
	bool ok = validate_username(s, status, &err);
	size_t len = strlen(s);
	bool want = len >= 3 && len <= GH_USERNAME_MAX;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
			want = false;
	FUZZ_CHECK(ok == want);
	if (ok) {
		FUZZ_CHECK(err.status == 0);
		return;
	}
	FUZZ_CHECK(err.status == status && err.code);
	FUZZ_CHECK(strcmp(err.code, "USERNAME_TOO_SHORT") == 0 ||
		   strcmp(err.code, "USERNAME_TOO_LONG") == 0 ||
		   strcmp(err.code, "INVALID_USERNAME") == 0);
	FUZZ_CHECK(memchr(err.message, 0, sizeof err.message) != NULL);
}

static void check_text_field(const char *s, int max_bytes, bool allow_empty)
{
	size_t len = strlen(s);
	bool want = (allow_empty || len > 0) && len <= (size_t)max_bytes;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			want = false;
	FUZZ_CHECK(validate_text_field(s, max_bytes, allow_empty) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int limits[] = {0, 1, GH_USERNAME_MAX, GH_NAME_MAX, GH_IMAGE_MAX, 64};
	uint8_t ctl = fuzz_take_u8(&data, &size);
	char *s = fuzz_strndup(data, size);

	check_lowercase(s);
	check_email(s);
	check_username(s, ctl & 1 ? 422 : 400);
	check_text_field(s, limits[(ctl >> 1) % 6], ctl & 0x80);
	/* the handlers' order: lower-case, then validate */
	lowercase_ascii(s);
	check_email(s);
	check_username(s, 400);

	free(s);
	return 0;
}
