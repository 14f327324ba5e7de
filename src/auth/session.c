/*
 * session — see session.h.
 *
 * The cache: SHARDS independent tables, each a direct-mapped array of slots
 * under one mutex; the slot is chosen from the token hash (already uniformly
 * random), a collision replaces the older entry. Memory is bounded by
 * SHARDS * SLOTS entries, allocated on first use. Entries live at most
 * CACHE_TTL_S, so even a missed invalidation (none is known) heals quickly.
 */
#include "auth/session.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/workers.h"
#include "http/cookie.h"
#include "api/json.h"
#include "http/server.h"

#include <sodium.h>

#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define SLOTS 1024
#define CACHE_TTL_S 60.0

struct cache_entry {
	uint8_t hash[GH_HASH_LEN];
	double cached_at;
	struct gh_session session;
	struct gh_user user;
	/* get-session's answer rendered once, split where the token goes:
	 * head + token + tail (see render_answer) */
	char *json_head, *json_tail;
};

struct shard {
	pthread_mutex_t mu;
	struct cache_entry *slot[SLOTS];
};

static struct {
	const struct gh_config *cfg;
	struct shard shards[SHARDS];
	char cookie_token[96];
	char cookie_data[96];
	char cookie_dont_remember[96];
	bool secure;
	struct gh_cookie_signer signer;
	/* bumped by every invalidation; a store read that began before a bump
	 * is not cached (it may have seen a row deleted since) */
	atomic_uint epoch;
} S;

static void entry_free(struct cache_entry *e);

int session_init(const struct gh_config *cfg)
{
	S.cfg = cfg;
	S.secure = strncmp(cfg->base_url, "https://", 8) == 0;
	const char *pre = S.secure ? "__Secure-" : "";
	snprintf(S.cookie_token, sizeof S.cookie_token, "%s%s.session_token", pre,
		 cfg->cookie_prefix);
	snprintf(S.cookie_data, sizeof S.cookie_data, "%s%s.session_data", pre, cfg->cookie_prefix);
	snprintf(S.cookie_dont_remember, sizeof S.cookie_dont_remember, "%s%s.dont_remember", pre,
		 cfg->cookie_prefix);
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&S.shards[i].mu, NULL);
	cookie_signer_init(&S.signer, cfg->secret, strlen(cfg->secret));
	return 0;
}

void session_shutdown(void)
{
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_lock(&S.shards[i].mu);
		for (int k = 0; k < SLOTS; k++) {
			entry_free(S.shards[i].slot[k]);
			S.shards[i].slot[k] = NULL;
		}
		pthread_mutex_unlock(&S.shards[i].mu);
	}
}

/* ---- cache ---- */

/* Renders {"session":{...,"token":<mark>,...},"user":{...}} once per cached
 * session and splits it at the token, so a cached get-session builds its
 * answer with two copies instead of a JSON tree. The mark is escaped by the
 * encoder, so no user-controlled field can produce it. */
static void render_answer(struct cache_entry *e)
{
	free(e->json_head);
	e->json_head = e->json_tail = NULL;
	json_t *o = json_object();
	json_object_set_new(o, "session", json_session(&e->session, "\x01gatehouse-token\x01"));
	json_object_set_new(o, "user", json_user(&e->user));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return;
	char *mark = strstr(text, "\\u0001gatehouse-token\\u0001");
	if (!mark) {
		free(text);
		return;
	}
	*mark = 0;
	e->json_head = text; /* one allocation: head, NUL, then the tail */
	e->json_tail = mark + strlen("\\u0001gatehouse-token\\u0001");
}

static void entry_free(struct cache_entry *e)
{
	if (e)
		free(e->json_head);
	free(e);
}

static struct shard *shard_of(const uint8_t *h, int *slot)
{
	*slot = (int)(((unsigned)h[1] | ((unsigned)h[2] << 8)) % SLOTS);
	return &S.shards[h[0] % SHARDS];
}

static bool cache_get(struct gh_request *req, const uint8_t hash[GH_HASH_LEN], struct gh_auth *out)
{
	int k;
	struct shard *sh = shard_of(hash, &k);
	bool hit = false;
	pthread_mutex_lock(&sh->mu);
	struct cache_entry *e = sh->slot[k];
	if (e && memcmp(e->hash, hash, GH_HASH_LEN) == 0 &&
	    clock_mono_s() - e->cached_at < CACHE_TTL_S) {
		out->session = e->session;
		out->user = e->user;
		if (req && e->json_head) {
			out->json_head = req_strdup(req, e->json_head);
			out->json_tail = req_strdup(req, e->json_tail);
		}
		hit = true;
	}
	pthread_mutex_unlock(&sh->mu);
	return hit;
}

