/*
 * api/apikeys — Better-Auth's api-key routes (REFERENCE-better-auth §5) plus
 * POST /api-key/verify over HTTP, a gatehouse extension (Better-Auth keeps
 * verify server-side only).
 *
 * Who may set what: the key's owner sets name, prefix, expiresIn, metadata,
 * permissions (only a narrowing of their role's) and enabled; an admin may
 * also set the server-only properties (remaining, refill*, rateLimit*,
 * userId). A client that sets a server-only property gets 400
 * SERVER_ONLY_PROPERTY, as with Better-Auth. Differences from Better-Auth:
 * owners may set `permissions` (safe: keys only narrow), and the per-key rate
 * limit is off unless set (Better-Auth's default is 10 per day).
 */
#include "api/common.h"
#include "api/handlers.h"
#include "api/json.h"
#include "auth/apikey.h"
#include "auth/token.h"
#include "authz/roles.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/router.h"
#include "http/server.h"
#include "ratelimit/ratelimit.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400LL

static json_t *opt_int(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *opt_date(int64_t v)
{
	return v >= 0 ? json_iso_date(v) : json_null();
}

static json_t *parsed_or_null(const char *text)
{
	if (!text[0])
		return json_null();
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

static json_t *key_row_json(const struct gh_apikey *k)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(k->id));
	json_object_set_new(o, "configId", json_string("default"));
	json_object_set_new(o, "name", k->has_name ? json_string(k->name) : json_null());
	json_object_set_new(o, "start", json_string(k->start));
	json_object_set_new(o, "prefix", k->has_prefix ? json_string(k->prefix) : json_null());
	json_object_set_new(o, "referenceId", json_string(k->reference_id));
	json_object_set_new(o, "userId", json_string(k->reference_id));
	json_object_set_new(o, "refillInterval", opt_int(k->refill_interval));
	json_object_set_new(o, "refillAmount", opt_int(k->refill_amount));
	json_object_set_new(o, "lastRefillAt", opt_date(k->last_refill_at));
	json_object_set_new(o, "enabled", json_boolean(k->enabled));
	json_object_set_new(o, "rateLimitEnabled", json_boolean(k->rate_limit_enabled));
	json_object_set_new(o, "rateLimitTimeWindow", opt_int(k->rate_limit_window));
	json_object_set_new(o, "rateLimitMax", opt_int(k->rate_limit_max));
	json_object_set_new(o, "requestCount", json_integer(k->request_count));
	json_object_set_new(o, "remaining", opt_int(k->remaining));
	json_object_set_new(o, "lastRequest", opt_date(k->last_request));
	json_object_set_new(o, "expiresAt", opt_date(k->expires_at));
	json_object_set_new(o, "createdAt", json_iso_date(k->created_at));
	json_object_set_new(o, "updatedAt", json_iso_date(k->updated_at));
	json_object_set_new(o, "metadata", parsed_or_null(k->metadata));
	json_object_set_new(o, "permissions", parsed_or_null(k->permissions));
	return o;
}

static bool is_admin(const struct gh_auth *a)
{
	return strcmp(a->user.role, "admin") == 0;
}

/* ---- field readers shared by create and update ---- */

