/*
 * apikey — API keys: creation, the keyed hash they are stored under, and
 * verification with an in-memory cache so the hot path (forward-auth,
 * /api-key/verify) never writes to the database.
 *
 * Format: <prefix><43 chars of base64url> — 32 random bytes (256 bits) after
 * a configurable prefix (default "gh_"), shown once at creation.
 * Storage: HMAC-SHA256(K, key) in hex, K = HMAC-SHA256(secret,
 * "gatehouse/apikey/v1"). Keys imported from Better-Auth are stored as its
 * unkeyed base64url(SHA-256(key)); verification tries both forms.
 * Display: `start` = the first 6 characters + prefix; logs show only those.
 *
 * Verification order (Better-Auth's): lookup → enabled (KEY_DISABLED) →
 * expiry (KEY_EXPIRED) → owner banned (USER_BANNED) → permissions
 * (INSUFFICIENT_API_KEY_PERMISSIONS) → remaining (USAGE_EXCEEDED, with
 * refill) → per-key rate limit (RATE_LIMITED).
 *
 * Counters: remaining is decremented in memory under the cache shard lock,
 * so it is exact and never below zero, however many requests race on one
 * key (single node; the cluster design moves it to Redis). requestCount,
 * lastRequest and remaining are flushed to the store in batches (every
 * second, and at shutdown: apikey_flush).
 *
 * Cache: entries for every key seen (positive) and for unknown hashes
 * (negative, 30 s); dropped at once on update, disable, delete, owner ban or
 * role change (apikey_forget / apikey_forget_owner).
 *
 * Simple mode: keys from the config (static_keys) live only in this cache,
 * owned by the synthetic user "static:<name>", never expire or flush.
 *
 * Threads: apikey_init / apikey_shutdown on the main thread; verify on any
 * thread (store read only on a cache miss); the management functions write:
 * workers only.
 */
#ifndef GH_AUTH_APIKEY_H
#define GH_AUTH_APIKEY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"
#include "store/store.h"

struct gh_config;

#define GH_APIKEY_MAX_LEN 128
#define GH_APIKEY_PERMS_MAX 64

int apikey_init(const struct gh_config *cfg);
/* Flushes counters and frees the cache. */
void apikey_shutdown(void);
/* Writes pending counters to the store now (runs on the calling thread). */
void apikey_flush(void);

/* What a verified key tells the caller. */
struct gh_key_identity {
	uint8_t h[32]; /* cache key, for apikey_charge */
	bool is_static;
	char key_id[GH_ID_LEN + 1];
	char start[16];
	char owner_id[GH_ID_LEN + 8 + 64]; /* user id, or "static:<name>" */
	char owner_email[GH_EMAIL_MAX + 1];
	char owner_name[GH_NAME_MAX + 1];
	char role[GH_ROLE_MAX + 1];
	/* the key's own permission list (empty = the role's) */
	char perms[GH_APIKEY_PERMS_MAX][72];
	int n_perms;
	bool has_perm_list;
	int64_t remaining; /* -1 = unlimited; after this request */
	/* per-key rate limit, for the caller to enforce (ratelimit module) */
	bool rate_limit_enabled;
	int64_t rate_limit_window_ms, rate_limit_max;
};

/* Does the key (with its owner's role) grant perm? */
bool apikey_grants(const struct gh_key_identity *k, const char *perm);

/* Verifies `key`. required_perms (may be NULL, n may be 0) must all be
 * granted. charge: count this use now (remaining--, requestCount++); pass
 * false when a rate-limit check comes between, then call apikey_charge.
 * On failure err has Better-Auth's code and status (401 INVALID_API_KEY/
 * KEY_DISABLED/KEY_EXPIRED/USER_BANNED, 403 INSUFFICIENT_API_KEY_PERMISSIONS,
 * 429 USAGE_EXCEEDED, 503 when the store cannot be read). */
bool apikey_verify(const char *key, const char *const *required_perms, int n_required, bool charge,
		   struct gh_key_identity *out, struct gh_error *err);
/* Charges one use of a key verified without charging; fails with 429
 * USAGE_EXCEEDED if the last use went meanwhile (exact under races). */
bool apikey_charge(const struct gh_key_identity *k, struct gh_error *err);

/* Whether `s` looks like one of our keys (prefix check; cheap) — forward-auth
 * uses it to tell a key from a session token in a Bearer header. */
bool apikey_looks_like_key(const char *s);

/* Drops cached state for one key (after update/delete) or every key of an
 * owner (ban, role change, deletion). Pending counters are flushed first. */
void apikey_forget(const char *key_id);
void apikey_forget_owner(const char *owner_id);

/* A new key: prefix + 43 base64url characters (256 random bits). Writes the
 * key (shown once), its storage hash (hex HMAC) and `start` (display). */
bool apikey_mint(const char *prefix, char key[GH_APIKEY_MAX_LEN + 1],
		 char hash_hex[GH_KEY_HASH_MAX + 1], char start[16]);
/* The default prefix from the config. */
const char *apikey_default_prefix(void);
/* Parses {"resource":["action",...]} into "resource:action" strings (max
 * entries); -1 when malformed or a permission is invalid. */
int apikey_parse_permissions(const char *json_text, char (*out)[72], int max);

#endif
