/*
 * api/common — small pieces every handler file shares: the standard
 * Unauthorized answer, the session requirement, field guards, and the
 * password checks with their Better-Auth error codes.
 * Threads: any (the password functions: workers only, see password.h).
 */
#ifndef GH_API_COMMON_H
#define GH_API_COMMON_H

#include <stdbool.h>

#include <jansson.h>

#include "auth/session.h"
#include "core/error.h"

struct gh_request;

/* 401 {"message":"Unauthorized","code":"UNAUTHORIZED"} */
bool fail_unauthorized(struct gh_error *err);
/* Resolves the caller's session or sets err (401, or 500 on store failure). */
bool require_session(struct gh_request *req, struct gh_auth *auth, bool bypass_cache,
		     struct gh_error *err);
/* 400 FIELD_NOT_ALLOWED if body sets a field clients may not set. */
bool reject_protected_fields(json_t *body, struct gh_error *err);
/* Policy check with Better-Auth's codes (PASSWORD_TOO_SHORT/LONG,
 * PASSWORD_COMPROMISED). */
bool check_new_password(const char *pw, struct gh_error *err);
/* Hash for storage; 500 on failure. Worker threads only. */
bool hash_new_password(const char *pw, char *out, struct gh_error *err);
/* Verifies pw against the user's credential (re-hashing when due). Worker
 * threads only. False and 400 INVALID_PASSWORD when wrong. */
bool verify_user_password(const char *user_id, const char *pw, struct gh_error *err);

/* A handler that reads a body. Returns false with err set to refuse. */
typedef bool (*gh_body_handler)(struct gh_request *req, json_t *body, struct gh_error *err);

#define GH_BODY_FORM 1u  /* form-urlencoded accepted besides JSON */
#define GH_BODY_LOGIN 2u /* sign-in/up: refuse cross-site navigations */

/* The frame every body handler runs in: origin (CSRF) check, body parse,
 * the handler, and the error answer if any step refused. */
void run_with_body(struct gh_request *req, unsigned flags, gh_body_handler fn);

/* Defines `static void name(struct gh_request *)` running fn in that frame. */
#define BODY_ROUTE(name, fn)                                                                       \
	static void name(struct gh_request *req)                                                   \
	{                                                                                          \
		run_with_body(req, 0, fn);                                                         \
	}

/* A non-negative integer query parameter: dflt when absent, capped at max,
 * -1 when it is not a plain number. */
int req_query_uint(struct gh_request *req, const char *name, int dflt, int max);

#endif
