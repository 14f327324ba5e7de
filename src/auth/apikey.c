/*
 * apikey — see apikey.h.
 *
 * The cache: SHARDS shards, each a mutex over a chained hash table keyed by
 * HMAC(key) (32 random-looking bytes: the first bytes pick shard and
 * bucket). The table doubles when it holds more entries than buckets.
 * Entries changed by a verification are pushed on their shard's dirty list;
 * the flusher thread takes each list once a second and writes the counters
 * in one transaction. An entry is freed only after it left the dirty list.
 */
#include "auth/apikey.h"

#include "authz/roles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "api/json.h"
#include "auth/token.h"

#include <sodium.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 64
#define NEGATIVE_TTL_MS 30000
/* Unknown keys are remembered only up to this many at a time: random keys
 * from an attacker must not grow memory without bound. */
#define NEGATIVE_MAX 65536
#define KEY_RANDOM_BYTES 32
#define DAY_MS 86400000LL

struct entry {
	struct entry *next;       /* bucket chain */
	struct entry *dirty_next; /* dirty list */
	uint8_t h[32];
	bool negative;
	int64_t negative_until;
	bool is_static;
	bool dirty;
	char id[GH_ID_LEN + 1];
	char owner_id[GH_ID_LEN + 8 + 64];
	char *owner_email, *owner_name;
	char role[GH_ROLE_MAX + 1];
	bool owner_banned;
	int64_t ban_expires;
	char start[16];
	bool enabled;
	int64_t expires_at;                                     /* -1 never */
	int64_t remaining;                                      /* -1 unlimited */
	int64_t refill_interval, refill_amount, last_refill_at; /* last_refill_at -1: never */
	int64_t created_at;
	bool rl_enabled;
	int64_t rl_window, rl_max;
	char (*perms)[72];
	int n_perms;
	bool has_perm_list;
	int64_t request_count, last_request;
};

struct shard {
	pthread_mutex_t mu;
	struct entry **buckets;
	size_t n_buckets, count;
	struct entry *dirty;
};

static struct {
	const struct gh_config *cfg;
	uint8_t hmac_key[32];
	struct shard shards[SHARDS];
	atomic_uint epoch;
	atomic_int negatives; /* negative entries alive */
	pthread_t flusher;
	bool flusher_running;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stopping;
} K = {.stop_mu = PTHREAD_MUTEX_INITIALIZER, .stop_cv = PTHREAD_COND_INITIALIZER};

/* ---- hashing ---- */

static void key_hmac(const char *key, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, K.hmac_key, sizeof K.hmac_key);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_final(&st, out);
}

