/* api/common — see common.h. */
#include "api/common.h"

#include "auth/password.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "api/json.h"
#include "http/origin.h"
#include "http/server.h"

#include <sodium.h>

#include <stdlib.h>
#include <string.h>

bool fail_unauthorized(struct gh_error *err)
{
	return error_set(err, 401, "UNAUTHORIZED", "Unauthorized");
}

bool require_session(struct gh_request *req, struct gh_auth *auth, bool bypass_cache,
		     struct gh_error *err)
{
	switch (session_resolve(req, auth, bypass_cache)) {
	case GH_RESOLVE_OK: return true;
	case GH_RESOLVE_NONE: return fail_unauthorized(err);
	default: return error_set(err, 500, "FAILED_TO_GET_SESSION", "Failed to get session");
	}
}

bool reject_protected_fields(json_t *body, struct gh_error *err)
{
	static const char *const protected_fields[] = {
	    "role",      "banned",    "banReason",        "banExpires",  "emailVerified",  "id",
	    "createdAt", "updatedAt", "twoFactorEnabled", "isAnonymous", "impersonatedBy",
	};
	for (size_t i = 0; i < sizeof protected_fields / sizeof protected_fields[0]; i++)
		if (json_object_get(body, protected_fields[i]))
			return error_set(err, 400, "FIELD_NOT_ALLOWED",
					 "%s is not allowed to be set", protected_fields[i]);
	return true;
}

bool check_new_password(const char *pw, struct gh_error *err)
{
	switch (password_check_policy(pw, strlen(pw))) {
	case GH_PASSWORD_OK: return true;
	case GH_PASSWORD_TOO_SHORT:
		return error_set(err, 400, "PASSWORD_TOO_SHORT", "Password too short");
	case GH_PASSWORD_TOO_LONG:
		return error_set(err, 400, "PASSWORD_TOO_LONG", "Password too long");
	case GH_PASSWORD_COMMON:
		return error_set(err, 400, "PASSWORD_COMPROMISED",
				 "The password you entered has been compromised. Please choose a "
				 "different password.");
	default: return error_set(err, 400, "INVALID_PASSWORD", "Invalid password");
	}
}

bool hash_new_password(const char *pw, char *out, struct gh_error *err)
{
	metrics_password_hash();
	if (password_hash(pw, strlen(pw), out) != 0)
		return error_set(err, 500, "FAILED_TO_CREATE_USER", "Failed to hash password");
	return true;
}

bool verify_user_password(const char *user_id, const char *pw, struct gh_error *err)
{
	char stored[GH_PASSWORD_HASH_STORE_MAX + 1];
	int rc = store()->credential_get(user_id, stored);
	if (rc == GH_STORE_NOT_FOUND) {
		password_burn_dummy(pw, strlen(pw));
		return error_set(err, 400, "CREDENTIAL_ACCOUNT_NOT_FOUND",
				 "Credential account not found");
	}
	if (rc != GH_STORE_OK)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	metrics_password_hash();
	enum gh_password_verdict v = password_verify(stored, pw, strlen(pw));
	sodium_memzero(stored, sizeof stored);
	if (v == GH_VERIFY_OK_REHASH) {
		char fresh[GH_PASSWORD_HASH_MAX];
		if (password_hash(pw, strlen(pw), fresh) == 0)
			store()->credential_set(user_id, fresh, clock_now_ms());
		v = GH_VERIFY_OK;
	}
	if (v != GH_VERIFY_OK)
		return error_set(err, 400, "INVALID_PASSWORD", "Invalid password");
	return true;
}

void run_with_body(struct gh_request *req, unsigned flags, gh_body_handler fn)
{
	struct gh_error err = {0};
	json_t *body = NULL;
	bool origin_ok = (flags & GH_BODY_LOGIN) ? origin_check_login(req, &err)
						 : origin_check_request(req, &err);
	if (origin_ok && (body = body_parse(req, flags & GH_BODY_FORM, &err)) != NULL)
		fn(req, body, &err);
	json_decref(body);
	if (error_is_set(&err))
		resp_error(req, &err);
}

int req_query_uint(struct gh_request *req, const char *name, int dflt, int max)
{
	const char *v = req_query(req, name);
	if (!v || !*v)
		return dflt;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < 0 || v[0] == '-' || v[0] == '+' || v[0] == ' ')
		return -1;
	return n > max ? max : (int)n;
}
