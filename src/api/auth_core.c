/*
 * api/auth_core — sign-up, sign-in, sign-out and get-session
 * (REFERENCE-better-auth §2, username plugin). Sign-up and sign-in hash
 * passwords: they run on workers (GH_ROUTE_SLOW); get-session runs inline
 * and is answered from the session cache.
 *
 * Enumeration (ASVS 6.3.8): an unknown account, a wrong password and a
 * locked account all cost one argon2id verification and get the same 401
 * body; BANNED_USER is said only to someone who knew the password.
 */
#include "api/common.h"
#include "api/handlers.h"
#include "api/json.h"
#include "auth/lockout.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/token.h"
#include "auth/validate.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/origin.h"
#include "http/router.h"
#include "http/server.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gh_config *cfg;

/* ---- sign-up ---- */

static bool sign_up(struct gh_request *req, json_t *body, struct gh_error *err)
{
	const char *name, *email_in, *password, *image, *callback, *username_in, *display_in;
	bool remember;
	if (!cfg->sign_up_enabled)
		return error_set(err, 400, "EMAIL_PASSWORD_SIGN_UP_DISABLED",
				 "Email and password sign up is not enabled");
	if (!reject_protected_fields(body, err) ||
	    !body_string(body, "name", true, GH_NAME_MAX, &name, err) ||
	    !body_string(body, "email", true, GH_EMAIL_MAX, &email_in, err) ||
	    !body_string(body, "password", true, 4096, &password, err) ||
	    !body_string(body, "image", false, GH_IMAGE_MAX, &image, err) ||
	    !body_string(body, "callbackURL", false, 2048, &callback, err) ||
	    !body_string(body, "username", false, 64, &username_in, err) ||
	    !body_string(body, "displayUsername", false, 64, &display_in, err) ||
	    !body_bool(body, "rememberMe", true, &remember, err))
		return false;
	if (!validate_text_field(name, GH_NAME_MAX, true))
		return error_set(err, 400, "VALIDATION_ERROR", "[body.name] Invalid name");
	if (image && !validate_text_field(image, GH_IMAGE_MAX, true))
		return error_set(err, 400, "VALIDATION_ERROR", "[body.image] Invalid image");
	if (!origin_check_callback(callback, "INVALID_CALLBACK_URL", err))
		return false;

	struct gh_user u;
	memset(&u, 0, sizeof u);
	if (!normalize_email(email_in, u.email))
		return error_set(err, 400, "INVALID_EMAIL", "Invalid email");
	if (!check_new_password(password, err))
		return false;
	if (username_in) {
		if (!validate_username(username_in, 400, err))
			return false;
		snprintf(u.display_username, sizeof u.display_username, "%s",
			 display_in && validate_text_field(display_in, GH_USERNAME_MAX, false)
			     ? display_in
			     : username_in);
		snprintf(u.username, sizeof u.username, "%s", username_in);
		lowercase_ascii(u.username);
		u.has_username = true;
	}

	struct gh_user existing;
	int rc = store()->user_by_email(u.email, &existing);
	if (rc == GH_STORE_OK)
		return error_set(err, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
				 "User already exists. Use another email.");
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "FAILED_TO_CREATE_USER", "Failed to create user");
	if (u.has_username && store()->user_by_username(u.username, &existing) == GH_STORE_OK)
		return error_set(err, 400, "USERNAME_IS_ALREADY_TAKEN",
				 "Username is already taken. Please try another.");

	char hash[GH_PASSWORD_HASH_MAX];
	if (!hash_new_password(password, hash, err))
		return false;
	token_random_alnum(u.id, GH_ID_LEN);
	snprintf(u.name, sizeof u.name, "%s", name);
	if (image) {
		snprintf(u.image, sizeof u.image, "%s", image);
		u.has_image = true;
	}
	u.created_at = u.updated_at = clock_now_ms();
	snprintf(u.role, sizeof u.role, "user");
	char account_id[GH_ID_LEN + 1];
	token_random_alnum(account_id, GH_ID_LEN);
	rc = store()->user_insert(&u, account_id, hash);
	sodium_memzero(hash, sizeof hash);
	if (rc == GH_STORE_CONFLICT) {
		/* lost a race with an identical sign-up, or the username was taken meanwhile */
		if (store()->user_by_email(u.email, &existing) == GH_STORE_OK)
			return error_set(err, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
					 "User already exists. Use another email.");
		return error_set(err, 400, "USERNAME_IS_ALREADY_TAKEN",
				 "Username is already taken. Please try another.");
	}
	if (rc != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_CREATE_USER", "Failed to create user");
	log_event(GH_LOG_INFO, "user signed up", "user", u.id, "ip", req->client_ip, NULL);

	struct gh_auth a;
	if (session_create(req, &u, remember, &a) != 0)
		return error_set(err, 500, "FAILED_TO_CREATE_SESSION", "Failed to create session");
	json_t *out = json_object();
	json_object_set_new(out, "token", json_string(a.token));
	json_object_set_new(out, "user", json_user(&u));
	resp_json(req, 200, out);
	return true;
}