/* Better-Auth's stored form: base64url-nopad(SHA-256(key)). */
static void key_sha256_b64(const char *key, char out[48])
{
	uint8_t d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)key, strlen(key));
	sodium_bin2base64(out, 48, d, sizeof d, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---- cache ---- */

static struct shard *shard_for(const uint8_t h[32])
{
	return &K.shards[h[0] % SHARDS];
}

static size_t bucket_for(const struct shard *s, const uint8_t h[32])
{
	uint64_t v;
	memcpy(&v, h + 8, sizeof v);
	return (size_t)(v % s->n_buckets);
}

static struct entry *find_locked(struct shard *s, const uint8_t h[32])
{
	for (struct entry *e = s->buckets[bucket_for(s, h)]; e; e = e->next)
		if (memcmp(e->h, h, 32) == 0)
			return e;
	return NULL;
}

static void grow_locked(struct shard *s)
{
	size_t nb = s->n_buckets * 2;
	struct entry **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* keep the longer chains */
	for (size_t i = 0; i < s->n_buckets; i++) {
		for (struct entry *e = s->buckets[i], *next; e; e = next) {
			next = e->next;
			uint64_t v;
			memcpy(&v, e->h + 8, sizeof v);
			size_t k = (size_t)(v % nb);
			e->next = b[k];
			b[k] = e;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->n_buckets = nb;
}

static void insert_locked(struct shard *s, struct entry *e)
{
	if (s->count >= s->n_buckets)
		grow_locked(s);
	size_t k = bucket_for(s, e->h);
	e->next = s->buckets[k];
	s->buckets[k] = e;
	s->count++;
}

static void entry_free(struct entry *e)
{
	if (e->negative)
		atomic_fetch_sub(&K.negatives, 1);
	free(e->owner_email);
	free(e->owner_name);
	free(e->perms);
	free(e);
}

/* Unlinks e from its bucket and the dirty list; the caller frees it. */
static void unlink_locked(struct shard *s, struct entry *e)
{
	struct entry **pp = &s->buckets[bucket_for(s, e->h)];
	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	s->count--;
	if (e->dirty) {
		pp = &s->dirty;
		while (*pp && *pp != e)
			pp = &(*pp)->dirty_next;
		if (*pp)
			*pp = e->dirty_next;
	}
}

static void mark_dirty_locked(struct shard *s, struct entry *e)
{
	if (e->dirty || e->is_static)
		return;
	e->dirty = true;
	e->dirty_next = s->dirty;
	s->dirty = e;
}

/* Parses a Better-Auth permissions object {"res":["act",...]} into
 * "res:act" strings. Returns the count, or -1 if malformed/invalid. */
int apikey_parse_permissions(const char *json_text, char (*out)[72], int max)
{
	json_error_t jerr;
	json_t *o = json_loads(json_text, 0, &jerr);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	int n = 0;
	const char *res;
	json_t *acts;
	json_object_foreach(o, res, acts)
	{
		if (!json_is_array(acts))
			goto bad;
		size_t i;
		json_t *a;
		json_array_foreach(acts, i, a)
		{
			if (!json_is_string(a) || n == max)
				goto bad;
			int w = snprintf(out[n], 72, "%s:%s", res, json_string_value(a));
			if (w < 0 || w >= 72 || !roles_valid_permission(out[n]))
				goto bad;
			n++;
		}
	}
	json_decref(o);
	return n;
bad:
	json_decref(o);
	return -1;
}

static struct entry *entry_from_row(const uint8_t h[32], const struct gh_apikey *k,
				    const struct gh_user *owner)
{
	struct entry *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	memcpy(e->h, h, 32);
	snprintf(e->id, sizeof e->id, "%s", k->id);
	snprintf(e->owner_id, sizeof e->owner_id, "%s", owner->id);
	e->owner_email = strdup(owner->email);
	e->owner_name = strdup(owner->name);
	snprintf(e->role, sizeof e->role, "%s", owner->role);
	e->owner_banned = owner->banned;
	e->ban_expires = owner->ban_expires;
	snprintf(e->start, sizeof e->start, "%s", k->start);
	e->enabled = k->enabled;
	e->expires_at = k->expires_at;
	e->remaining = k->remaining;
	e->refill_interval = k->refill_interval;
	e->refill_amount = k->refill_amount;
	e->last_refill_at = k->last_refill_at;
	e->created_at = k->created_at;
	e->rl_enabled = k->rate_limit_enabled && k->rate_limit_window > 0 && k->rate_limit_max > 0;
	e->rl_window = k->rate_limit_window;
	e->rl_max = k->rate_limit_max;
	e->request_count = k->request_count;
	e->last_request = k->last_request;
	if (k->permissions[0]) {
		e->perms = calloc(GH_APIKEY_PERMS_MAX, sizeof *e->perms);
		int n = e->perms ? apikey_parse_permissions(k->permissions, e->perms,
							    GH_APIKEY_PERMS_MAX)
				 : -1;
		e->n_perms = n > 0 ? n : 0;
		e->has_perm_list = true; /* a malformed list grants nothing */
	}
	if (!e->owner_email || !e->owner_name) {
		entry_free(e);
		return NULL;
	}
	return e;
}

/* ---- init / flush ---- */

/* Frees negative entries past their time (they are otherwise dropped only
 * when the same key comes again). */
static void sweep_negatives(void)
{
	int64_t now = clock_now_ms();
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &K.shards[i];
		pthread_mutex_lock(&s->mu);
		for (size_t b = 0; b < s->n_buckets; b++) {
			for (struct entry *e = s->buckets[b], *next; e; e = next) {
				next = e->next;
				if (e->negative && e->negative_until <= now) {
					unlink_locked(s, e);
					entry_free(e);
				}
			}
		}
		pthread_mutex_unlock(&s->mu);
	}
}

static void *flusher_main(void *unused)
{
	(void)unused;
	unsigned ticks = 0;
	pthread_mutex_lock(&K.stop_mu);
	while (!K.stopping) {
		if (++ticks % 30 == 0 && atomic_load(&K.negatives) > 0) {
			pthread_mutex_unlock(&K.stop_mu);
			sweep_negatives();
			pthread_mutex_lock(&K.stop_mu);
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&K.stop_cv, &K.stop_mu, &ts);
		pthread_mutex_unlock(&K.stop_mu);
		apikey_flush();
		pthread_mutex_lock(&K.stop_mu);
	}
	pthread_mutex_unlock(&K.stop_mu);
	return NULL;
}

static int load_static_keys(const struct gh_config *cfg)
{
	for (int i = 0; i < cfg->n_static_keys; i++) {
		const struct gh_static_key *sk = &cfg->static_keys[i];
		struct entry *e = calloc(1, sizeof *e);
		if (!e)
			return -1;
		key_hmac(sk->key, e->h);
		e->is_static = true;
		/* a stable id that does not depend on name length: "s" + 31 hex
		 * characters of the name's hash */
		uint8_t nh[16];
		char nhex[33];
		crypto_generichash(nh, sizeof nh, (const unsigned char *)sk->name, strlen(sk->name),
				   NULL, 0);
		sodium_bin2hex(nhex, sizeof nhex, nh, sizeof nh);
		snprintf(e->id, sizeof e->id, "s%.31s", nhex);
		snprintf(e->owner_id, sizeof e->owner_id, "static:%s", sk->name);
		e->owner_email = strdup("");
		e->owner_name = strdup(sk->name);
		snprintf(e->role, sizeof e->role, "%s", sk->role ? sk->role : "user");
		snprintf(e->start, sizeof e->start, "%.6s", sk->key);
		e->enabled = true;
		e->expires_at = -1;
		e->remaining = -1;
		if (sk->n_permissions > 0) {
			e->perms = calloc((size_t)sk->n_permissions, sizeof *e->perms);
			if (!e->perms)
				return -1;
			for (int p = 0; p < sk->n_permissions && p < GH_APIKEY_PERMS_MAX; p++)
				snprintf(e->perms[p], 72, "%s", sk->permissions[p]);
			e->n_perms = sk->n_permissions;
			e->has_perm_list = true;
		}
		if (!e->owner_email || !e->owner_name)
			return -1;
		struct shard *s = shard_for(e->h);
		pthread_mutex_lock(&s->mu);
		insert_locked(s, e);
		pthread_mutex_unlock(&s->mu);
	}
	return 0;
}

int apikey_init(const struct gh_config *cfg)
{
	K.cfg = cfg;
	static const char purpose[] = "gatehouse/apikey/v1";
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)cfg->secret, strlen(cfg->secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)purpose, sizeof purpose - 1);
	crypto_auth_hmacsha256_final(&st, K.hmac_key);
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&K.shards[i].mu, NULL);
		K.shards[i].n_buckets = 64;
		K.shards[i].buckets = calloc(64, sizeof *K.shards[i].buckets);
		if (!K.shards[i].buckets)
			return -1;
	}
	if (load_static_keys(cfg) != 0)
		return -1;
	K.stopping = false;
	if (pthread_create(&K.flusher, NULL, flusher_main, NULL) != 0)
		return -1;
	K.flusher_running = true;
	return 0;
}

