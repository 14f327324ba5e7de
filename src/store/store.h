/*
 * store — the one storage interface. Handlers and auth modules call store_*;
 * a backend (sqlite.c now, postgres.c next) implements struct gh_store_backend.
 * The store never speaks HTTP; handlers never see SQL.
 *
 * Records are plain structs with fixed-size fields (limits enforced by
 * auth/validate before anything reaches the store), so no ownership crosses
 * the interface. Times are Unix milliseconds; 0 means NULL for optional times.
 *
 * Results: GH_STORE_OK, GH_STORE_NOT_FOUND, GH_STORE_CONFLICT (a unique key
 * already exists), GH_STORE_ERROR (logged by the backend; answer 500/503).
 *
 * Threads: any thread may call any function; backends keep one connection per
 * thread. Writes should run on worker threads (see docs/architecture.md).
 */
#ifndef GH_STORE_STORE_H
#define GH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_ID_LEN 32
#define GH_HASH_LEN 32
#define GH_NAME_MAX 255
#define GH_EMAIL_MAX 254
#define GH_IMAGE_MAX 2048
#define GH_USERNAME_MAX 30
#define GH_ROLE_MAX 63
#define GH_UA_MAX 511
#define GH_PASSWORD_HASH_STORE_MAX 256

enum gh_store_result {
	GH_STORE_OK = 0,
	GH_STORE_NOT_FOUND = 1,
	GH_STORE_CONFLICT = 2,
	GH_STORE_ERROR = -1,
};

struct gh_user {
	char id[GH_ID_LEN + 1];
	char name[GH_NAME_MAX + 1];
	char email[GH_EMAIL_MAX + 1];
	bool email_verified;
	bool has_image;
	char image[GH_IMAGE_MAX + 1];
	int64_t created_at, updated_at;
	char role[GH_ROLE_MAX + 1];
	bool banned;
	bool has_ban_reason;
	char ban_reason[GH_NAME_MAX + 1];
	int64_t ban_expires;
	bool has_username;
	char username[GH_USERNAME_MAX + 1];         /* lower-cased */
	char display_username[GH_USERNAME_MAX + 1]; /* as typed */
};

struct gh_session {
	char id[GH_ID_LEN + 1];
	uint8_t token_hash[GH_HASH_LEN];
	char user_id[GH_ID_LEN + 1];
	int64_t expires_at, created_at, updated_at;
	char ip[64];
	char user_agent[GH_UA_MAX + 1];
	bool remember_me;
};

/* Fields of a profile update; a NULL pointer leaves the column unchanged. */
struct gh_user_update {
	const char *name;
	const char *image;
	bool clear_image;
	const char *username; /* lower-cased */
	const char *display_username;
	int64_t updated_at;
};

#define GH_KEY_NAME_MAX 64
#define GH_KEY_PREFIX_MAX 32
#define GH_KEY_HASH_MAX 64
#define GH_KEY_JSON_MAX 4096

/* An API key row (Better-Auth's apikey). Optional integers use -1 for NULL. */
struct gh_apikey {
	char id[GH_ID_LEN + 1];
	bool has_name;
	char name[GH_KEY_NAME_MAX + 1];
	char start[16];
	bool has_prefix;
	char prefix[GH_KEY_PREFIX_MAX + 1];
	char key_hash[GH_KEY_HASH_MAX + 1];
	char reference_id[GH_ID_LEN + 1]; /* owner (user id) */
	int64_t refill_interval, refill_amount, last_refill_at;
	bool enabled;
	bool rate_limit_enabled;
	int64_t rate_limit_window, rate_limit_max;
	int64_t request_count;
	int64_t remaining;
	int64_t last_request, expires_at;
	int64_t created_at, updated_at;
	char permissions[GH_KEY_JSON_MAX]; /* JSON object text, "" = NULL */
	char metadata[GH_KEY_JSON_MAX];    /* JSON text, "" = NULL */
};

/* Counters written in batches (apikey flush). */
struct gh_apikey_counters {
	char id[GH_ID_LEN + 1];
	int64_t request_count, remaining, last_request, last_refill_at;
};