static bool read_int_field(json_t *body, const char *key, int64_t min, int64_t max, bool *present,
			   int64_t *out, const char *code, struct gh_error *err)
{
	json_t *v = json_object_get(body, key);
	*present = v != NULL;
	if (!v)
		return true;
	if (json_is_null(v)) {
		*out = -1;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return error_set(err, 400, code, "[body.%s] Invalid value", key);
	*out = json_integer_value(v);
	return true;
}

static bool reject_server_only(json_t *body, bool as_admin, struct gh_error *err)
{
	static const char *const server_only[] = {
	    "remaining",           "refillAmount", "refillInterval", "rateLimitEnabled",
	    "rateLimitTimeWindow", "rateLimitMax", "userId"};
	if (as_admin)
		return true;
	for (size_t i = 0; i < sizeof server_only / sizeof server_only[0]; i++)
		if (json_object_get(body, server_only[i]))
			return error_set(
			    err, 400, "SERVER_ONLY_PROPERTY",
			    "The property you're trying to set can only be set from the "
			    "server auth instance only.");
	return true;
}

/* Reads the mutable fields into k; `changed` counts the ones present. */
static bool apply_fields(json_t *body, const char *owner_role, struct gh_apikey *k, int *changed,
			 struct gh_error *err)
{
	bool present;
	int64_t v;
	*changed = 0;
	json_t *name = json_object_get(body, "name");
	if (name) {
		if (!json_is_string(name) || json_string_length(name) < 1 ||
		    json_string_length(name) > 32)
			return error_set(err, 400, "INVALID_NAME_LENGTH",
					 "The name length is either too large or too small.");
		snprintf(k->name, sizeof k->name, "%s", json_string_value(name));
		k->has_name = true;
		(*changed)++;
	}
	if (!read_int_field(body, "expiresIn", DAY_S, 365 * DAY_S, &present, &v, "VALIDATION_ERROR",
			    err)) {
		json_t *e = json_object_get(body, "expiresIn");
		if (json_is_integer(e) && json_integer_value(e) < DAY_S)
			return error_set(
			    err, 400, "EXPIRES_IN_IS_TOO_SMALL",
			    "The expiresIn is smaller than the predefined minimum value.");
		if (json_is_integer(e))
			return error_set(
			    err, 400, "EXPIRES_IN_IS_TOO_LARGE",
			    "The expiresIn is larger than the predefined maximum value.");
		return false;
	}
	if (present) {
		k->expires_at = v < 0 ? -1 : clock_now_ms() + v * 1000;
		(*changed)++;
	}
	json_t *enabled = json_object_get(body, "enabled");
	if (enabled) {
		if (!json_is_boolean(enabled))
			return error_set(err, 400, "VALIDATION_ERROR",
					 "[body.enabled] Invalid value");
		k->enabled = json_is_true(enabled);
		(*changed)++;
	}
	json_t *meta = json_object_get(body, "metadata");
	if (meta) {
		char *text =
		    json_is_null(meta) ? NULL : json_dumps(meta, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text && strlen(text) >= sizeof k->metadata) {
			free(text);
			return error_set(err, 400, "VALIDATION_ERROR", "[body.metadata] Too large");
		}
		snprintf(k->metadata, sizeof k->metadata, "%s", text ? text : "");
		free(text);
		(*changed)++;
	}
	json_t *perms = json_object_get(body, "permissions");
	if (perms) {
		if (json_is_null(perms)) {
			k->permissions[0] = 0;
		} else {
			char *text = json_is_object(perms) ? json_dumps(perms, JSON_COMPACT) : NULL;
			char parsed[GH_APIKEY_PERMS_MAX][72];
			int n = text && strlen(text) < sizeof k->permissions
				    ? apikey_parse_permissions(text, parsed, GH_APIKEY_PERMS_MAX)
				    : -1;
			if (n < 0) {
				free(text);
				return error_set(
				    err, 400, "VALIDATION_ERROR",
				    "[body.permissions] Expected {\"resource\":[\"action\"]} "
				    "with at most %d entries",
				    GH_APIKEY_PERMS_MAX);
			}
			for (int i = 0; i < n; i++)
				if (!roles_grants(owner_role, parsed[i])) {
					free(text);
					return error_set(
					    err, 403, "INSUFFICIENT_API_KEY_PERMISSIONS",
					    "A key cannot grant %s: its owner's role does not",
					    parsed[i]);
				}
			snprintf(k->permissions, sizeof k->permissions, "%s", text);
			free(text);
		}
		(*changed)++;
	}
	/* server-only properties (reject_server_only ran before) */
	if (!read_int_field(body, "remaining", 0, INT64_MAX / 2, &present, &v, "INVALID_REMAINING",
			    err))
		return false;
	if (present) {
		k->remaining = v;
		(*changed)++;
	}
	bool has_amount, has_interval;
	int64_t amount = k->refill_amount, interval = k->refill_interval;
	if (!read_int_field(body, "refillAmount", 1, INT64_MAX / 2, &has_amount, &amount,
			    "VALIDATION_ERROR", err) ||
	    !read_int_field(body, "refillInterval", 1, INT64_MAX / 2, &has_interval, &interval,
			    "VALIDATION_ERROR", err))
		return false;
	if (has_amount != has_interval)
		return error_set(
		    err, 400, "REFILL_AMOUNT_AND_INTERVAL_REQUIRED",
		    "refillAmount is required when refillInterval is provided, and vice versa");
	if (has_amount) {
		k->refill_amount = amount;
		k->refill_interval = interval;
		(*changed)++;
	}
	json_t *rle = json_object_get(body, "rateLimitEnabled");
	if (rle) {
		if (!json_is_boolean(rle))
			return error_set(err, 400, "VALIDATION_ERROR",
					 "[body.rateLimitEnabled] Invalid value");
		k->rate_limit_enabled = json_is_true(rle);
		(*changed)++;
	}
	if (!read_int_field(body, "rateLimitTimeWindow", 1, 366 * DAY_S * 1000, &present, &v,
			    "VALIDATION_ERROR", err))
		return false;
	if (present) {
		k->rate_limit_window = v;
		(*changed)++;
	}
	if (!read_int_field(body, "rateLimitMax", 1, 1000000000, &present, &v, "VALIDATION_ERROR",
			    err))
		return false;
	if (present) {
		k->rate_limit_max = v;
		(*changed)++;
	}
	return true;
}

static bool valid_prefix(const char *p)
{
	size_t n = strlen(p);
	if (n < 1 || n > GH_KEY_PREFIX_MAX)
		return false;
	for (const char *c = p; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			return false;
	return true;
}

/* ---- handlers ---- */

static bool create_key(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	if (!require_session(req, &a, true, err))
		return false;
	bool admin = is_admin(&a);
	if (!reject_server_only(body, admin, err))
		return false;
	if (json_object_get(body, "organizationId"))
		return error_set(
		    err, 400, "VALIDATION_ERROR",
		    "[body.organizationId] Organization-owned keys are not supported yet");
	struct gh_user owner = a.user;
	const char *user_id;
	if (!body_string(body, "userId", false, GH_ID_LEN, &user_id, err))
		return false;
	if (user_id && store()->user_by_id(user_id, &owner) != GH_STORE_OK)
		return error_set(err, 404, "USER_NOT_FOUND", "User not found");
	const char *prefix;
	if (!body_string(body, "prefix", false, 64, &prefix, err))
		return false;
	if (prefix && !valid_prefix(prefix))
		return error_set(err, 400, "INVALID_PREFIX_LENGTH",
				 "The prefix length is either too large or too small.");

	struct gh_apikey *k = calloc(1, sizeof *k);
	if (!k)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Out of memory");
	int64_t now = clock_now_ms();
	k->enabled = true;
	k->rate_limit_enabled = false;
	k->rate_limit_window = k->rate_limit_max = -1;
	k->refill_amount = k->refill_interval = k->last_refill_at = -1;
	k->remaining = k->last_request = k->expires_at = -1;
	k->created_at = k->updated_at = now;
	int changed;
	char key[GH_APIKEY_MAX_LEN + 1];
	bool ok = apply_fields(body, owner.role, k, &changed, err);
	if (ok && json_object_get(body, "enabled") && !admin && !k->enabled) {
		/* creating a disabled key is allowed; nothing to do */
	}
	if (ok) {
		const char *use_prefix = prefix ? prefix : apikey_default_prefix();
		token_random_alnum(k->id, GH_ID_LEN);
		snprintf(k->reference_id, sizeof k->reference_id, "%s", owner.id);
		if (prefix) {
			snprintf(k->prefix, sizeof k->prefix, "%s", prefix);
			k->has_prefix = true;
		}
		if (!apikey_mint(use_prefix, key, k->key_hash, k->start))
			ok = error_set(err, 500, "INTERNAL_SERVER_ERROR", "Could not create a key");
	}
	if (ok && store()->apikey_insert(k) != GH_STORE_OK)
		ok = error_set(err, 500, "INTERNAL_SERVER_ERROR", "Could not store the key");
	if (ok) {
		char shown[24];
		log_event(GH_LOG_INFO, "api key created", "key",
			  log_secret_prefix(k->start, 12, shown, sizeof shown), "key_id", k->id,
			  "owner", owner.id, "by", a.user.id, NULL);
		json_t *row = key_row_json(k);
		json_object_set_new(row, "key", json_string(key));
		resp_json(req, 200, row);
	}
	sodium_memzero(key, sizeof key);
	free(k);
	return ok;
}

/* Loads a key the caller may see: their own, or any for an admin. */
static bool load_visible_key(const struct gh_auth *a, const char *id, struct gh_apikey *k,
			     struct gh_error *err)
{
	int rc = store()->apikey_by_id(id, k);
	if (rc == GH_STORE_ERROR)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
	if (rc != GH_STORE_OK || (strcmp(k->reference_id, a->user.id) != 0 && !is_admin(a)))
		return error_set(err, 404, "KEY_NOT_FOUND", "API Key not found");
	return true;
}

static void h_get_key(struct gh_request *req)
{
	struct gh_error err = {0};
	struct gh_auth a;
	const char *id = req_query(req, "id");
	struct gh_apikey *k = malloc(sizeof *k);
	if (!k) {
		resp_fail(req, 500, "INTERNAL_SERVER_ERROR", "Out of memory");
		return;
	}
	if (!require_session(req, &a, false, &err)) {
	} else if (!id || !*id || strlen(id) > GH_ID_LEN) {
		error_set(&err, 400, "VALIDATION_ERROR",
			  "[query.id] Invalid input: expected string");
	} else {
		apikey_flush(); /* counters in memory first */
		if (load_visible_key(&a, id, k, &err))
			resp_json(req, 200, key_row_json(k));
	}
	free(k);
	if (error_is_set(&err))
		resp_error(req, &err);
}

struct list_ctx {
	json_t *array;
};

static void add_key(const struct gh_apikey *k, void *ctx)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->array, key_row_json(k));
}

