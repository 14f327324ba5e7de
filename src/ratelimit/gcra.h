/*
 * gcra — the pure arithmetic of the generic cell rate algorithm, shared by
 * the in-process store (local.c) and the Redis store (redis.c), so both give
 * the same answers to the same TATs. No state, no clock, no locks.
 *
 * Exactness. The emission interval T = window_ms / limit is usually not a
 * whole number of milliseconds (3 per 10 s: T = 3333.33 ms), and rounding it
 * either way lets the long-run rate drift from the configured one. So a TAT
 * is kept as an exact rational with the rule's limit as denominator:
 *
 *     TAT = ms + frac / limit      0 <= frac < limit
 *
 * and T = q + r / limit with q = window_ms / limit, r = window_ms % limit.
 * Deciding needs only additions and comparisons of such pairs: every number
 * stays below 2^53 (ms since 1970 ~ 2^41, window <= 1 year ~ 2^35, limit <=
 * 1e9 ~ 2^30), so the Redis Lua script, whose numbers are doubles, computes
 * exactly the same decisions. The derived values (remaining) need one product
 * window * limit of up to 2^65, done here in 128 bits.
 *
 * Limits are clamped to 1..GCRA_LIMIT_MAX and windows to 1..GCRA_WINDOW_MAX_MS
 * (config validation should have refused anything outside already).
 *
 * Threads: any (pure functions).
 */
#ifndef GH_RATELIMIT_GCRA_H
#define GH_RATELIMIT_GCRA_H

#include <stdbool.h>
#include <stdint.h>

#include "ratelimit/ratelimit.h"

#define GCRA_LIMIT_MAX 1000000000LL
#define GCRA_WINDOW_MAX_MS (366LL * 24 * 3600 * 1000)

/* A theoretical arrival time: ms + frac/limit milliseconds since the epoch
 * of the clock in use; {0, 0} (or anything <= now) means an idle key. */
struct gcra_tat {
	int64_t ms;
	int64_t frac; /* 0 <= frac < the rule's limit */
};

struct gcra_outcome {
	bool allowed;
	struct gcra_tat charged; /* max(TAT, now) + T: the TAT to store if charged */
	int64_t remaining;       /* allowed: after charging; denied: uncharged (0 here) */
	int64_t reset_ms;        /* allowed: ceil(charged - now); denied: ceil(TAT - now) */
	int64_t retry_after_ms;  /* denied: ceil(charged - window - now); allowed: 0 */
};

int64_t gcra_clamp_limit(int64_t limit);
int64_t gcra_clamp_window(int64_t window_ms);

/* (a) <= (now, 0): the key is idle, its slot reusable. */
bool gcra_tat_idle(struct gcra_tat tat, int64_t now_ms);

/* A TAT stored under another limit (the rule changed on reload): keeps the
 * whole milliseconds and rounds a fraction up, so a change never grants
 * extra requests. */
struct gcra_tat gcra_tat_rescale(struct gcra_tat tat, int64_t from_limit, int64_t to_limit);

/* One key: the decision for one request at now_ms given the stored TAT. */
void gcra_decide(int64_t limit, int64_t window_ms, struct gcra_tat tat, int64_t now_ms,
		 struct gcra_outcome *out);

/* One key, uncharged: how many requests would pass now, and when it is full. */
void gcra_peek(int64_t limit, int64_t window_ms, struct gcra_tat tat, int64_t now_ms,
	       int64_t *remaining, int64_t *reset_ms);

/*
 * All the rules of one request, all or nothing. before[i] is check i's stored
 * TAT, already in check i's limit (see gcra_tat_rescale). same_key_as[i] is
 * the index of an earlier check with the same key, or -1 (NULL: no repeats):
 * a repeated key is decided on the TAT the earlier check would leave, as if
 * the two were charged one after the other. Fills *out completely:
 *   allowed      every rule passes; after[i] = TAT to store for check i
 *                (the last one wins for a repeated key);
 *   denied       denied_index = first rule that fails, retry_after_ms = the
 *                largest wait among the failing rules; after[i] = before[i];
 *                remaining/reset per rule are the uncharged values, so the
 *                failing rules show remaining 0.
 * store_failed is set false. Returns out->allowed.
 */
bool gcra_decide_all(const struct gh_rl_check *checks, int n, const int *same_key_as,
		     const struct gcra_tat *before, int64_t now_ms, struct gcra_tat *after,
		     struct gh_rl_result *out);

#endif
