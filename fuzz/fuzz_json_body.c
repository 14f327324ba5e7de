/*
 * fuzz_json_body.c — libFuzzer target for the JSON request-body path:
 * jansson's json_loadb with JSON_REJECT_DUPLICATES (what body_parse does for
 * application/json; body_parse itself needs a live request), the field
 * readers body_string / body_bool of src/api/json.c with the limits the
 * sign-up and sign-in handlers use, and the record writers json_user /
 * json_session on records filled from the same bytes.
 *
 * Input: a request body, ideally JSON.
 *
 * Invariants checked, beyond ASan/UBSan (and LeakSanitizer) cleanliness:
 *   - a parsed body dumps and re-parses to an equal value;
 *   - body_string: success gives NULL (absent or null, not required) or a
 *     string of json_string_length <= max bytes without an inner NUL; failure
 *     sets 400 VALIDATION_ERROR with a NUL-terminated message naming the key;
 *     a required absent key always fails;
 *   - body_bool: success only for absent, null, a boolean or "true"/"false",
 *     with the matching value; anything else is 400 VALIDATION_ERROR;
 *   - json_user / json_session always return an object that dumps; dates of
 *     years 1970..9999 have the 24-character ISO-8601 form.
 */
#include <stdbool.h>

#include <jansson.h>

#include "api/json.h"
#include "fuzz_input.h"

struct field {
	const char *key;
	bool required;
	int max_bytes;
};

/* sign-up (auth_core.c): name, email, password, image, callbackURL, username,
 * displayUsername; sign-in reads email with 256 */
static const struct field fields[] = {
    {"email", true, GH_EMAIL_MAX}, {"email", true, 256},           {"password", true, 4096},
    {"name", true, GH_NAME_MAX},   {"image", false, GH_IMAGE_MAX}, {"callbackURL", false, 2048},
    {"username", false, 64},       {"displayUsername", false, 64}, {"rememberMe", false, 16},
};

static void check_error(const struct gh_error *err, const char *key)
{
	FUZZ_CHECK(err->status == 400 && err->code && strcmp(err->code, "VALIDATION_ERROR") == 0);
	FUZZ_CHECK(memchr(err->message, 0, sizeof err->message) != NULL);
	char want[64];
	snprintf(want, sizeof want, "[body.%s]", key);
	FUZZ_CHECK(strncmp(err->message, want, strlen(want)) == 0);
}

static void check_body_string(json_t *body, const struct field *f)
{
	struct gh_error err;
	memset(&err, 0, sizeof err);
	static const char unset[] = "unset";
	const char *out = unset;
	json_t *v = json_object_get(body, f->key);
	if (body_string(body, f->key, f->required, f->max_bytes, &out, &err)) {
		FUZZ_CHECK(err.status == 0);
		if (!out) {
			FUZZ_CHECK(!f->required && (!v || json_is_null(v)));
		} else {
			FUZZ_CHECK(json_is_string(v) && out == json_string_value(v));
			FUZZ_CHECK(strlen(out) == json_string_length(v));
			FUZZ_CHECK(strlen(out) <= (size_t)f->max_bytes);
		}
	} else {
		check_error(&err, f->key);
		FUZZ_CHECK(out == NULL);
		FUZZ_CHECK(!(json_is_string(v) && json_string_length(v) <= (size_t)f->max_bytes &&
			     strlen(json_string_value(v)) == json_string_length(v)));
	}
}

static void check_body_bool(json_t *body, const char *key, bool dflt)
{
	struct gh_error err;
	memset(&err, 0, sizeof err);
	bool out = !dflt;
	json_t *v = json_object_get(body, key);
	bool ok = body_bool(body, key, dflt, &out, &err);
	if (!v || json_is_null(v)) {
		FUZZ_CHECK(ok && out == dflt);
	} else if (json_is_boolean(v)) {
		FUZZ_CHECK(ok && out == json_is_true(v));
	} else if (json_is_string(v) && strcmp(json_string_value(v), "true") == 0) {
		FUZZ_CHECK(ok && out);
	} else if (json_is_string(v) && strcmp(json_string_value(v), "false") == 0) {
		FUZZ_CHECK(ok && !out);
	} else {
		FUZZ_CHECK(!ok);
		check_error(&err, key);
	}
	if (ok)
		FUZZ_CHECK(err.status == 0);
}

/* Reads record fields off the input, cycling through it. */
struct byte_source {
	const uint8_t *data;
	size_t size, at;
};

static uint8_t next_byte(struct byte_source *b)
{
	if (b->size == 0)
		return 0;
	uint8_t c = b->data[b->at];
	b->at = (b->at + 1) % b->size;
	return c;
}

/* A string of up to cap-1 bytes: up to the next NUL of the input, or the
 * value of body[key] when it is a string. Always NUL-terminated. */
