/*
 * api/admin — Better-Auth's admin plugin routes under /api/auth/admin/
 * (REFERENCE-better-auth §5 "admin"). Every route needs a session whose user
 * has the admin role: no session → 401, another role → 403 (checked before
 * the body is read further). has-permission also answers for the caller's
 * own permissions without the admin role.
 *
 * A ban, a role change and a removal take effect at once: the user's
 * sessions are revoked and their cached sessions and API keys dropped, so
 * the next forward-auth check already refuses them (ASVS 7.4.2, 8.3.2).
 */
#include "api/common.h"
#include "api/handlers.h"
#include "api/json.h"
#include "auth/apikey.h"
#include "auth/lockout.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/token.h"
#include "auth/validate.h"
#include "authz/roles.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/router.h"
#include "http/server.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool require_admin(struct gh_request *req, struct gh_auth *a, const char *denied_code,
			  struct gh_error *err)
{
	if (!require_session(req, a, true, err))
		return false;
	if (strcmp(a->user.role, "admin") != 0)
		return error_set(err, 403, denied_code, "You are not allowed to do this");
	return true;
}

static bool load_user(const char *id, struct gh_user *u, struct gh_error *err)
{
	int rc = store()->user_by_id(id, u);
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	if (rc != GH_STORE_OK)
		return error_set(err, 404, "USER_NOT_FOUND", "User not found");
	return true;
}

/* Ends everything a user holds now: sessions, cached sessions, cached keys. */
static void cut_off(const char *user_id)
{
	session_revoke_user(user_id, NULL);
	session_forget_user(user_id);
	apikey_forget_owner(user_id);
}

static void answer_user(struct gh_request *req, const char *user_id)
{
	struct gh_user u;
	if (store()->user_by_id(user_id, &u) != GH_STORE_OK) {
		resp_fail(req, 404, "USER_NOT_FOUND", "User not found");
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "user", json_user(&u));
	resp_json(req, 200, o);
}

/* ---- create / update / remove ---- */

static bool create_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *email_in, *password, *name, *role;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", err) ||
	    !body_string(body, "email", true, GH_EMAIL_MAX, &email_in, err) ||
	    !body_string(body, "password", false, 4096, &password, err) ||
	    !body_string(body, "name", true, GH_NAME_MAX, &name, err) ||
	    !body_string(body, "role", false, GH_ROLE_MAX, &role, err))
		return false;
	struct gh_user u;
	memset(&u, 0, sizeof u);
	if (!normalize_email(email_in, u.email))
		return error_set(err, 400, "INVALID_EMAIL", "Invalid email");
	if (!validate_text_field(name, GH_NAME_MAX, true))
		return error_set(err, 400, "VALIDATION_ERROR", "[body.name] Invalid name");
	if (role && !roles_exists(role))
		return error_set(err, 400, "INVALID_ROLE", "No such role");
	if (password && !check_new_password(password, err))
		return false;
	char hash[GH_PASSWORD_HASH_MAX] = "", account_id[GH_ID_LEN + 1];
	if (password && !hash_new_password(password, hash, err))
		return false;
	token_random_alnum(u.id, GH_ID_LEN);
	token_random_alnum(account_id, GH_ID_LEN);
	snprintf(u.name, sizeof u.name, "%s", name);
	snprintf(u.role, sizeof u.role, "%s", role ? role : "user");
	u.created_at = u.updated_at = clock_now_ms();
	int rc = store()->user_insert(&u, account_id, password ? hash : NULL);
	sodium_memzero(hash, sizeof hash);
	if (rc == GH_STORE_CONFLICT)
		return error_set(err, 400, "USER_ALREADY_EXISTS", "User already exists.");
	if (rc != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_CREATE_USER", "Failed to create user");
	log_event(GH_LOG_INFO, "admin created user", "user", u.id, "by", a.user.id, NULL);
	answer_user(req, u.id);
	return true;
}