static void h_list_keys(struct gh_request *req)
{
	struct gh_error err = {0};
	struct gh_auth a;
	if (!require_session(req, &a, false, &err)) {
		resp_error(req, &err);
		return;
	}
	if (req_query(req, "organizationId")) {
		resp_fail(req, 400, "VALIDATION_ERROR",
			  "[query.organizationId] Organization-owned keys are not supported yet");
		return;
	}
	int limit = req_query_uint(req, "limit", 100, 1000),
	    offset = req_query_uint(req, "offset", 0, 1 << 30);
	if (limit < 0 || offset < 0) {
		resp_fail(req, 400, "VALIDATION_ERROR", "[query.limit] Invalid number");
		return;
	}
	apikey_flush();
	struct list_ctx l = {json_array()};
	int64_t total = 0;
	if (store()->apikey_list(a.user.id, limit, offset, add_key, &l, &total) != GH_STORE_OK) {
		json_decref(l.array);
		resp_fail(req, 500, "INTERNAL_SERVER_ERROR", "Storage unavailable");
		return;
	}
	json_t *out = json_object();
	json_object_set_new(out, "apiKeys", l.array);
	json_object_set_new(out, "total", json_integer(total));
	json_object_set_new(out, "limit", json_integer(limit));
	json_object_set_new(out, "offset", json_integer(offset));
	resp_json(req, 200, out);
}