void apikey_flush(void)
{
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &K.shards[i];
		struct gh_apikey_counters batch[256];
		for (;;) {
			int n = 0;
			pthread_mutex_lock(&s->mu);
			while (s->dirty && n < 256) {
				struct entry *e = s->dirty;
				s->dirty = e->dirty_next;
				e->dirty = false;
				struct gh_apikey_counters *c = &batch[n++];
				snprintf(c->id, sizeof c->id, "%s", e->id);
				c->request_count = e->request_count;
				c->remaining = e->remaining;
				c->last_request = e->last_request;
				c->last_refill_at = e->last_refill_at;
			}
			pthread_mutex_unlock(&s->mu);
			if (n == 0)
				break;
			if (store()->apikey_write_counters(batch, n) != GH_STORE_OK)
				log_event(GH_LOG_ERROR, "api key counters not written; will retry",
					  NULL);
		}
	}
}

void apikey_shutdown(void)
{
	if (K.flusher_running) {
		pthread_mutex_lock(&K.stop_mu);
		K.stopping = true;
		pthread_cond_signal(&K.stop_cv);
		pthread_mutex_unlock(&K.stop_mu);
		pthread_join(K.flusher, NULL);
		K.flusher_running = false;
	}
	apikey_flush();
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &K.shards[i];
		pthread_mutex_lock(&s->mu);
		for (size_t b = 0; b < s->n_buckets; b++)
			for (struct entry *e = s->buckets[b], *next; e; e = next) {
				next = e->next;
				entry_free(e);
			}
		free(s->buckets);
		s->buckets = NULL;
		s->n_buckets = s->count = 0;
		s->dirty = NULL;
		pthread_mutex_unlock(&s->mu);
	}
	sodium_memzero(K.hmac_key, sizeof K.hmac_key);
}

