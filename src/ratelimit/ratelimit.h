/*
 * ratelimit — GCRA rate limiting, in process or on Redis.
 *
 * Semantics (GCRA, the "generic cell rate algorithm", equivalent to a
 * leaky bucket that admits bursts): a rule allows `limit` requests per
 * `window_ms`. Emission interval T = window_ms / limit; tolerance
 * tau = window_ms - T (so a fresh subject may burst `limit` requests at
 * once). Per key the state is one number, TAT (theoretical arrival time,
 * ms; kept exactly as ms + frac/limit since T is rarely whole, see
 * gcra.h). A request at time `now` is allowed iff max(TAT, now) + T -
 * window_ms <= now; then TAT = max(TAT, now) + T. Denied requests do not
 * change TAT. Durations below are rounded up to whole ms.
 *   remaining = floor((window_ms - (max(TAT,now) + T - now)) / T) after the
 *               request (0..limit-1 when allowed). When denied nothing is
 *               charged: each rule shows its current value
 *               floor((window_ms - (max(TAT,now) - now)) / T), which is 0
 *               for the rules that failed.
 *   reset_ms  = time until the bucket is full again = TAT - now (0 if idle)
 *   retry_after_ms (denied) = max(TAT, now) + T - window_ms - now, the
 *               largest among the failing rules; denied_index is the first.
 *
 * Several rules for one request are checked together, atomically: all pass
 * and all are charged, or the request is denied and none is charged. A key
 * given twice in one request is charged twice.
 *
 * Storage:
 *   local — sharded hash tables (no global lock), bounded memory (a fixed
 *           number of entries per shard; an entry whose TAT <= now is idle
 *           and reusable; eviction of the oldest when full).
 *   redis — hiredis async on one event-loop thread, one EVALSHA round trip
 *           per check (a Lua script doing the GCRA for all keys), pipelined
 *           (many checks in flight on one connection), a small pool of
 *           connections, reconnect with exponential backoff (100 ms..5 s).
 *           The script reads Redis's clock (TIME), so every node agrees;
 *           now_ms only serves the local store and the fallback.
 *           When Redis is unreachable, or a check has waited 1 s, each rule
 *           falls back per its `on_redis_failure`: LOCAL (in-process
 *           limits; default), OPEN (allow), CLOSED (deny with a 503-style
 *           result: store_failed, retry_after_ms 1000). Any CLOSED rule
 *           denies; otherwise the LOCAL rules decide and OPEN rules pass.
 *
 * Threads: ratelimit_start/stop on the main thread. ratelimit_check from any
 * thread; its callback runs either inline (local; return value true) or on
 * the Redis thread (return value false). A callback on the Redis thread must
 * not block (it delays every other check); it may call ratelimit_check.
 */
#ifndef GH_RATELIMIT_RATELIMIT_H
#define GH_RATELIMIT_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h" /* enum gh_rate_fail */

#define GH_RL_MAX_CHECKS 8
#define GH_RL_KEY_MAX 160

struct gh_rl_check {
	char key[GH_RL_KEY_MAX]; /* e.g. "r:per-ip:127.0.0.1"; unique per rule and subject */
	int64_t limit;           /* >= 1 */
	int64_t window_ms;       /* >= 1 */
	enum gh_rate_fail on_redis_failure;
	const char *policy_name; /* for RateLimit-Policy headers; static or owned by caller */
};

struct gh_rl_result {
	bool allowed;
	bool store_failed; /* Redis unreachable and a CLOSED rule denied */
	int denied_index;  /* which check denied (-1 if allowed) */
	/* per check, in order: */
	int64_t remaining[GH_RL_MAX_CHECKS];
	int64_t reset_ms[GH_RL_MAX_CHECKS];
	int64_t retry_after_ms; /* when denied */
};

typedef void (*gh_rl_done)(void *arg, const struct gh_rl_result *res);

/* redis_url NULL: local only. "redis://host:port[/db]" (no auth for now).
 * Returns 0 or -1 (bad URL, or already started). Redis being down at start
 * is not an error. Waits up to about 1 s for the first connection, so the
 * first requests do not all fall back. */
int ratelimit_start(const char *redis_url);
void ratelimit_stop(void);

/* Checks n (1..GH_RL_MAX_CHECKS) rules at time now_ms. Returns true when the
 * answer is already in *out (local mode, or Redis down with LOCAL/OPEN/CLOSED
 * fallback decided inline); false when done(arg, res) will be called later on
 * the Redis thread (then *out is untouched). */
bool ratelimit_check(const struct gh_rl_check *checks, int n, int64_t now_ms,
		     struct gh_rl_result *out, gh_rl_done done, void *arg);

/* Local-only check, always synchronous (the Redis fallback uses it too). */
void ratelimit_check_local(const struct gh_rl_check *checks, int n, int64_t now_ms,
			   struct gh_rl_result *out);

/* Uncharged state of each check in the in-process store: how many requests
 * would pass now and when the bucket is full again (GET /api/auth/rate-limit). */
void ratelimit_peek_local(const struct gh_rl_check *checks, int n, int64_t now_ms,
			  int64_t *remaining, int64_t *reset_ms);

/* "up", "down" or "disabled" (no Redis configured); for /readyz and /metrics. */
const char *ratelimit_redis_state(void);
/* counters for /metrics */
uint64_t ratelimit_denied_total(void);
uint64_t ratelimit_redis_errors_total(void);

#endif