/* Admin user search (Better-Auth list-users). Fields are whitelisted by the
 * backend: search on email|name; filter on id|email|name|role|banned|
 * emailVerified; sort on createdAt|updatedAt|email|name|role. */
struct gh_user_query {
	const char *search_field, *search_value, *search_op; /* contains|starts_with|ends_with */
	const char *filter_field, *filter_value, *filter_op; /* eq|ne|lt|lte|gt|gte|contains */
	const char *sort_by;
	bool sort_desc;
	int limit, offset;
};

typedef void (*gh_apikey_cb)(const struct gh_apikey *k, void *ctx);
typedef void (*gh_session_cb)(const struct gh_session *s, void *ctx);
typedef void (*gh_user_cb)(const struct gh_user *u, void *ctx);

struct gh_store_backend {
	const char *name;
	int (*open)(const char *url);
	void (*close)(void);
	int (*migrate)(int *applied);
	int (*ping)(void);

	int (*user_insert)(const struct gh_user *u, const char *account_id,
			   const char *password_hash);
	int (*user_by_id)(const char *id, struct gh_user *out);
	int (*user_by_email)(const char *email, struct gh_user *out);
	int (*user_by_username)(const char *username, struct gh_user *out);
	int (*user_update)(const char *id, const struct gh_user_update *upd);
	int (*user_set_role)(const char *id, const char *role, int64_t now);
	int (*user_delete)(const char *id);
	int (*user_count)(int64_t *n);
	int (*user_list)(int offset, int limit, gh_user_cb cb, void *ctx);
	/* GH_STORE_CONFLICT for an unknown field or operator */
	int (*user_search)(const struct gh_user_query *q, gh_user_cb cb, void *ctx, int64_t *total);
	int (*user_set_ban)(const char *id, bool banned, const char *reason, int64_t expires,
			    int64_t now);
	int (*user_set_email)(const char *id, const char *email, bool verified, int64_t now);

	int (*credential_get)(const char *user_id, char out[GH_PASSWORD_HASH_STORE_MAX + 1]);
	int (*credential_set)(const char *user_id, const char *password_hash, int64_t now);
	int (*credential_insert)(const char *user_id, const char *account_id,
				 const char *password_hash, int64_t now);

	int (*session_insert)(const struct gh_session *s);
	int (*session_by_hash)(const uint8_t hash[GH_HASH_LEN], struct gh_session *s,
			       struct gh_user *u);
	int (*session_list)(const char *user_id, gh_session_cb cb, void *ctx);
	int (*session_touch)(const char *id, int64_t expires_at, int64_t updated_at);
	/* user_id NULL: by id alone (admin) */
	int (*session_delete)(const char *id, const char *user_id);
	/* every session of user_id, except except_id when not NULL */
	int (*session_delete_user)(const char *user_id, const char *except_id);

	int (*verification_put)(const char *identifier, const char *value, int64_t expires_at,
				int64_t now);
	/* Reads and deletes in one transaction: a token works once. */
	int (*verification_take)(const char *identifier, char *value, size_t valuesz,
				 int64_t *expires_at);

	int (*apikey_insert)(const struct gh_apikey *k);
	/* by stored hash, with the owner */
	int (*apikey_by_hash)(const char *key_hash, struct gh_apikey *k, struct gh_user *owner);
	int (*apikey_by_id)(const char *id, struct gh_apikey *k);
	int (*apikey_list)(const char *owner_id, int limit, int offset, gh_apikey_cb cb, void *ctx,
			   int64_t *total);
	/* writes every mutable column of k */
	int (*apikey_update)(const struct gh_apikey *k);
	int (*apikey_delete)(const char *id);
	/* one transaction for the whole batch */
	int (*apikey_write_counters)(const struct gh_apikey_counters *c, int n);

	int (*meta_get)(const char *key, char *value, size_t valuesz);
	int (*meta_put)(const char *key, const char *value);
};

/* Opens the backend named by the URL scheme ("sqlite:path"). */
int store_open(const char *database_url);
void store_close(void);
/* The open backend; handlers call through this. */
const struct gh_store_backend *store(void);

extern const struct gh_store_backend gh_store_sqlite;

#endif