/* ---- verification ---- */

const char *apikey_default_prefix(void)
{
	return K.cfg->api_key_prefix ? K.cfg->api_key_prefix : "gh_";
}

bool apikey_looks_like_key(const char *s)
{
	const char *pre = apikey_default_prefix();
	return strncmp(s, pre, strlen(pre)) == 0;
}

bool apikey_mint(const char *prefix, char key[GH_APIKEY_MAX_LEN + 1],
		 char hash_hex[GH_KEY_HASH_MAX + 1], char start[16])
{
	uint8_t raw[KEY_RANDOM_BYTES], h[32];
	char body[64];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(body, sizeof body, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	int n = snprintf(key, GH_APIKEY_MAX_LEN + 1, "%s%s", prefix, body);
	sodium_memzero(body, sizeof body);
	if (n < 0 || n > GH_APIKEY_MAX_LEN)
		return false;
	key_hmac(key, h);
	sodium_bin2hex(hash_hex, GH_KEY_HASH_MAX + 1, h, sizeof h);
	snprintf(start, 16, "%.*s", (int)(strlen(prefix) + 6 < 15 ? strlen(prefix) + 6 : 15), key);
	/* a key cached as unknown (someone guessed it?) must not stay negative */
	struct shard *s = shard_for(h);
	pthread_mutex_lock(&s->mu);
	struct entry *e = find_locked(s, h);
	if (e && e->negative) {
		unlink_locked(s, e);
		entry_free(e);
	}
	pthread_mutex_unlock(&s->mu);
	return true;
}

bool apikey_grants(const struct gh_key_identity *k, const char *perm)
{
	if (!roles_grants(k->role, perm))
		return false;
	if (!k->has_perm_list)
		return true;
	for (int i = 0; i < k->n_perms; i++)
		if (roles_grant_covers(k->perms[i], perm))
			return true;
	return false;
}

static void identity_from_entry(const struct entry *e, struct gh_key_identity *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->h, e->h, 32);
	snprintf(out->key_id, sizeof out->key_id, "%s", e->id);
	snprintf(out->start, sizeof out->start, "%s", e->start);
	snprintf(out->owner_id, sizeof out->owner_id, "%s", e->owner_id);
	snprintf(out->owner_email, sizeof out->owner_email, "%s", e->owner_email);
	snprintf(out->owner_name, sizeof out->owner_name, "%s", e->owner_name);
	snprintf(out->role, sizeof out->role, "%s", e->role);
	out->has_perm_list = e->has_perm_list;
	out->n_perms = e->n_perms < GH_APIKEY_PERMS_MAX ? e->n_perms : GH_APIKEY_PERMS_MAX;
	for (int i = 0; i < out->n_perms; i++)
		memcpy(out->perms[i], e->perms[i], 72);
	out->remaining = e->remaining;
	out->rate_limit_enabled = e->rl_enabled;
	out->rate_limit_window_ms = e->rl_window;
	out->rate_limit_max = e->rl_max;
	out->is_static = e->is_static;
}

