/* api/json — see json.h. */
#include "api/json.h"

#include "core/clock.h"
#include "http/cookie.h"
#include "http/server.h"

#include <string.h>
#include <strings.h>

static bool content_type_is(const char *ct, const char *type)
{
	size_t n = strlen(type);
	return strncasecmp(ct, type, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* Decodes one form component (+ is space, %XX escapes) in place. */
static bool form_decode(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '+')
			*p = ' ';
	return cookie_url_decode(s);
}

static json_t *parse_form(struct gh_request *req, struct gh_error *err)
{
	json_t *obj = json_object();
	char *copy = req_strdup(req, req->body);
	char *save = NULL;
	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		char *val = eq ? eq + 1 : pair + strlen(pair);
		if (eq)
			*eq = 0;
		json_t *js;
		if (!form_decode(pair) || !form_decode(val) || !(js = json_string(val))) {
			json_decref(obj);
			error_set(err, 400, "BAD_REQUEST", "Invalid form body");
			return NULL;
		}
		json_object_set_new(obj, pair, js);
	}
	return obj;
}

json_t *body_parse(struct gh_request *req, bool allow_form, struct gh_error *err)
{
	const char *allowed =
	    allow_form ? "application/json, application/x-www-form-urlencoded" : "application/json";
	if (req->body_len == 0)
		return json_object();
	const char *ct = req_header(req, "Content-Type");
	if (!ct || !*ct) {
		error_set(err, 415, "UNSUPPORTED_MEDIA_TYPE",
			  "Content-Type is required. Allowed types: %s", allowed);
		return NULL;
	}
	if (allow_form && content_type_is(ct, "application/x-www-form-urlencoded"))
		return parse_form(req, err);
	if (!content_type_is(ct, "application/json")) {
		char shown[64];
		size_t n = strcspn(ct, ";");
		snprintf(shown, sizeof shown, "%.*s", (int)(n < 60 ? n : 60), ct);
		for (char *p = shown; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == '"')
				*p = '?';
		error_set(err, 415, "UNSUPPORTED_MEDIA_TYPE",
			  "Content-Type \"%s\" is not allowed. Allowed types: %s", shown, allowed);
		return NULL;
	}
	json_error_t jerr;
	json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		error_set(err, 400, "BAD_REQUEST", "Invalid JSON in request body");
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		error_set(err, 400, "BODY_MUST_BE_AN_OBJECT", "Body must be an object");
		return NULL;
	}
	return body;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

bool body_string(json_t *body, const char *key, bool required, int max_bytes, const char **out,
		 struct gh_error *err)
{
	json_t *v = json_object_get(body, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return error_set(
			    err, 400, "VALIDATION_ERROR",
			    "[body.%s] Invalid input: expected string, received undefined", key);
		return true;
	}
	if (!json_is_string(v))
		return error_set(err, 400, "VALIDATION_ERROR",
				 "[body.%s] Invalid input: expected string, received %s", key,
				 type_name(v));
	if (json_string_length(v) > (size_t)max_bytes)
		return error_set(err, 400, "VALIDATION_ERROR",
				 "[body.%s] Too big: expected string to have <=%d characters", key,
				 max_bytes);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return error_set(err, 400, "VALIDATION_ERROR", "[body.%s] Invalid input: NUL byte",
				 key);
	*out = json_string_value(v);
	return true;
}

bool body_bool(json_t *body, const char *key, bool dflt, bool *out, struct gh_error *err)
{
	json_t *v = json_object_get(body, key);
	*out = dflt;
	if (!v || json_is_null(v))
		return true;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	}
	if (json_is_string(v) && strcmp(json_string_value(v), "true") == 0) {
		*out = true;
		return true;
	}
	if (json_is_string(v) && strcmp(json_string_value(v), "false") == 0) {
		*out = false;
		return true;
	}
	return error_set(err, 400, "VALIDATION_ERROR",
			 "[body.%s] Invalid input: expected boolean, received %s", key,
			 type_name(v));
}

json_t *json_iso_date(int64_t ms)
{
	char buf[32];
	return json_string(clock_format_iso(ms, buf));
}

static json_t *opt_string(bool present, const char *s)
{
	return present ? json_string(s) : json_null();
}

json_t *json_user(const struct gh_user *u)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(u->id));
	json_object_set_new(o, "name", json_string(u->name));
	json_object_set_new(o, "email", json_string(u->email));
	json_object_set_new(o, "emailVerified", json_boolean(u->email_verified));
	json_object_set_new(o, "image", opt_string(u->has_image, u->image));
	json_object_set_new(o, "createdAt", json_iso_date(u->created_at));
	json_object_set_new(o, "updatedAt", json_iso_date(u->updated_at));
	json_object_set_new(o, "role", json_string(u->role));
	json_object_set_new(o, "banned", json_boolean(u->banned));
	json_object_set_new(o, "banReason", opt_string(u->has_ban_reason, u->ban_reason));
	json_object_set_new(o, "banExpires",
			    u->ban_expires ? json_iso_date(u->ban_expires) : json_null());
	json_object_set_new(o, "username", opt_string(u->has_username, u->username));
	json_object_set_new(o, "displayUsername", opt_string(u->has_username, u->display_username));
	return o;
}

json_t *json_session(const struct gh_session *s, const char *token)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "token", json_string(token));
	json_object_set_new(o, "userId", json_string(s->user_id));
	json_object_set_new(o, "expiresAt", json_iso_date(s->expires_at));
	json_object_set_new(o, "createdAt", json_iso_date(s->created_at));
	json_object_set_new(o, "updatedAt", json_iso_date(s->updated_at));
	json_object_set_new(o, "ipAddress", s->ip[0] ? json_string(s->ip) : json_null());
	json_object_set_new(o, "userAgent",
			    s->user_agent[0] ? json_string(s->user_agent) : json_null());
	return o;
}
