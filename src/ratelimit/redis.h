/*
 * redis — the Redis store behind ratelimit_check() when a redis_url is
 * configured. Internal to src/ratelimit/, its tests and its fuzz target.
 *
 * One thread runs an epoll loop that drives hiredis's async API (our own
 * adapter for its ev.addRead/... hooks) over a pool of connections used
 * round-robin. Other threads hand checks over through a mutex-protected
 * queue and an eventfd. Each check is one EVALSHA of a Lua script (below)
 * doing GCRA for all of the request's keys at Redis's own clock
 * (redis.call('TIME')), charging them only if all pass. Replies come back in
 * order per connection, so many checks are in flight at once (pipelining).
 *
 * Failure handling: a connection that fails, or whose oldest command has
 * waited RL_REDIS_TIMEOUT_MS, is dropped; the checks in flight on it are
 * answered by ratelimit_fail_over() (each rule's on_redis_failure) and the
 * connection is retried after 100 ms, doubling to 5 s. The store is "up"
 * while at least one connection is ready.
 *
 * Threads: start/stop on the main thread; submit/state/errors from any;
 * callbacks (done) run on the Redis thread and must not block.
 */
#ifndef GH_RATELIMIT_REDIS_H
#define GH_RATELIMIT_REDIS_H

#include <stdbool.h>
#include <stdint.h>

#include "ratelimit/ratelimit.h"

struct redisReply;

#define RL_REDIS_POOL_DEFAULT 2
#define RL_REDIS_POOL_MAX 8
#define RL_REDIS_TIMEOUT_MS 1000 /* per command, and per connect + handshake */
#define RL_REDIS_BACKOFF_MIN_MS 100
#define RL_REDIS_BACKOFF_MAX_MS 5000
#define RL_REDIS_KEY_PREFIX "gh:rl:"

enum redis_store_state { REDIS_STORE_DISABLED, REDIS_STORE_DOWN, REDIS_STORE_UP };

struct redis_store_target {
	char host[256];
	int port; /* default 6379 */
	int db;   /* default 0 */
};

/* "redis://host[:port][/db]"; host may be "[v6addr]". 0 or -1. */
int redis_store_parse_url(const char *url, struct redis_store_target *out);

/* Starts the thread and waits (at most about RL_REDIS_TIMEOUT_MS) for the
 * first connection to be ready or to fail, so the first requests do not all
 * fall back. 0, or -1 when already started or out of resources. */
int redis_store_start(const struct redis_store_target *target);
/* Drops the connections (checks in flight are answered by the fallback) and
 * joins the thread. The Redis data (the TATs) stays, of course. */
void redis_store_stop(void);

enum redis_store_state redis_store_state(void);

/* Queues one check; done(arg, res) runs later on the Redis thread. false when
 * the store is not running (the caller falls back inline). */
bool redis_store_submit(const struct gh_rl_check *checks, int n, int64_t now_ms, gh_rl_done done,
			void *arg);

/* Failed or timed-out commands and failed connections, since the process
 * started. */
uint64_t redis_store_errors(void);

/* BENCHMARKS AND TESTS ONLY: connections in the pool at the next start
 * (1..RL_REDIS_POOL_MAX; default RL_REDIS_POOL_DEFAULT). */
void redis_store_set_pool_size(int n);

/* The Lua script, its contract written above it in redis.c. */
extern const char redis_store_script[];

/* Turns the script's reply into a result: checks the shape (an array of
 * 2 + 2n integers: allowed, now_ms, then each key's TAT before the request as
 * ms, frac), recomputes every derived value with gcra_decide_all() and
 * requires the same decision. 0, or -1 for any reply it does not expect. */
int redis_store_parse_reply(const struct redisReply *reply, const struct gh_rl_check *checks, int n,
			    struct gh_rl_result *out);

/* Provided by ratelimit.c, used by the Redis thread: */
/* the per-rule on_redis_failure policy (see ratelimit.h) */
void ratelimit_fail_over(const struct gh_rl_check *checks, int n, int64_t now_ms,
			 struct gh_rl_result *out);
/* counts a result for the /metrics counters */
void ratelimit_note_result(const struct gh_rl_result *res);

#endif