static void fill_string(char *dst, size_t cap, struct byte_source *b, json_t *body, const char *key)
{
	json_t *v = json_object_get(body, key);
	if (json_is_string(v)) {
		snprintf(dst, cap, "%s", json_string_value(v));
		return;
	}
	size_t n = next_byte(b) % cap;
	size_t i = 0;
	for (; i < n; i++) {
		uint8_t c = next_byte(b);
		if (c == 0)
			break;
		dst[i] = (char)c;
	}
	dst[i] = 0;
}

static int64_t fill_int64(struct byte_source *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | next_byte(b);
	return (int64_t)v;
}

static void check_date_field(json_t *o, const char *key, int64_t ms)
{
	json_t *d = json_object_get(o, key);
	if (!d || json_is_null(d))
		return;
	FUZZ_CHECK(json_is_string(d));
	const char *s = json_string_value(d);
	FUZZ_CHECK(strlen(s) < 32);
	/* 0000-01-01 .. 9999-12-31 */
	if (ms >= 0 && ms < 253402300800000LL) {
		FUZZ_CHECK(strlen(s) == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' &&
			   s[23] == 'Z');
	}
}

static void check_dumps(json_t *o)
{
	FUZZ_CHECK(o && json_is_object(o));
	char *text = json_dumps(o, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
}

static void check_records(const uint8_t *data, size_t size, json_t *body)
{
	struct byte_source b = {data, size, 0};
	struct gh_user *u = fuzz_malloc(sizeof *u);
	memset(u, 0, sizeof *u);
	fill_string(u->id, sizeof u->id, &b, body, "id");
	fill_string(u->name, sizeof u->name, &b, body, "name");
	fill_string(u->email, sizeof u->email, &b, body, "email");
	fill_string(u->image, sizeof u->image, &b, body, "image");
	fill_string(u->role, sizeof u->role, &b, body, "role");
	fill_string(u->ban_reason, sizeof u->ban_reason, &b, body, "banReason");
	fill_string(u->username, sizeof u->username, &b, body, "username");
	fill_string(u->display_username, sizeof u->display_username, &b, body, "displayUsername");
	uint8_t flags = next_byte(&b);
	u->email_verified = flags & 1;
	u->has_image = flags & 2;
	u->banned = flags & 4;
	u->has_ban_reason = flags & 8;
	u->has_username = flags & 16;
	u->created_at = flags & 32 ? fill_int64(&b) : 1763790603414LL;
	u->updated_at = fill_int64(&b) & 0x3fffffffffffLL;
	u->ban_expires = flags & 64 ? fill_int64(&b) : 0;

	json_t *ju = json_user(u);
	check_dumps(ju);
	FUZZ_CHECK(json_object_size(ju) <= 13);
	check_date_field(ju, "createdAt", u->created_at);
	check_date_field(ju, "updatedAt", u->updated_at);
	check_date_field(ju, "banExpires", u->ban_expires);
	json_decref(ju);
	free(u);

	struct gh_session *s = fuzz_malloc(sizeof *s);
	memset(s, 0, sizeof *s);
	fill_string(s->id, sizeof s->id, &b, body, "sessionId");
	fill_string(s->user_id, sizeof s->user_id, &b, body, "userId");
	fill_string(s->ip, sizeof s->ip, &b, body, "ipAddress");
	fill_string(s->user_agent, sizeof s->user_agent, &b, body, "userAgent");
	for (size_t i = 0; i < sizeof s->token_hash; i++)
		s->token_hash[i] = next_byte(&b);
	s->expires_at = fill_int64(&b);
	s->created_at = fill_int64(&b) & 0x3fffffffffffLL;
	s->updated_at = 0;
	s->remember_me = next_byte(&b) & 1;
	char token[64];
	fill_string(token, sizeof token, &b, body, "token");

	json_t *js = json_session(s, token);
	check_dumps(js);
	FUZZ_CHECK(json_object_size(js) <= 8);
	check_date_field(js, "expiresAt", s->expires_at);
	check_date_field(js, "createdAt", s->created_at);
	check_date_field(js, "updatedAt", s->updated_at);
	json_decref(js);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		FUZZ_CHECK(memchr(jerr.text, 0, sizeof jerr.text) != NULL);
		check_records(data, size, NULL);
		return 0;
	}

	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	FUZZ_CHECK(text != NULL);
	json_t *again = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	FUZZ_CHECK(again && json_equal(body, again));
	json_decref(again);
	free(text);

	if (json_is_object(body)) {
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
			check_body_string(body, &fields[i]);
		check_body_bool(body, "rememberMe", true);
		check_body_bool(body, "revokeOtherSessions", false);
		check_records(data, size, body);
	} else {
		check_records(data, size, NULL);
	}

	json_decref(body);
	return 0;
}
