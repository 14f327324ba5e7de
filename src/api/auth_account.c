/*
 * api/auth_account — what a signed-in user does to their own account
 * (REFERENCE-better-auth §2): list and revoke sessions, update the profile,
 * change or verify the password, delete the account, reset a forgotten
 * password. Everything that writes runs on workers (GH_ROUTE_SLOW) and reads
 * the session from the store, not the cache (sensitive endpoints).
 *
 * list-sessions differs from Better-Auth on purpose: other sessions are shown
 * with a non-bearer handle (their id) instead of their token, which
 * revoke-session accepts; only the caller's own token is echoed.
 */
#include "api/common.h"
#include "api/handlers.h"
#include "api/json.h"
#include "auth/apikey.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/token.h"
#include "auth/validate.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/workers.h"
#include "http/cookie.h"
#include "http/origin.h"
#include "http/router.h"
#include "http/server.h"
#include "mail/mail.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gh_config *cfg;

/* ---- sessions ---- */

struct session_list {
	json_t *array;
	const struct gh_auth *caller;
	int64_t now;
};

static void add_session(const struct gh_session *s, void *ctx)
{
	struct session_list *l = ctx;
	if (s->expires_at <= l->now)
		return;
	bool own = strcmp(s->id, l->caller->session.id) == 0;
	json_array_append_new(l->array, json_session(s, own ? l->caller->token : s->id));
}