static bool update_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	struct gh_user u;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err) || !load_user(id, &u, err))
		return false;
	json_t *data = json_object_get(body, "data");
	if (!json_is_object(data))
		return error_set(err, 400, "VALIDATION_ERROR",
				 "[body.data] Invalid input: expected object");
	struct gh_user_update upd = {.updated_at = clock_now_ms()};
	const char *email = NULL, *role = NULL;
	if (!body_string(data, "name", false, GH_NAME_MAX, &upd.name, err) ||
	    !body_string(data, "image", false, GH_IMAGE_MAX, &upd.image, err) ||
	    !body_string(data, "email", false, GH_EMAIL_MAX, &email, err) ||
	    !body_string(data, "role", false, GH_ROLE_MAX, &role, err))
		return false;
	if (upd.name && !validate_text_field(upd.name, GH_NAME_MAX, true))
		return error_set(err, 400, "VALIDATION_ERROR", "[body.data.name] Invalid name");
	if (role && !roles_exists(role))
		return error_set(err, 400, "INVALID_ROLE", "No such role");
	if ((upd.name || upd.image) && store()->user_update(id, &upd) == GH_STORE_ERROR)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to update user");
	if (email) {
		char e[GH_EMAIL_MAX + 1];
		if (!normalize_email(email, e))
			return error_set(err, 400, "INVALID_EMAIL", "Invalid email");
		json_t *ev = json_object_get(data, "emailVerified");
		int rc = store()->user_set_email(id, e, json_is_true(ev), upd.updated_at);
		if (rc == GH_STORE_CONFLICT)
			return error_set(err, 400, "USER_ALREADY_EXISTS", "User already exists.");
		if (rc != GH_STORE_OK)
			return error_set(err, 500, "FAILED_TO_UPDATE_USER",
					 "Failed to update user");
	}
	if (role && store()->user_set_role(id, role, upd.updated_at) != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to update user");
	session_forget_user(id);
	apikey_forget_owner(id);
	log_event(GH_LOG_INFO, "admin updated user", "user", id, "by", a.user.id, NULL);
	/* Better-Auth answers update-user with the bare user (the others: {user}) */
	if (store()->user_by_id(id, &u) != GH_STORE_OK)
		return error_set(err, 404, "USER_NOT_FOUND", "User not found");
	resp_json(req, 200, json_user(&u));
	return true;
}

static bool set_role(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id, *role;
	struct gh_user u;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err) ||
	    !body_string(body, "role", true, GH_ROLE_MAX, &role, err) || !load_user(id, &u, err))
		return false;
	if (!roles_exists(role))
		return error_set(err, 400, "INVALID_ROLE", "No such role");
	if (store()->user_set_role(id, role, clock_now_ms()) != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to update user");
	session_forget_user(id);
	apikey_forget_owner(id); /* permissions change on the next request */
	log_event(GH_LOG_INFO, "role changed", "user", id, "role", role, "by", a.user.id, NULL);
	answer_user(req, id);
	return true;
}

static bool ban_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id, *reason;
	struct gh_user u;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err) ||
	    !body_string(body, "banReason", false, GH_NAME_MAX, &reason, err) ||
	    !load_user(id, &u, err))
		return false;
	if (strcmp(id, a.user.id) == 0)
		return error_set(err, 400, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself");
	json_t *in = json_object_get(body, "banExpiresIn");
	int64_t now = clock_now_ms(), expires = 0;
	if (in && !json_is_null(in)) {
		if (!json_is_integer(in) || json_integer_value(in) <= 0 ||
		    json_integer_value(in) > 100LL * 365 * 86400)
			return error_set(
			    err, 400, "VALIDATION_ERROR",
			    "[body.banExpiresIn] Expected a positive number of seconds");
		expires = now + json_integer_value(in) * 1000;
	}
	if (store()->user_set_ban(id, true, reason ? reason : "No reason", expires, now) !=
	    GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to ban user");
	cut_off(id);
	log_event(GH_LOG_INFO, "user banned", "user", id, "by", a.user.id, NULL);
	answer_user(req, id);
	return true;
}

static bool unban_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	struct gh_user u;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err) || !load_user(id, &u, err))
		return false;
	if (store()->user_set_ban(id, false, NULL, 0, clock_now_ms()) != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to unban user");
	session_forget_user(id);
	apikey_forget_owner(id);
	log_event(GH_LOG_INFO, "user unbanned", "user", id, "by", a.user.id, NULL);
	answer_user(req, id);
	return true;
}

static bool remove_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	struct gh_user u;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err) || !load_user(id, &u, err))
		return false;
	if (strcmp(id, a.user.id) == 0)
		return error_set(err, 400, "YOU_CANNOT_REMOVE_YOURSELF",
				 "You cannot remove yourself");
	apikey_forget_owner(id);
	if (store()->user_delete(id) != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_DELETE_USER", "Failed to delete user");
	cut_off(id);
	log_event(GH_LOG_INFO, "user removed", "user", id, "by", a.user.id, NULL);
	resp_json_text(req, 200, "{\"success\":true}");
	return true;
}