static bool update_key(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	if (!require_session(req, &a, true, err) ||
	    !body_string(body, "keyId", true, GH_ID_LEN, &id, err) ||
	    !reject_server_only(body, is_admin(&a), err))
		return false;
	struct gh_apikey *k = malloc(sizeof *k);
	if (!k)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Out of memory");
	apikey_flush();
	bool ok = load_visible_key(&a, id, k, err);
	struct gh_user owner;
	if (ok && store()->user_by_id(k->reference_id, &owner) != GH_STORE_OK)
		ok = error_set(err, 404, "KEY_NOT_FOUND", "API Key not found");
	int changed = 0;
	if (ok)
		ok = apply_fields(body, owner.role, k, &changed, err);
	if (ok && changed == 0)
		ok = error_set(err, 400, "NO_VALUES_TO_UPDATE", "No values to update.");
	if (ok) {
		k->updated_at = clock_now_ms();
		apikey_forget(k->id); /* flushes counters, then drops the cached copy */
		struct gh_apikey fresh;
		/* keep counters written meanwhile */
		if (store()->apikey_by_id(k->id, &fresh) == GH_STORE_OK &&
		    !json_object_get(body, "remaining")) {
			k->remaining = fresh.remaining;
			k->request_count = fresh.request_count;
			k->last_request = fresh.last_request;
		}
		if (store()->apikey_update(k) != GH_STORE_OK)
			ok = error_set(err, 500, "INTERNAL_SERVER_ERROR",
				       "Could not update the key");
		apikey_forget(k->id);
	}
	if (ok) {
		log_event(GH_LOG_INFO, "api key updated", "key_id", k->id, "by", a.user.id, NULL);
		resp_json(req, 200, key_row_json(k));
	}
	free(k);
	return ok;
}

