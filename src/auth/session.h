/*
 * session — Better-Auth sessions: creation, the signed session cookie, the
 * bearer form, sliding expiry and revocation, with an in-memory cache in
 * front of the store so get-session and forward-auth never touch the
 * database on the hot path (REFERENCE-better-auth §3).
 *
 *   cookie  <prefix>.session_token = encodeURIComponent(token.sig)
 *           ("__Secure-" in front when base_url is https)
 *   bearer  Authorization: Bearer <token.sig>  (the bearer plugin)
 *   expiry  expires_in (7 d); refreshed when expiresAt - expires_in +
 *           update_age <= now (after 1 d); rememberMe=false: 1 d, a session
 *           cookie, a signed dont_remember cookie, never extended.
 *
 * Owns: the session cache. Invariant: every store write that ends or changes
 * a session or its user goes through session_forget / session_forget_user
 * here, so the cache never answers for a revoked session.
 *
 * Threads: session_resolve may run on HTTP threads (store read only on a
 * cache miss). session_create and the revoke functions write: worker threads.
 */
#ifndef GH_AUTH_SESSION_H
#define GH_AUTH_SESSION_H

#include <stdbool.h>

#include "auth/token.h"
#include "store/store.h"

struct gh_config;
struct gh_request;

int session_init(const struct gh_config *cfg);
void session_shutdown(void);

/* A resolved session: the row, its user, and the raw token it came with. */
struct gh_auth {
	struct gh_session session;
	struct gh_user user;
	char token[GH_TOKEN_LEN + 1];
	bool from_bearer;
	/* from the cache: get-session's answer is json_head + token + json_tail
	 * (request-arena copies; NULL when not cached) */
	const char *json_head, *json_tail;
};

enum gh_resolve {
	GH_RESOLVE_NONE, /* no credential, bad signature, unknown or expired token */
	GH_RESOLVE_OK,
	GH_RESOLVE_ERROR, /* store failure: answer 500/503 */
};

/* Reads the session cookie or the bearer token. bypass_cache: read the store
 * (sensitive endpoints). */
enum gh_resolve session_resolve(struct gh_request *req, struct gh_auth *out, bool bypass_cache);

/* Creates a session for user (new random token every time: no fixation),
 * recording the client's IP and user agent; sets the cookies and the
 * set-auth-token header on req. Returns 0 or -1. */
int session_create(struct gh_request *req, const struct gh_user *user, bool remember_me,
		   struct gh_auth *out);

/* Extends the session if due (see above): new expiry in *auth, the cookie set
 * again, and the store write queued on a worker. True when refreshed. */
bool session_refresh_if_due(struct gh_request *req, struct gh_auth *auth);

/* Whether the session was created within fresh_age. */
bool session_is_fresh(const struct gh_auth *auth);

/* The optional signed cookie cache (cookie_cache.enabled): when the
 * session_data cookie is valid, unexpired and belongs to the presented
 * token, the {session, user} answer it holds (malloc'd); otherwise NULL. */
char *session_answer_from_cookie_cache(struct gh_request *req);
/* Sets a fresh session_data cookie for `a` (no-op when the cache is off). */
void session_refresh_data_cookie(struct gh_request *req, const struct gh_auth *a);

/* Expires the session cookies on the response. */
void session_clear_cookies(struct gh_request *req);

/* Store deletion + cache invalidation. user_id NULL: whoever owns it (admin). */
int session_revoke(const char *session_id, const char *user_id);
int session_revoke_user(const char *user_id, const char *except_session_id);
/* Drops cached sessions of a user whose row changed (profile, role, ban). */
void session_forget_user(const char *user_id);

#endif