/* ---- sign-in ---- */

enum login_kind { LOGIN_EMAIL, LOGIN_USERNAME };

static bool fail_login(enum login_kind kind, struct gh_error *err)
{
	if (kind == LOGIN_USERNAME)
		return error_set(err, 401, "INVALID_USERNAME_OR_PASSWORD",
				 "Invalid username or password");
	return error_set(err, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password");
}

static bool sign_in(struct gh_request *req, json_t *body, enum login_kind kind,
		    struct gh_error *err)
{
	const char *ident_in, *password, *callback;
	bool remember;
	const char *ident_field = kind == LOGIN_EMAIL ? "email" : "username";
	if (!body_string(body, ident_field, true, kind == LOGIN_EMAIL ? GH_EMAIL_MAX : 64,
			 &ident_in, err) ||
	    !body_string(body, "password", true, 4096, &password, err) ||
	    !body_string(body, "callbackURL", false, 2048, &callback, err) ||
	    !body_bool(body, "rememberMe", true, &remember, err))
		return false;
	if (!origin_check_callback(callback, "INVALID_CALLBACK_URL", err))
		return false;

	char ident[GH_EMAIL_MAX + 1];
	if (kind == LOGIN_EMAIL) {
		if (!normalize_email(ident_in, ident))
			return error_set(err, 400, "INVALID_EMAIL", "Invalid email");
	} else {
		snprintf(ident, sizeof ident, "%s", ident_in);
		lowercase_ascii(ident);
		if (!validate_username(ident, 422, err))
			return false;
	}

	char lock_key[GH_EMAIL_MAX + 16];
	snprintf(lock_key, sizeof lock_key, "%s:%s", ident_field, ident);
	if (lockout_is_locked(lock_key)) {
		password_burn_dummy(password, strlen(password));
		metrics_signin(GH_SIGNIN_LOCKED);
		log_event(GH_LOG_WARN, "sign-in refused: account locked", "ip", req->client_ip,
			  NULL);
		return fail_login(kind, err);
	}

	struct gh_user u;
	int rc = kind == LOGIN_EMAIL ? store()->user_by_email(ident, &u)
				     : store()->user_by_username(ident, &u);
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "FAILED_TO_GET_USER", "Storage unavailable");
	struct gh_error pw_err = {0};
	bool ok;
	if (rc == GH_STORE_NOT_FOUND) {
		password_burn_dummy(password, strlen(password));
		ok = false;
	} else {
		ok = verify_user_password(u.id, password, &pw_err);
		if (!ok && pw_err.status >= 500)
			return error_set(err, pw_err.status, pw_err.code, "%s", pw_err.message);
	}
	if (!ok) {
		metrics_signin(GH_SIGNIN_FAILURE);
		if (lockout_record_failure(lock_key))
			log_event(GH_LOG_WARN, "account locked after repeated failed sign-ins",
				  "user", rc == GH_STORE_OK ? u.id : NULL, "ip", req->client_ip,
				  NULL);
		log_event(GH_LOG_INFO, "sign-in failed", "user", rc == GH_STORE_OK ? u.id : NULL,
			  "ip", req->client_ip, NULL);
		return fail_login(kind, err);
	}
	lockout_record_success(lock_key);
	if (u.banned && (u.ban_expires == 0 || u.ban_expires > clock_now_ms())) {
		metrics_signin(GH_SIGNIN_BANNED);
		return error_set(
		    err, 403, "BANNED_USER",
		    "You have been banned from this application. Please contact support "
		    "if you believe this is an error.");
	}
	struct gh_auth a;
	if (session_create(req, &u, remember, &a) != 0)
		return error_set(err, 500, "FAILED_TO_CREATE_SESSION", "Failed to create session");
	metrics_signin(GH_SIGNIN_SUCCESS);
	log_event(GH_LOG_INFO, "signed in", "user", u.id, "ip", req->client_ip, NULL);
	json_t *out = json_object();
	json_object_set_new(out, "redirect", json_boolean(callback != NULL));
	json_object_set_new(out, "token", json_string(a.token));
	if (callback) {
		json_object_set_new(out, "url", json_string(callback));
		resp_header(req, "Location", callback);
	}
	json_object_set_new(out, "user", json_user(&u));
	resp_json(req, 200, out);
	return true;
}

static bool sign_in_email(struct gh_request *req, json_t *body, struct gh_error *err)
{
	return sign_in(req, body, LOGIN_EMAIL, err);
}

static bool sign_in_username(struct gh_request *req, json_t *body, struct gh_error *err)
{
	return sign_in(req, body, LOGIN_USERNAME, err);
}