static bool delete_key(struct gh_request *req, json_t *body, struct gh_error *err)
{
	struct gh_auth a;
	const char *id;
	if (!require_session(req, &a, true, err) ||
	    !body_string(body, "keyId", true, GH_ID_LEN, &id, err))
		return false;
	struct gh_apikey *k = malloc(sizeof *k);
	if (!k)
		return error_set(err, 500, "INTERNAL_SERVER_ERROR", "Out of memory");
	bool ok = load_visible_key(&a, id, k, err);
	if (ok) {
		apikey_forget(k->id);
		if (store()->apikey_delete(k->id) == GH_STORE_ERROR)
			ok = error_set(err, 500, "INTERNAL_SERVER_ERROR",
				       "Could not delete the key");
		apikey_forget(k->id);
	}
	if (ok) {
		log_event(GH_LOG_INFO, "api key deleted", "key_id", k->id, "by", a.user.id, NULL);
		resp_json_text(req, 200, "{\"success\":true}");
	}
	free(k);
	return ok;
}

/* {key, permissions?} → {valid, error, key}. The answer is 200 either way, as
 * Better-Auth's server-side verify returns. Order: checks (no charge) → the
 * key's own rate limit → charge, so a refused request never uses up a use. */

struct verify_pending {
	struct gh_request *req;
	struct gh_key_identity id;
	struct gh_rl_check check;
};

static void verify_answer(struct gh_request *req, struct gh_key_identity *id,
			  const struct gh_rl_result *rl)
{
	struct gh_error kerr = {0};
	json_t *out = json_object();
	bool ok = !rl || rl->allowed;
	if (!ok) {
		json_t *e = json_pack("{s:s, s:s, s:{s:I}}", "message", "Rate limit exceeded.",
				      "code", "RATE_LIMITED", "details", "tryAgainIn",
				      (json_int_t)rl->retry_after_ms);
		json_object_set_new(out, "valid", json_false());
		json_object_set_new(out, "error", e);
		json_object_set_new(out, "key", json_null());
	} else if (!apikey_charge(id, &kerr)) {
		json_object_set_new(out, "valid", json_false());
		json_object_set_new(
		    out, "error",
		    json_pack("{s:s, s:s}", "message", kerr.message, "code", kerr.code));
		json_object_set_new(out, "key", json_null());
	} else {
		json_t *row = json_object();
		json_object_set_new(row, "id", json_string(id->key_id));
		json_object_set_new(row, "start", json_string(id->start));
		json_object_set_new(row, "referenceId", json_string(id->owner_id));
		json_object_set_new(row, "userId", json_string(id->owner_id));
		json_object_set_new(row, "remaining",
				    id->remaining >= 0
					? json_integer(id->remaining > 0 ? id->remaining - 1 : 0)
					: json_null());
		json_object_set_new(row, "role", json_string(id->role));
		json_object_set_new(out, "valid", json_true());
		json_object_set_new(out, "error", json_null());
		json_object_set_new(out, "key", row);
	}
	resp_json(req, 200, out);
}