static void cache_put(const struct gh_auth *a, unsigned epoch_seen)
{
	int k;
	struct shard *sh = shard_of(a->session.token_hash, &k);
	pthread_mutex_lock(&sh->mu);
	if (atomic_load(&S.epoch) != epoch_seen) {
		pthread_mutex_unlock(&sh->mu);
		return;
	}
	struct cache_entry *e = sh->slot[k];
	if (!e)
		e = sh->slot[k] = calloc(1, sizeof *e);
	if (e) {
		memcpy(e->hash, a->session.token_hash, GH_HASH_LEN);
		e->cached_at = clock_mono_s();
		e->session = a->session;
		e->user = a->user;
		render_answer(e);
	}
	pthread_mutex_unlock(&sh->mu);
}

/* Drops every entry matching the session id or (when session_id is NULL)
 * the user id. Rare (sign-out, revocation, profile change): a full scan. */
static void cache_drop(const char *session_id, const char *user_id)
{
	atomic_fetch_add(&S.epoch, 1);
	for (int i = 0; i < SHARDS; i++) {
		struct shard *sh = &S.shards[i];
		pthread_mutex_lock(&sh->mu);
		for (int k = 0; k < SLOTS; k++) {
			struct cache_entry *e = sh->slot[k];
			if (!e)
				continue;
			bool match = session_id ? strcmp(e->session.id, session_id) == 0
						: strcmp(e->session.user_id, user_id) == 0;
			if (match) {
				entry_free(e);
				sh->slot[k] = NULL;
			}
		}
		pthread_mutex_unlock(&sh->mu);
	}
}

static void cache_set_expiry(const uint8_t hash[GH_HASH_LEN], int64_t expires_at, int64_t now)
{
	int k;
	struct shard *sh = shard_of(hash, &k);
	pthread_mutex_lock(&sh->mu);
	struct cache_entry *e = sh->slot[k];
	if (e && memcmp(e->hash, hash, GH_HASH_LEN) == 0) {
		e->session.expires_at = expires_at;
		e->session.updated_at = now;
		render_answer(e);
	}
	pthread_mutex_unlock(&sh->mu);
}

/* ---- reading the credential ---- */

/* The signed "token.sig" from the bearer header or the cookie, verified. */
static bool read_token(struct gh_request *req, char token[GH_TOKEN_LEN + 1], bool *from_bearer)
{
	char raw[GH_COOKIE_VALUE_MAX];
	const char *authz = req_header(req, "Authorization");
	if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
		if (snprintf(raw, sizeof raw, "%s", authz + 7) < (int)sizeof raw &&
		    cookie_url_decode(raw) &&
		    cookie_signer_verify(&S.signer, raw, token, GH_TOKEN_LEN + 1)) {
			*from_bearer = true;
			return true;
		}
	}
	const char *cookies = req_header(req, "Cookie");
	if (cookies && cookie_find(cookies, S.cookie_token, raw, sizeof raw) &&
	    cookie_url_decode(raw) &&
	    cookie_signer_verify(&S.signer, raw, token, GH_TOKEN_LEN + 1)) {
		*from_bearer = false;
		return true;
	}
	return false;
}

static bool user_is_banned(const struct gh_user *u, int64_t now)
{
	return u->banned && (u->ban_expires == 0 || u->ban_expires > now);
}

enum gh_resolve session_resolve(struct gh_request *req, struct gh_auth *out, bool bypass_cache)
{
	if (!read_token(req, out->token, &out->from_bearer))
		return GH_RESOLVE_NONE;
	uint8_t hash[GH_HASH_LEN];
	token_hash(out->token, strlen(out->token), hash);
	out->json_head = out->json_tail = NULL;
	if (bypass_cache || !cache_get(req, hash, out)) {
		unsigned epoch = atomic_load(&S.epoch);
		int rc = store()->session_by_hash(hash, &out->session, &out->user);
		if (rc == GH_STORE_NOT_FOUND)
			return GH_RESOLVE_NONE;
		if (rc != GH_STORE_OK)
			return GH_RESOLVE_ERROR;
		cache_put(out, epoch);
	}
	int64_t now = clock_now_ms();
	if (out->session.expires_at <= now || user_is_banned(&out->user, now))
		return GH_RESOLVE_NONE;
	return GH_RESOLVE_OK;
}

/* ---- cookies ---- */

static void set_cookie(struct gh_request *req, const char *name, const char *value, long max_age)
{
	char line[GH_COOKIE_VALUE_MAX];
	struct gh_cookie_attrs a = {
	    .max_age = max_age,
	    .domain = S.cfg->cookie_domain,
	    .secure = S.secure,
	    .http_only = true,
	    .same_site = "Lax",
	};
	if (cookie_format_set(name, value, &a, line, sizeof line))
		resp_header(req, "Set-Cookie", line);
}