static bool set_user_password(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id, *pw;
	struct gh_user u;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err) ||
	    !body_string(body, "newPassword", true, 4096, &pw, err) || !load_user(id, &u, err) ||
	    !check_new_password(pw, err))
		return false;
	char hash[GH_PASSWORD_HASH_MAX];
	if (!hash_new_password(pw, hash, err))
		return false;
	int64_t now = clock_now_ms();
	int rc = store()->credential_set(id, hash, now);
	if (rc == GH_STORE_NOT_FOUND) { /* no password yet: add the credential account */
		char account_id[GH_ID_LEN + 1];
		token_random_alnum(account_id, GH_ID_LEN);
		rc = store()->credential_insert(id, account_id, hash, now);
	}
	sodium_memzero(hash, sizeof hash);
	if (rc != GH_STORE_OK)
		return error_set(err, 500, "FAILED_TO_UPDATE_USER", "Failed to set the password");
	session_revoke_user(id, NULL);
	log_event(GH_LOG_INFO, "admin set password", "user", id, "by", a.user.id, NULL);
	resp_json_text(req, 200, "{\"status\":true}");
	return true;
}

/* Lifts a sign-in lockout (gatehouse extension): {userId} */
static bool unlock_user(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	struct gh_user u;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_UNLOCK_USERS", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err) || !load_user(id, &u, err))
		return false;
	char key[GH_EMAIL_MAX + 16];
	snprintf(key, sizeof key, "email:%s", u.email);
	lockout_unlock(key);
	if (u.has_username) {
		snprintf(key, sizeof key, "username:%s", u.username);
		lockout_unlock(key);
	}
	log_event(GH_LOG_INFO, "sign-in lockout lifted", "user", id, "by", a.user.id, NULL);
	resp_json_text(req, 200, "{\"success\":true}");
	return true;
}

/* ---- sessions ---- */

static void add_session(const struct gh_session *s, void *ctx)
{
	if (s->expires_at > clock_now_ms())
		json_array_append_new(ctx, json_session(s, s->id));
}

static bool list_user_sessions(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err))
		return false;
	json_t *arr = json_array();
	if (store()->session_list(id, add_session, arr) != GH_STORE_OK) {
		json_decref(arr);
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	}
	json_t *o = json_object();
	json_object_set_new(o, "sessions", arr);
	resp_json(req, 200, o);
	return true;
}

static bool revoke_user_session(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *token;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", err) ||
	    !body_string(body, "sessionToken", true, 256, &token, err))
		return false;
	/* a raw session token, or the session id list-user-sessions shows */
	uint8_t hash[GH_HASH_LEN];
	struct gh_session s;
	struct gh_user u;
	token_hash(token, strlen(token), hash);
	int rc = store()->session_by_hash(hash, &s, &u);
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	session_revoke(rc == GH_STORE_OK ? s.id : token, NULL);
	resp_json_text(req, 200, "{\"success\":true}");
	return true;
}

static bool revoke_user_sessions(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", err) ||
	    !body_string(body, "userId", true, GH_ID_LEN, &id, err))
		return false;
	if (session_revoke_user(id, NULL) == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	resp_json_text(req, 200, "{\"success\":true}");
	return true;
}

/* ---- queries ---- */

static void add_user(const struct gh_user *u, void *ctx)
{
	json_array_append_new(ctx, json_user(u));
}

static void h_list_users(struct gh_request *req)
{
	struct gh_error err = {0};
	struct gh_auth a;
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", &err)) {
		resp_error(req, &err);
		return;
	}
	struct gh_user_query q = {
	    .search_field = req_query(req, "searchField"),
	    .search_value = req_query(req, "searchValue"),
	    .search_op = req_query(req, "searchOperator"),
	    .filter_field = req_query(req, "filterField"),
	    .filter_value = req_query(req, "filterValue"),
	    .filter_op = req_query(req, "filterOperator"),
	    .sort_by = req_query(req, "sortBy"),
	    .limit = req_query_uint(req, "limit", 100, 1000),
	    .offset = req_query_uint(req, "offset", 0, 1 << 30),
	};
	const char *dir = req_query(req, "sortDirection");
	q.sort_desc = dir && strcmp(dir, "desc") == 0;
	if (q.limit < 0 || q.offset < 0 || (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))) {
		resp_fail(req, 400, "VALIDATION_ERROR",
			  "[query] Invalid limit, offset or sortDirection");
		return;
	}
	json_t *users = json_array();
	int64_t total = 0;
	int rc = store()->user_search(&q, add_user, users, &total);
	if (rc != GH_STORE_OK) {
		json_decref(users);
		if (rc == GH_STORE_CONFLICT)
			resp_fail(req, 400, "VALIDATION_ERROR",
				  "[query] Unknown field or operator");
		else
			resp_fail(req, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "users", users);
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "limit", json_integer(q.limit));
	json_object_set_new(o, "offset", json_integer(q.offset));
	resp_json(req, 200, o);
}