static void verify_rate_checked(void *arg, const struct gh_rl_result *res)
{
	struct verify_pending *p = arg;
	verify_answer(p->req, &p->id, res);
	req_complete(p->req);
}

static bool verify_key(struct gh_request *req, json_t *body, struct gh_error *err)
{
	const char *key;
	if (!body_string(body, "key", true, 512, &key, err))
		return false;
	char perms[GH_APIKEY_PERMS_MAX][72];
	const char *required[GH_APIKEY_PERMS_MAX];
	int n = 0;
	json_t *p = json_object_get(body, "permissions");
	if (p && !json_is_null(p)) {
		char *text = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
		n = text ? apikey_parse_permissions(text, perms, GH_APIKEY_PERMS_MAX) : -1;
		free(text);
		if (n < 0)
			return error_set(err, 400, "VALIDATION_ERROR",
					 "[body.permissions] Expected {\"resource\":[\"action\"]}");
		for (int i = 0; i < n; i++)
			required[i] = perms[i];
	}
	struct verify_pending *vp = req_alloc(req, sizeof *vp);
	memset(vp, 0, sizeof *vp);
	vp->req = req;
	struct gh_error kerr = {0};
	if (!apikey_verify(key, required, n, false, &vp->id, &kerr)) {
		if (kerr.status >= 500)
			return error_set(err, kerr.status, kerr.code, "%s", kerr.message);
		resp_json(req, 200,
			  json_pack("{s:b, s:{s:s, s:s}, s:n}", "valid", 0, "error", "message",
				    kerr.message, "code", kerr.code, "key"));
		return true;
	}
	if (!vp->id.rate_limit_enabled) {
		verify_answer(req, &vp->id, NULL);
		return true;
	}
	snprintf(vp->check.key, sizeof vp->check.key, "k:%s", vp->id.key_id);
	vp->check.limit = vp->id.rate_limit_max;
	vp->check.window_ms = vp->id.rate_limit_window_ms;
	vp->check.on_redis_failure = GH_RATE_FAIL_LOCAL;
	vp->check.policy_name = "api-key";
	struct gh_rl_result res;
	if (strcmp(ratelimit_redis_state(), "disabled") == 0) {
		ratelimit_check_local(&vp->check, 1, clock_now_ms(), &res);
		verify_answer(req, &vp->id, &res);
		return true;
	}
	req_defer(req); /* before the check: Redis may answer first */
	if (ratelimit_check(&vp->check, 1, clock_now_ms(), &res, verify_rate_checked, vp))
		verify_rate_checked(vp, &res);
	return true;
}

BODY_ROUTE(h_create_key, create_key)
BODY_ROUTE(h_update_key, update_key)
BODY_ROUTE(h_delete_key, delete_key)
BODY_ROUTE(h_verify_key, verify_key)

void apikeys_register(const struct gh_config *cfg)
{
	(void)cfg;
	router_add(GH_POST, GH_AUTH_BASE "/api-key/create", h_create_key, GH_ROUTE_SLOW);
	router_add(GH_GET, GH_AUTH_BASE "/api-key/get", h_get_key, GH_ROUTE_SLOW);
	router_add(GH_GET, GH_AUTH_BASE "/api-key/list", h_list_keys, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/api-key/update", h_update_key, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/api-key/delete", h_delete_key, GH_ROUTE_SLOW);
	router_add(GH_POST, GH_AUTH_BASE "/api-key/verify", h_verify_key, 0);
}