static void h_sign_up_email(struct gh_request *req)
{
	run_with_body(req, GH_BODY_FORM | GH_BODY_LOGIN, sign_up);
}

static void h_sign_in_email(struct gh_request *req)
{
	run_with_body(req, GH_BODY_FORM | GH_BODY_LOGIN, sign_in_email);
}

static void h_sign_in_username(struct gh_request *req)
{
	run_with_body(req, GH_BODY_FORM | GH_BODY_LOGIN, sign_in_username);
}

static bool is_username_available(struct gh_request *req, json_t *body, struct gh_error *err)
{
	const char *username_in;
	if (!body_string(body, "username", true, 64, &username_in, err) ||
	    !validate_username(username_in, 422, err))
		return false;
	char username[GH_USERNAME_MAX + 1];
	snprintf(username, sizeof username, "%s", username_in);
	lowercase_ascii(username);
	struct gh_user u;
	int rc = store()->user_by_username(username, &u);
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	resp_json(req, 200, json_pack("{s:b}", "available", rc == GH_STORE_NOT_FOUND));
	return true;
}

static void h_is_username_available(struct gh_request *req)
{
	run_with_body(req, 0, is_username_available);
}

/* ---- sign-out ---- */

static void h_sign_out(struct gh_request *req)
{
	struct gh_error err = {0};
	json_t *body = NULL;
	if (!origin_check_request(req, &err) || !(body = body_parse(req, false, &err))) {
		resp_error(req, &err);
		return;
	}
	json_decref(body);
	struct gh_auth a;
	enum gh_resolve r = session_resolve(req, &a, true);
	session_clear_cookies(req);
	if (r == GH_RESOLVE_ERROR) {
		resp_fail(req, 500, "FAILED_TO_GET_SESSION", "Failed to get session");
		return;
	}
	if (r == GH_RESOLVE_OK) {
		session_revoke(a.session.id, a.user.id);
		log_event(GH_LOG_INFO, "signed out", "user", a.user.id, NULL);
	}
	resp_json_text(req, 200, "{\"success\":true}");
}

/* ---- get-session ---- */

static bool query_flag(struct gh_request *req, const char *name)
{
	const char *v = req_query(req, name);
	return v && strcmp(v, "true") == 0;
}

static void h_get_session(struct gh_request *req)
{
	struct gh_auth a;
	resp_header(req, "Cache-Control", "no-store");
	bool bypass = query_flag(req, "disableCookieCache");
	char *cached = bypass ? NULL : session_answer_from_cookie_cache(req);
	if (cached) {
		resp_take_body(req, 200, "application/json", cached, strlen(cached));
		return;
	}
	enum gh_resolve r = session_resolve(req, &a, bypass);
	if (r == GH_RESOLVE_ERROR) {
		resp_fail(req, 500, "FAILED_TO_GET_SESSION", "Failed to get session");
		return;
	}
	if (r == GH_RESOLVE_NONE) {
		if (req_header(req, "Cookie") && !req_header(req, "Authorization"))
			session_clear_cookies(req);
		resp_json_text(req, 200, "null");
		return;
	}
	bool refreshed = !query_flag(req, "disableRefresh") && session_refresh_if_due(req, &a);
	if (!refreshed)
		session_refresh_data_cookie(req, &a); /* refresh re-sets every cookie itself */
	if (!refreshed && a.json_head) {              /* the cached rendering: no JSON tree */
		size_t h = strlen(a.json_head), t = strlen(a.token), tl = strlen(a.json_tail);
		char *body = malloc(h + t + tl + 1);
		if (!body)
			abort();
		memcpy(body, a.json_head, h);
		memcpy(body + h, a.token, t);
		memcpy(body + h + t, a.json_tail, tl + 1);
		resp_take_body(req, 200, "application/json", body, h + t + tl);
		return;
	}
	json_t *out = json_object();
	json_object_set_new(out, "session", json_session(&a.session, a.token));
	json_object_set_new(out, "user", json_user(&a.user));
	resp_json(req, 200, out);
}

static void h_ok(struct gh_request *req)
{
	resp_json_text(req, 200, "{\"ok\":true}");
}

void auth_core_register(const struct gh_config *c)
{
	cfg = c;
	router_add(GH_POST, GH_AUTH_BASE "/sign-up/email", h_sign_up_email, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/sign-in/email", h_sign_in_email, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/sign-in/username", h_sign_in_username, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/is-username-available", h_is_username_available, 0);
	router_add(GH_POST, GH_AUTH_BASE "/sign-out", h_sign_out, GH_ROUTE_SLOW);
	router_add(GH_GET | GH_POST, GH_AUTH_BASE "/get-session", h_get_session, 0);
	router_add(GH_GET, GH_AUTH_BASE "/ok", h_ok, 0);
}
