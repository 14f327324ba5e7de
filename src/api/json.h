/*
 * api/json — request bodies in, records out, in Better-Auth's wire shapes
 * (REFERENCE-better-auth §1–2):
 *   - a body is application/json (or, where allowed, form-urlencoded);
 *     another content type with a body → 415 UNSUPPORTED_MEDIA_TYPE, bad JSON
 *     → 400 BAD_REQUEST "Invalid JSON in request body", a non-object → 400
 *     BODY_MUST_BE_AN_OBJECT, an empty body is {};
 *   - field errors → 400 VALIDATION_ERROR "[body.<key>] <problem>";
 *   - users and sessions as JSON with ISO-8601 dates; secrets never.
 * Threads: any.
 */
#ifndef GH_API_JSON_H
#define GH_API_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "core/error.h"
#include "store/store.h"

struct gh_request;

/* Returns a new reference to a JSON object, or NULL with err set. */
json_t *body_parse(struct gh_request *req, bool allow_form, struct gh_error *err);

/* A string field: absent and required → VALIDATION_ERROR; wrong type →
 * VALIDATION_ERROR; longer than max_bytes → VALIDATION_ERROR. *out is NULL
 * when absent (or JSON null) and not required. */
bool body_string(json_t *body, const char *key, bool required, int max_bytes, const char **out,
		 struct gh_error *err);
/* A boolean field (form bodies: "true"/"false"); absent → dflt. */
bool body_bool(json_t *body, const char *key, bool dflt, bool *out, struct gh_error *err);

json_t *json_user(const struct gh_user *u);
/* token: what to show as the session's "token" (the caller's own raw token,
 * or the non-bearer handle for other sessions). */
json_t *json_session(const struct gh_session *s, const char *token);
json_t *json_iso_date(int64_t ms);

#endif
