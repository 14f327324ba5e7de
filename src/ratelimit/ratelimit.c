/*
 * ratelimit — the public entry points (ratelimit.h): chooses the store per
 * check and applies each rule's on_redis_failure when Redis cannot answer.
 * The stores: local.c (in process), redis.c (Redis); the arithmetic: gcra.c.
 */
#include "ratelimit/ratelimit.h"

#include "ratelimit/gcra.h"
#include "ratelimit/local.h"
#include "ratelimit/redis.h"

#include <assert.h>
#include <stdatomic.h>

/* What a CLOSED rule tells the client to wait when Redis is unreachable. */
#define STORE_FAILED_RETRY_MS 1000

static atomic_uint_fast64_t denied_total;

int ratelimit_start(const char *redis_url)
{
	if (!redis_url || !*redis_url)
		return 0;
	struct redis_store_target target;
	if (redis_store_parse_url(redis_url, &target) != 0)
		return -1;
	return redis_store_start(&target);
}

void ratelimit_stop(void)
{
	redis_store_stop();
}

void ratelimit_note_result(const struct gh_rl_result *res)
{
	if (!res->allowed)
		atomic_fetch_add_explicit(&denied_total, 1, memory_order_relaxed);
}

void ratelimit_fail_over(const struct gh_rl_check *checks, int n, int64_t now_ms,
			 struct gh_rl_result *out)
{
	out->allowed = true;
	out->store_failed = false;
	out->denied_index = -1;
	out->retry_after_ms = 0;

	for (int i = 0; i < n; i++) {
		if (checks[i].on_redis_failure == GH_RATE_FAIL_CLOSED) {
			out->allowed = false;
			out->store_failed = true;
			out->denied_index = i;
			out->retry_after_ms = STORE_FAILED_RETRY_MS;
			for (int k = 0; k < n; k++) {
				out->remaining[k] = 0;
				out->reset_ms[k] = 0;
			}
			return;
		}
	}

	/* LOCAL rules, all or nothing among themselves; OPEN rules pass. */
	struct gh_rl_check local[GH_RL_MAX_CHECKS];
	int local_of[GH_RL_MAX_CHECKS];
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (checks[i].on_redis_failure == GH_RATE_FAIL_LOCAL) {
			local[m] = checks[i];
			local_of[m++] = i;
		}
	}
	struct gh_rl_result lr = {.allowed = true, .denied_index = -1};
	if (m > 0)
		ratelimit_check_local(local, m, now_ms, &lr);
	out->allowed = lr.allowed;
	out->retry_after_ms = lr.retry_after_ms;
	if (!lr.allowed)
		out->denied_index = local_of[lr.denied_index];
	for (int k = 0; k < m; k++) {
		out->remaining[local_of[k]] = lr.remaining[k];
		out->reset_ms[local_of[k]] = lr.reset_ms[k];
	}
	/* OPEN rules report a fresh bucket: charged by this request if it
	 * passes, untouched otherwise. */
	for (int i = 0; i < n; i++) {
		if (checks[i].on_redis_failure != GH_RATE_FAIL_OPEN)
			continue;
		if (out->allowed) {
			struct gcra_outcome o;
			gcra_decide(checks[i].limit, checks[i].window_ms, (struct gcra_tat){0, 0},
				    now_ms, &o);
			out->remaining[i] = o.remaining;
			out->reset_ms[i] = o.reset_ms;
		} else {
			out->remaining[i] = gcra_clamp_limit(checks[i].limit);
			out->reset_ms[i] = 0;
		}
	}
}

bool ratelimit_check(const struct gh_rl_check *checks, int n, int64_t now_ms,
		     struct gh_rl_result *out, gh_rl_done done, void *arg)
{
	assert(n >= 0 && n <= GH_RL_MAX_CHECKS);
	if (n < 0)
		n = 0;
	if (n > GH_RL_MAX_CHECKS)
		n = GH_RL_MAX_CHECKS;

	switch (redis_store_state()) {
	case REDIS_STORE_DISABLED: ratelimit_check_local(checks, n, now_ms, out); break;
	case REDIS_STORE_UP:
		if (n > 0 && redis_store_submit(checks, n, now_ms, done, arg))
			return false;
		ratelimit_fail_over(checks, n, now_ms, out);
		break;
	case REDIS_STORE_DOWN:
	default: ratelimit_fail_over(checks, n, now_ms, out); break;
	}
	ratelimit_note_result(out);
	return true;
}

const char *ratelimit_redis_state(void)
{
	switch (redis_store_state()) {
	case REDIS_STORE_UP: return "up";
	case REDIS_STORE_DOWN: return "down";
	case REDIS_STORE_DISABLED:
	default: return "disabled";
	}
}

uint64_t ratelimit_denied_total(void)
{
	return atomic_load_explicit(&denied_total, memory_order_relaxed);
}

uint64_t ratelimit_redis_errors_total(void)
{
	return redis_store_errors();
}