static void h_list_sessions(struct gh_request *req)
{
	struct gh_error err = {0};
	struct gh_auth a;
	if (!require_session(req, &a, true, &err)) {
		resp_error(req, &err);
		return;
	}
	if (!session_is_fresh(&a)) {
		resp_fail(req, 403, "SESSION_NOT_FRESH", "Session is not fresh");
		return;
	}
	struct session_list l = {json_array(), &a, clock_now_ms()};
	if (store()->session_list(a.user.id, add_session, &l) != GH_STORE_OK) {
		json_decref(l.array);
		resp_fail(req, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
		return;
	}
	resp_header(req, "Cache-Control", "no-store");
	resp_json(req, 200, l.array);
}

static bool revoke_session(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *token;
	if (!require_session(req, &a, true, err) ||
	    !body_string(body, "token", true, 256, &token, err))
		return false;
	/* the token may be a raw session token or the handle list-sessions shows */
	uint8_t hash[GH_HASH_LEN];
	struct gh_session s;
	struct gh_user u;
	token_hash(token, strlen(token), hash);
	const char *id = token;
	if (store()->session_by_hash(hash, &s, &u) == GH_STORE_OK)
		id = s.id;
	int rc = session_revoke(id, a.user.id); /* only the caller's own sessions match */
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	if (strcmp(id, a.session.id) == 0)
		session_clear_cookies(req);
	resp_json_text(req, 200, "{\"status\":true}");
	return true;
}

static bool revoke_sessions(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	if (!require_session(req, &a, true, err))
		return false;
	if (session_revoke_user(a.user.id, NULL) == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	session_clear_cookies(req);
	resp_json_text(req, 200, "{\"status\":true}");
	return true;
}

static bool revoke_other_sessions(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	if (!require_session(req, &a, true, err))
		return false;
	if (session_revoke_user(a.user.id, a.session.id) == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	resp_json_text(req, 200, "{\"status\":true}");
	return true;
}

/* ---- profile ---- */

static bool update_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	if (!require_session(req, &a, true, err))
		return false;
	if (json_object_get(body, "email"))
		return error_set(err, 400, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated");
	if (!reject_protected_fields(body, err))
		return false;
	struct gh_user_update upd = {.updated_at = clock_now_ms()};
	const char *username_in = NULL, *display = NULL;
	if (!body_string(body, "name", false, GH_NAME_MAX, &upd.name, err) ||
	    !body_string(body, "username", false, 64, &username_in, err) ||
	    !body_string(body, "displayUsername", false, 64, &display, err))
		return false;
	json_t *image = json_object_get(body, "image");
	if (image && json_is_null(image)) {
		upd.clear_image = true;
	} else if (!body_string(body, "image", false, GH_IMAGE_MAX, &upd.image, err)) {
		return false;
	}
	if (upd.name && !validate_text_field(upd.name, GH_NAME_MAX, true))
		return error_set(err, 400, "VALIDATION_ERROR", "[body.name] Invalid name");
	if (upd.image && !validate_text_field(upd.image, GH_IMAGE_MAX, true))
		return error_set(err, 400, "VALIDATION_ERROR", "[body.image] Invalid image");
	char username[GH_USERNAME_MAX + 1];
	if (username_in) {
		if (!validate_username(username_in, 400, err))
			return false;
		snprintf(username, sizeof username, "%s", username_in);
		lowercase_ascii(username);
		upd.username = username;
		upd.display_username =
		    display && validate_text_field(display, GH_USERNAME_MAX, false) ? display
										    : username_in;
	}
	if (!upd.name && !upd.image && !upd.clear_image && !upd.username)
		return error_set(err, 400, "NO_FIELDS_TO_UPDATE", "No fields to update");
	int rc = store()->user_update(a.user.id, &upd);
	if (rc == GH_STORE_CONFLICT)
		return error_set(err, 400, "USERNAME_IS_ALREADY_TAKEN",
				 "Username is already taken. Please try another.");
	if (rc != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to update user");
	session_forget_user(a.user.id);
	apikey_forget_owner(a.user.id); /* keys carry the owner's name and email */
	resp_json_text(req, 200, "{\"status\":true}");
	return true;
}

/* ---- passwords ---- */

static bool change_password(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *current, *next;
	bool revoke_others;
	if (!require_session(req, &a, true, err) ||
	    !body_string(body, "newPassword", true, 4096, &next, err) ||
	    !body_string(body, "currentPassword", true, 4096, &current, err) ||
	    !body_bool(body, "revokeOtherSessions", false, &revoke_others, err))
		return false;
	if (!check_new_password(next, err) || !verify_user_password(a.user.id, current, err))
		return false;
	char hash[GH_PASSWORD_HASH_MAX];
	if (!hash_new_password(next, hash, err))
		return false;
	int rc = store()->credential_set(a.user.id, hash, clock_now_ms());
	sodium_memzero(hash, sizeof hash);
	if (rc != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to update password");
	log_event(GH_LOG_INFO, "password changed", "user", a.user.id, NULL);
	json_t *out = json_object();
	if (revoke_others) {
		/* every session ends; the caller continues on a new one */
		session_revoke_user(a.user.id, NULL);
		struct gh_auth fresh;
		if (session_create(req, &a.user, a.session.remember_me, &fresh) != 0) {
			json_decref(out);
			return error_set(err, 500, "FAILED_TO_CREATE_SESSION",
					 "Failed to create session");
		}
		json_object_set_new(out, "token", json_string(fresh.token));
	} else {
		json_object_set_new(out, "token", json_null());
	}
	json_object_set_new(out, "user", json_user(&a.user));
	resp_json(req, 200, out);
	return true;
}

static bool verify_password(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *pw;
	if (!require_session(req, &a, true, err) ||
	    !body_string(body, "password", true, 4096, &pw, err) ||
	    !verify_user_password(a.user.id, pw, err))
		return false;
	resp_json_text(req, 200, "{\"status\":true}");
	return true;
}

static bool delete_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *pw, *callback;
	if (!require_session(req, &a, true, err) ||
	    !body_string(body, "password", false, 4096, &pw, err) ||
	    !body_string(body, "callbackURL", false, 2048, &callback, err) ||
	    !origin_check_callback(callback, "INVALID_CALLBACK_URL", err))
		return false;
	if (pw) {
		if (!verify_user_password(a.user.id, pw, err))
			return false;
	} else if (!session_is_fresh(&a)) {
		return error_set(err, 403, "SESSION_NOT_FRESH", "Session is not fresh");
	}
	apikey_forget_owner(a.user.id); /* flush their counters before the rows go */
	if (store()->user_delete(a.user.id) != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_DELETE_USER", "Failed to delete user");
	session_forget_user(a.user.id);
	apikey_forget_owner(a.user.id);
	session_clear_cookies(req);
	log_event(GH_LOG_INFO, "user deleted", "user", a.user.id, NULL);
	resp_json_text(req, 200, "{\"success\":true,\"message\":\"User deleted\"}");
	return true;
}

/* ---- password reset ---- */

#define RESET_TTL_S 3600
#define RESET_TOKEN_LEN 24

struct reset_job {
	char email[GH_EMAIL_MAX + 1];
	char redirect[2049];
};

/* Runs after the answer is sent, so known and unknown emails take the same
 * time to answer (ASVS 6.3.8). */
static void run_reset_request(void *arg)
{
	struct reset_job *j = arg;
	struct gh_user u;
	if (store()->user_by_email(j->email, &u) == GH_STORE_OK) {
		char token[RESET_TOKEN_LEN + 1], ident[80];
		uint8_t h[GH_HASH_LEN];
		char hex[2 * GH_HASH_LEN + 1];
		token_random_alnum(token, RESET_TOKEN_LEN);
		token_hash(token, RESET_TOKEN_LEN, h);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		snprintf(ident, sizeof ident, "reset-password:%s", hex);
		int64_t now = clock_now_ms();
		if (store()->verification_put(ident, u.id, now + RESET_TTL_S * 1000, now) ==
		    GH_STORE_OK) {
			char link[4096];
			snprintf(link, sizeof link, "%s/api/auth/reset-password/%s?callbackURL=%s",
				 cfg->base_url, token, j->redirect);
			mail_send_password_reset(u.email, u.name, link, token);
			log_event(GH_LOG_INFO, "password reset requested", "user", u.id, NULL);
		}
		sodium_memzero(token, sizeof token);
	}
	free(j);
}

static bool request_password_reset(struct gh_request *req, json_t *body, struct gh_error *err)
{
	const char *email_in, *redirect;
	if (!body_string(body, "email", true, GH_EMAIL_MAX, &email_in, err) ||
	    !body_string(body, "redirectTo", false, 2048, &redirect, err) ||
	    !origin_check_callback(redirect, "INVALID_REDIRECT_URL", err))
		return false;
	struct reset_job *j = calloc(1, sizeof *j);
	if (!j)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Out of memory");
	if (!normalize_email(email_in, j->email)) {
		free(j);
		return error_set(err, 400, "INVALID_EMAIL", "Invalid email");
	}
	char enc[3 * 2048 + 1] = "";
	if (redirect)
		cookie_url_encode(redirect, enc, sizeof enc);
	snprintf(j->redirect, sizeof j->redirect, "%s", enc);
	if (!workers_submit(run_reset_request, j)) {
		free(j);
		return error_set(err, 503, "SERVICE_UNAVAILABLE",
				 "Server is busy; try again shortly");
	}
	resp_json_text(req, 200,
		       "{\"status\":true,\"message\":\"If this email exists in our system, check "
		       "your email for the reset link\"}");
	return true;
}

static bool reset_password(struct gh_request *req, json_t *body, struct gh_error *err)
{
	const char *next, *token;
	if (!body_string(body, "newPassword", true, 4096, &next, err) ||
	    !body_string(body, "token", true, 256, &token, err))
		return false;
	if (!check_new_password(next, err))
		return false;
	uint8_t h[GH_HASH_LEN];
	char hex[2 * GH_HASH_LEN + 1], ident[80], user_id[GH_ID_LEN + 1];
	token_hash(token, strlen(token), h);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(ident, sizeof ident, "reset-password:%s", hex);
	int64_t expires_at = 0;
	int rc = store()->verification_take(ident, user_id, sizeof user_id, &expires_at);
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	if (rc != GH_STORE_OK || expires_at <= clock_now_ms())
		return error_set(err, 400, "INVALID_TOKEN", "Invalid token");
	char hash[GH_PASSWORD_HASH_MAX];
	if (!hash_new_password(next, hash, err))
		return false;
	rc = store()->credential_set(user_id, hash, clock_now_ms());
	sodium_memzero(hash, sizeof hash);
	if (rc != GH_STORE_OK)
		return error_set(err, 400, "INVALID_TOKEN", "Invalid token");
	session_revoke_user(user_id, NULL); /* a reset ends every session */
	log_event(GH_LOG_INFO, "password reset", "user", user_id, NULL);
	resp_json_text(req, 200, "{\"status\":true}");
	return true;
}

BODY_ROUTE(h_revoke_session, revoke_session)
BODY_ROUTE(h_revoke_sessions, revoke_sessions)
BODY_ROUTE(h_revoke_other_sessions, revoke_other_sessions)
BODY_ROUTE(h_update_user, update_user)
BODY_ROUTE(h_change_password, change_password)
BODY_ROUTE(h_verify_password, verify_password)
BODY_ROUTE(h_delete_user, delete_user)
BODY_ROUTE(h_request_password_reset, request_password_reset)
BODY_ROUTE(h_reset_password, reset_password)

void auth_account_register(const struct gh_config *c)
{
	cfg = c;
	router_add(GH_GET, GH_AUTH_BASE "/list-sessions", h_list_sessions, 0);
	router_add(GH_POST, GH_AUTH_BASE "/revoke-session", h_revoke_session, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/revoke-sessions", h_revoke_sessions, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/revoke-other-sessions", h_revoke_other_sessions,
		   GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/update-user", h_update_user, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/change-password", h_change_password, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/verify-password", h_verify_password, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/delete-user", h_delete_user, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/request-password-reset", h_request_password_reset,
		   GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/forget-password", h_request_password_reset,
		   GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/reset-password", h_reset_password, GH_ROUTE_SLOW);
}