static void set_data_cookie(struct gh_request *req, const struct gh_auth *a);

static void set_session_cookies(struct gh_request *req, const struct gh_auth *a)
{
	char signed_token[GH_TOKEN_LEN + GH_COOKIE_SIG_LEN + 2];
	char encoded[3 * sizeof signed_token];
	cookie_signer_sign(&S.signer, a->token, signed_token, sizeof signed_token);
	cookie_url_encode(signed_token, encoded, sizeof encoded);
	long max_age = a->session.remember_me
			   ? (long)((a->session.expires_at - clock_now_ms() + 999) / 1000)
			   : -1;
	set_cookie(req, S.cookie_token, encoded, max_age);
	if (!a->session.remember_me) {
		char dr[8 + GH_COOKIE_SIG_LEN], dre[3 * sizeof dr];
		cookie_signer_sign(&S.signer, "true", dr, sizeof dr);
		cookie_url_encode(dr, dre, sizeof dre);
		set_cookie(req, S.cookie_dont_remember, dre, -1);
	}
	resp_header(req, "set-auth-token", signed_token);
	resp_header(req, "Access-Control-Expose-Headers", "set-auth-token");
	set_data_cookie(req, a);
}

/* ---- the session_data cookie cache (Better-Auth's "compact" strategy) ----
 * value = base64url(JSON {"session": P, "expiresAt": ms, "signature": sig})
 * P = {"session": S, "user": U, "updatedAt": ms, "version": "1"}
 * sig = base64url(HMAC-SHA256(secret, JSON of P with "expiresAt" added)).
 * Valid for cookie_cache.max_age; while valid, get-session answers from it
 * without looking anything up (so a revocation elsewhere shows up only after
 * max_age — Better-Auth's trade-off; sensitive endpoints never use it). */

#define DATA_COOKIE_MAX 4050

static char *sign_payload(json_t *payload, int64_t expires_at, char sig[44])
{
	json_t *signed_obj = json_deep_copy(payload);
	json_object_set_new(signed_obj, "expiresAt", json_integer(expires_at));
	char *text = json_dumps(signed_obj, JSON_COMPACT);
	json_decref(signed_obj);
	if (text)
		cookie_signer_mac_b64url(&S.signer, text, strlen(text), sig);
	return text;
}