/* Applies the refill rule: Better-Auth sets remaining = refillAmount once
 * refillInterval ms have passed since the last refill. */
static void refill_locked(struct entry *e, int64_t now)
{
	int64_t since = e->last_refill_at >= 0 ? e->last_refill_at : e->created_at;
	if (e->remaining >= 0 && e->refill_interval > 0 && e->refill_amount > 0 &&
	    now - since >= e->refill_interval) {
		e->remaining = e->refill_amount;
		e->last_refill_at = now;
	}
}

/* Every check except the charge, under the shard lock. */
static bool check_locked(struct entry *e, const char *const *required, int n_required, int64_t now,
			 struct gh_key_identity *out, struct gh_error *err)
{
	if (e->negative)
		return error_set(err, 401, "INVALID_API_KEY", "Invalid API key.");
	if (!e->enabled)
		return error_set(err, 401, "KEY_DISABLED", "API Key is disabled");
	if (e->expires_at >= 0 && e->expires_at <= now)
		return error_set(err, 401, "KEY_EXPIRED", "API Key has expired");
	if (e->owner_banned && (e->ban_expires <= 0 || e->ban_expires > now))
		return error_set(err, 401, "USER_BANNED", "User is banned");
	identity_from_entry(e, out);
	for (int i = 0; i < n_required; i++)
		if (!apikey_grants(out, required[i]))
			return error_set(err, 403, "INSUFFICIENT_API_KEY_PERMISSIONS",
					 "API Key has insufficient permissions");
	refill_locked(e, now);
	if (e->remaining == 0)
		return error_set(err, 429, "USAGE_EXCEEDED", "API Key has reached its usage limit");
	out->remaining = e->remaining;
	return true;
}

static void charge_locked(struct shard *s, struct entry *e, int64_t now)
{
	if (e->remaining > 0)
		e->remaining--;
	e->request_count++;
	e->last_request = now;
	mark_dirty_locked(s, e);
}