static void h_get_user(struct gh_request *req)
{
	struct gh_error err = {0};
	struct gh_auth a;
	struct gh_user u;
	const char *id = req_query(req, "id");
	if (!require_admin(req, &a, "YOU_ARE_NOT_ALLOWED_TO_GET_USER", &err) ||
	    (!id && error_set(&err, 400, "VALIDATION_ERROR", "[query.id] Required")) ||
	    !load_user(id, &u, &err)) {
		resp_error(req, &err);
		return;
	}
	resp_json(req, 200, json_user(&u));
}

/* {permissions:{res:[act]}, userId?|role?} → {error:null, success} */
static bool has_permission(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	if (!require_session(req, &a, false, err))
		return false;
	const char *user_id, *role_in;
	if (!body_string(body, "userId", false, GH_ID_LEN, &user_id, err) ||
	    !body_string(body, "role", false, GH_ROLE_MAX, &role_in, err))
		return false;
	char role[GH_ROLE_MAX + 1];
	snprintf(role, sizeof role, "%s", a.user.role);
	if (user_id || role_in) {
		if (strcmp(a.user.role, "admin") != 0)
			return error_set(err, 403, "YOU_ARE_NOT_ALLOWED_TO_CHECK_PERMISSIONS",
					 "Only admins may check other users' permissions");
		struct gh_user u;
		if (user_id) {
			if (!load_user(user_id, &u, err))
				return false;
			snprintf(role, sizeof role, "%s", u.role);
		} else {
			snprintf(role, sizeof role, "%s", role_in);
		}
	}
	json_t *p = json_object_get(body, "permissions");
	if (!p)
		p = json_object_get(body, "permission");
	char perms[GH_APIKEY_PERMS_MAX][72];
	char *text = json_is_object(p) ? json_dumps(p, JSON_COMPACT) : NULL;
	int n = text ? apikey_parse_permissions(text, perms, GH_APIKEY_PERMS_MAX) : -1;
	free(text);
	if (n < 0)
		return error_set(err, 400, "VALIDATION_ERROR",
				 "[body.permissions] Expected {\"resource\":[\"action\"]}");
	bool ok = true;
	for (int i = 0; i < n && ok; i++)
		ok = roles_grants(role, perms[i]);
	resp_json(req, 200, json_pack("{s:n, s:b}", "error", "success", ok));
	return true;
}

BODY_ROUTE(h_create_user, create_user)
BODY_ROUTE(h_update_user, update_user)
BODY_ROUTE(h_set_role, set_role)
BODY_ROUTE(h_ban_user, ban_user)
BODY_ROUTE(h_unban_user, unban_user)
BODY_ROUTE(h_remove_user, remove_user)
BODY_ROUTE(h_set_user_password, set_user_password)
BODY_ROUTE(h_list_user_sessions, list_user_sessions)
BODY_ROUTE(h_revoke_user_session, revoke_user_session)
BODY_ROUTE(h_revoke_user_sessions, revoke_user_sessions)
BODY_ROUTE(h_has_permission, has_permission)
BODY_ROUTE(h_unlock_user, unlock_user)

void admin_register(const struct gh_config *cfg)
{
	(void)cfg;
#define ADMIN(path) GH_AUTH_BASE "/admin/" path
	router_add(GH_POST, ADMIN("create-user"), h_create_user, GH_ROUTE_SLOW);
	router_add(GH_GET, ADMIN("list-users"), h_list_users, GH_ROUTE_SLOW);
	router_add(GH_GET, ADMIN("get-user"), h_get_user, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("update-user"), h_update_user, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("set-role"), h_set_role, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("ban-user"), h_ban_user, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("unban-user"), h_unban_user, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("remove-user"), h_remove_user, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("set-user-password"), h_set_user_password, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("list-user-sessions"), h_list_user_sessions, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("revoke-user-session"), h_revoke_user_session, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("revoke-user-sessions"), h_revoke_user_sessions, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("has-permission"), h_has_permission, GH_ROUTE_SLOW);
	router_add(GH_POST, ADMIN("unlock-user"), h_unlock_user, GH_ROUTE_SLOW);
#undef ADMIN
}