static void set_data_cookie(struct gh_request *req, const struct gh_auth *a)
{
	if (!S.cfg->cookie_cache_enabled)
		return;
	int64_t now = clock_now_ms();
	int64_t expires_at = now + (int64_t)S.cfg->cookie_cache_max_age_s * 1000;
	json_t *payload = json_object();
	json_object_set_new(payload, "session", json_session(&a->session, a->token));
	json_object_set_new(payload, "user", json_user(&a->user));
	json_object_set_new(payload, "updatedAt", json_integer(now));
	json_object_set_new(payload, "version", json_string("1"));
	char sig[44];
	char *signed_text = sign_payload(payload, expires_at, sig);
	free(signed_text);
	json_t *outer = json_object();
	json_object_set_new(outer, "session", payload);
	json_object_set_new(outer, "expiresAt", json_integer(expires_at));
	json_object_set_new(outer, "signature", json_string(sig));
	char *text = json_dumps(outer, JSON_COMPACT);
	json_decref(outer);
	if (!text)
		return;
	size_t len = strlen(text);
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (b64len <= DATA_COOKIE_MAX) {
		char *b64 = req_alloc(req, b64len);
		sodium_bin2base64(b64, b64len, (const unsigned char *)text, len,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		set_cookie(req, S.cookie_data, b64, S.cfg->cookie_cache_max_age_s);
	}
	free(text);
}

char *session_answer_from_cookie_cache(struct gh_request *req)
{
	if (!S.cfg->cookie_cache_enabled)
		return NULL;
	char token[GH_TOKEN_LEN + 1];
	bool from_bearer;
	if (!read_token(req, token, &from_bearer))
		return NULL;
	const char *cookies = req_header(req, "Cookie");
	char *raw = req_alloc(req, GH_COOKIE_VALUE_MAX);
	if (!cookies || !cookie_find(cookies, S.cookie_data, raw, GH_COOKIE_VALUE_MAX))
		return NULL;
	size_t cap = strlen(raw), len = 0;
	unsigned char *bin = req_alloc(req, cap + 1);
	if (sodium_base642bin(bin, cap, raw, strlen(raw), NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return NULL;
	json_t *outer = json_loadb((const char *)bin, len, JSON_REJECT_DUPLICATES, NULL);
	char *answer = NULL;
	json_t *payload = json_object_get(outer, "session");
	json_t *exp = json_object_get(outer, "expiresAt");
	const char *sig = json_string_value(json_object_get(outer, "signature"));
	if (json_is_object(payload) && json_is_integer(exp) && sig && strlen(sig) == 43 &&
	    json_integer_value(exp) > clock_now_ms()) {
		char expect[44];
		char *signed_text = sign_payload(payload, json_integer_value(exp), expect);
		free(signed_text);
		const char *cached_token = json_string_value(
		    json_object_get(json_object_get(payload, "session"), "token"));
		if (sodium_memcmp(expect, sig, 43) == 0 && cached_token &&
		    sodium_memcmp(cached_token, token, GH_TOKEN_LEN) == 0 &&
		    strlen(cached_token) == strlen(token)) {
			json_t *o =
			    json_pack("{s:O, s:O}", "session", json_object_get(payload, "session"),
				      "user", json_object_get(payload, "user"));
			answer = json_dumps(o, JSON_COMPACT);
			json_decref(o);
		}
	}
	json_decref(outer);
	return answer;
}

void session_refresh_data_cookie(struct gh_request *req, const struct gh_auth *a)
{
	set_data_cookie(req, a);
}

void session_clear_cookies(struct gh_request *req)
{
	set_cookie(req, S.cookie_token, "", 0);
	set_cookie(req, S.cookie_data, "", 0);
	set_cookie(req, S.cookie_dont_remember, "", 0);
}

/* ---- lifecycle ---- */

int session_create(struct gh_request *req, const struct gh_user *user, bool remember_me,
		   struct gh_auth *out)
{
	memset(out, 0, sizeof *out);
	int64_t now = clock_now_ms();
	token_random_alnum(out->token, GH_TOKEN_LEN);
	token_random_alnum(out->session.id, GH_ID_LEN);
	token_hash(out->token, GH_TOKEN_LEN, out->session.token_hash);
	snprintf(out->session.user_id, sizeof out->session.user_id, "%s", user->id);
	int64_t life_s = remember_me ? S.cfg->session_expires_in_s : 86400;
	out->session.expires_at = now + life_s * 1000;
	out->session.created_at = out->session.updated_at = now;
	out->session.remember_me = remember_me;
	snprintf(out->session.ip, sizeof out->session.ip, "%s", req->client_ip);
	const char *ua = req_header(req, "User-Agent");
	snprintf(out->session.user_agent, sizeof out->session.user_agent, "%s", ua ? ua : "");
	out->user = *user;
	unsigned epoch = atomic_load(&S.epoch);
	if (store()->session_insert(&out->session) != GH_STORE_OK)
		return -1;
	cache_put(out, epoch);
	set_session_cookies(req, out);
	return 0;
}

bool session_is_fresh(const struct gh_auth *a)
{
	return clock_now_ms() - a->session.created_at <= (int64_t)S.cfg->session_fresh_age_s * 1000;
}

struct touch_job {
	char id[GH_ID_LEN + 1];
	int64_t expires_at, now;
};

static void run_touch(void *arg)
{
	struct touch_job *j = arg;
	if (store()->session_touch(j->id, j->expires_at, j->now) == GH_STORE_ERROR)
		log_event(GH_LOG_WARN, "session refresh not stored", "session", j->id, NULL);
	free(j);
}

bool session_refresh_if_due(struct gh_request *req, struct gh_auth *a)
{
	if (!a->session.remember_me)
		return false;
	int64_t now = clock_now_ms();
	int64_t expires_in = (int64_t)S.cfg->session_expires_in_s * 1000;
	int64_t update_age = (int64_t)S.cfg->session_update_age_s * 1000;
	if (a->session.expires_at - expires_in + update_age > now)
		return false;
	a->session.expires_at = now + expires_in;
	a->session.updated_at = now;
	cache_set_expiry(a->session.token_hash, a->session.expires_at, now);
	struct touch_job *j = malloc(sizeof *j);
	if (j) {
		snprintf(j->id, sizeof j->id, "%s", a->session.id);
		j->expires_at = a->session.expires_at;
		j->now = now;
		if (!workers_submit(run_touch, j)) /* queue full: write it here instead */
			run_touch(j);
	}
	set_session_cookies(req, a);
	return true;
}

int session_revoke(const char *session_id, const char *user_id)
{
	int rc = store()->session_delete(session_id, user_id);
	cache_drop(session_id, NULL);
	return rc;
}

int session_revoke_user(const char *user_id, const char *except_session_id)
{
	int rc = store()->session_delete_user(user_id, except_session_id);
	cache_drop(NULL, user_id); /* the kept session, if any, is simply read again */
	return rc;
}

void session_forget_user(const char *user_id)
{
	cache_drop(NULL, user_id);
}