/* Loads the row for h from the store into the cache (positive or negative). */
static int load_entry(const char *key, const uint8_t h[32], unsigned epoch)
{
	struct gh_apikey *row = malloc(sizeof *row);
	struct gh_user *owner = malloc(sizeof *owner);
	if (!row || !owner) {
		free(row);
		free(owner);
		return -1;
	}
	char hex[65], b64[48];
	sodium_bin2hex(hex, sizeof hex, h, 32);
	int rc = store()->apikey_by_hash(hex, row, owner);
	if (rc == GH_STORE_NOT_FOUND) {
		key_sha256_b64(key, b64);
		rc = store()->apikey_by_hash(b64, row, owner);
	}
	struct entry *e = NULL;
	if (rc == GH_STORE_OK) {
		e = entry_from_row(h, row, owner);
	} else if (rc == GH_STORE_NOT_FOUND) {
		if (atomic_load(&K.negatives) >= NEGATIVE_MAX) {
			free(row);
			free(owner);
			return 1; /* unknown, and not remembered: the caller answers "invalid" */
		}
		e = calloc(1, sizeof *e);
		if (e) {
			memcpy(e->h, h, 32);
			e->negative = true;
			e->negative_until = clock_now_ms() + NEGATIVE_TTL_MS;
			atomic_fetch_add(&K.negatives, 1);
		}
	}
	free(row);
	free(owner);
	if (rc == GH_STORE_ERROR)
		return -1;
	if (!e)
		return -1;
	struct shard *s = shard_for(h);
	pthread_mutex_lock(&s->mu);
	if (atomic_load(&K.epoch) != epoch || find_locked(s, h)) {
		entry_free(e); /* raced with an invalidation or another loader */
	} else {
		insert_locked(s, e);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static bool verify_hashed(const char *key, const uint8_t h[32], const char *const *required,
			  int n_required, bool charge, struct gh_key_identity *out,
			  struct gh_error *err)
{
	int64_t now = clock_now_ms();
	struct shard *s = shard_for(h);
	for (int attempt = 0; attempt < 2; attempt++) {
		unsigned epoch = atomic_load(&K.epoch);
		pthread_mutex_lock(&s->mu);
		struct entry *e = find_locked(s, h);
		if (e && e->negative && e->negative_until <= now) {
			unlink_locked(s, e);
			entry_free(e);
			e = NULL;
		}
		if (e) {
			bool ok = check_locked(e, required, n_required, now, out, err);
			if (ok && charge) {
				charge_locked(s, e, now);
				out->remaining = e->remaining;
			}
			pthread_mutex_unlock(&s->mu);
			return ok;
		}
		pthread_mutex_unlock(&s->mu);
		if (attempt == 0) {
			int loaded = load_entry(key, h, epoch);
			if (loaded < 0)
				return error_set(err, 503, "SERVICE_UNAVAILABLE",
						 "Key store unavailable");
			if (loaded > 0)
				return error_set(err, 401, "INVALID_API_KEY", "Invalid API key.");
		}
	}
	/* invalidated while loading: answer from the store next time */
	return error_set(err, 401, "INVALID_API_KEY", "Invalid API key.");
}

bool apikey_verify(const char *key, const char *const *required, int n_required, bool charge,
		   struct gh_key_identity *out, struct gh_error *err)
{
	size_t len = strlen(key);
	if (len < 8 || len > GH_APIKEY_MAX_LEN)
		return error_set(err, 401, "INVALID_API_KEY", "Invalid API key.");
	uint8_t h[32];
	key_hmac(key, h);
	return verify_hashed(key, h, required, n_required, charge, out, err);
}

bool apikey_charge(const struct gh_key_identity *k, struct gh_error *err)
{
	int64_t now = clock_now_ms();
	struct shard *s = shard_for(k->h);
	pthread_mutex_lock(&s->mu);
	struct entry *e = find_locked(s, k->h);
	bool ok;
	if (!e || e->negative) {
		ok = error_set(err, 401, "INVALID_API_KEY", "Invalid API key.");
	} else {
		refill_locked(e, now);
		if (e->remaining == 0) {
			ok = error_set(err, 429, "USAGE_EXCEEDED",
				       "API Key has reached its usage limit");
		} else {
			charge_locked(s, e, now);
			ok = true;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
}

/* ---- invalidation ---- */

static void forget_where(const char *key_id, const char *owner_id)
{
	atomic_fetch_add(&K.epoch, 1);
	apikey_flush(); /* counters of the entries about to go must not be lost */
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &K.shards[i];
		struct entry *gone = NULL;
		pthread_mutex_lock(&s->mu);
		for (size_t b = 0; b < s->n_buckets; b++) {
			for (struct entry *e = s->buckets[b], *next; e; e = next) {
				next = e->next;
				if (e->negative || e->is_static)
					continue;
				bool match = key_id ? strcmp(e->id, key_id) == 0
						    : strcmp(e->owner_id, owner_id) == 0;
				if (!match)
					continue;
				bool was_dirty = e->dirty;
				unlink_locked(s, e);
				e->dirty = was_dirty;
				e->next = gone;
				gone = e;
			}
		}
		pthread_mutex_unlock(&s->mu);
		/* verified since the flush above: write those counters, then free */
		for (struct entry *e = gone, *next; e; e = next) {
			next = e->next;
			if (e->dirty) {
				struct gh_apikey_counters c = {.request_count = e->request_count,
							       .remaining = e->remaining,
							       .last_request = e->last_request,
							       .last_refill_at = e->last_refill_at};
				snprintf(c.id, sizeof c.id, "%s", e->id);
				store()->apikey_write_counters(&c, 1);
			}
			entry_free(e);
		}
	}
}

void apikey_forget(const char *key_id)
{
	forget_where(key_id, NULL);
}

void apikey_forget_owner(const char *owner_id)
{
	forget_where(NULL, owner_id);
}
