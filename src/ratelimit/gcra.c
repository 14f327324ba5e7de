/*
 * gcra — see gcra.h. The algorithm is ITU-T I.371's virtual scheduling
 * form of the GCRA (the "TAT" formulation used by redis-cell/CL.THROTTLE and
 * by Brandur Leach's throttled), with the burst tolerance chosen so that a
 * fresh key passes exactly `limit` requests at once:
 *
 *     T = window / limit, tau = window - T
 *     allowed  <=>  max(TAT, now) + T - window <= now
 *     then TAT = max(TAT, now) + T
 *
 * Invariant kept by every function here: 0 <= frac < limit.
 */
#include "ratelimit/gcra.h"

#include <assert.h>

/* 128-bit intermediate for (window - d) * limit, up to ~2^65. */
__extension__ typedef __int128 gcra_wide;

int64_t gcra_clamp_limit(int64_t limit)
{
	return limit < 1 ? 1 : limit > GCRA_LIMIT_MAX ? GCRA_LIMIT_MAX : limit;
}

int64_t gcra_clamp_window(int64_t window_ms)
{
	return window_ms < 1 ? 1 : window_ms > GCRA_WINDOW_MAX_MS ? GCRA_WINDOW_MAX_MS : window_ms;
}

bool gcra_tat_idle(struct gcra_tat tat, int64_t now_ms)
{
	return tat.ms < now_ms || (tat.ms == now_ms && tat.frac == 0);
}

struct gcra_tat gcra_tat_rescale(struct gcra_tat tat, int64_t from_limit, int64_t to_limit)
{
	if (from_limit == to_limit && tat.frac >= 0 && tat.frac < to_limit)
		return tat;
	if (tat.frac != 0)
		tat.ms++;
	tat.frac = 0;
	return tat;
}

/* floor(((window - dms) * limit - frac) / window) clamped to 0..limit: how
 * many emission intervals fit between a TAT that is dms + frac/limit ms
 * ahead of now and the end of the tolerance. */
static int64_t intervals_left(int64_t limit, int64_t window_ms, int64_t dms, int64_t frac)
{
	gcra_wide num = (gcra_wide)(window_ms - dms) * limit - frac;
	if (num <= 0)
		return 0;
	gcra_wide r = num / window_ms;
	return r > limit ? limit : (int64_t)r;
}

void gcra_decide(int64_t limit, int64_t window_ms, struct gcra_tat tat, int64_t now_ms,
		 struct gcra_outcome *out)
{
	limit = gcra_clamp_limit(limit);
	window_ms = gcra_clamp_window(window_ms);
	assert(tat.frac >= 0 && tat.frac < limit);

	struct gcra_tat base = gcra_tat_idle(tat, now_ms) ? (struct gcra_tat){now_ms, 0} : tat;
	struct gcra_tat charged = {base.ms + window_ms / limit, base.frac + window_ms % limit};
	if (charged.frac >= limit) {
		charged.frac -= limit;
		charged.ms++;
	}
	out->charged = charged;

	/* allowed <=> (charged.ms - window, charged.frac) <= (now, 0) */
	int64_t over_ms = charged.ms - window_ms - now_ms;
	out->allowed = over_ms < 0 || (over_ms == 0 && charged.frac == 0);
	if (out->allowed) {
		int64_t dms = charged.ms - now_ms;
		out->remaining = intervals_left(limit, window_ms, dms, charged.frac);
		out->reset_ms = dms + (charged.frac > 0);
		out->retry_after_ms = 0;
	} else {
		gcra_peek(limit, window_ms, tat, now_ms, &out->remaining, &out->reset_ms);
		out->retry_after_ms = over_ms + (charged.frac > 0);
	}
}

void gcra_peek(int64_t limit, int64_t window_ms, struct gcra_tat tat, int64_t now_ms,
	       int64_t *remaining, int64_t *reset_ms)
{
	limit = gcra_clamp_limit(limit);
	window_ms = gcra_clamp_window(window_ms);
	if (gcra_tat_idle(tat, now_ms)) {
		*remaining = limit;
		*reset_ms = 0;
		return;
	}
	int64_t dms = tat.ms - now_ms;
	*remaining = intervals_left(limit, window_ms, dms, tat.frac);
	*reset_ms = dms + (tat.frac > 0);
}

bool gcra_decide_all(const struct gh_rl_check *checks, int n, const int *same_key_as,
		     const struct gcra_tat *before, int64_t now_ms, struct gcra_tat *after,
		     struct gh_rl_result *out)
{
	assert(n >= 0 && n <= GH_RL_MAX_CHECKS);
	struct gcra_outcome o[GH_RL_MAX_CHECKS];
	struct gcra_tat used[GH_RL_MAX_CHECKS]; /* the TAT each decision started from */

	out->allowed = true;
	out->store_failed = false;
	out->denied_index = -1;
	out->retry_after_ms = 0;
	for (int i = 0; i < n; i++) {
		int64_t limit = gcra_clamp_limit(checks[i].limit);
		int j = same_key_as ? same_key_as[i] : -1;
		assert(j < i);
		used[i] = j >= 0 ? gcra_tat_rescale(o[j].charged, gcra_clamp_limit(checks[j].limit),
						    limit)
				 : before[i];
		gcra_decide(limit, checks[i].window_ms, used[i], now_ms, &o[i]);
		if (!o[i].allowed) {
			if (out->allowed)
				out->denied_index = i;
			out->allowed = false;
			if (o[i].retry_after_ms > out->retry_after_ms)
				out->retry_after_ms = o[i].retry_after_ms;
		}
	}
	for (int i = 0; i < n; i++) {
		if (out->allowed) {
			after[i] = o[i].charged;
			out->remaining[i] = o[i].remaining;
			out->reset_ms[i] = o[i].reset_ms;
		} else {
			after[i] = before[i];
			gcra_peek(checks[i].limit, checks[i].window_ms, used[i], now_ms,
				  &out->remaining[i], &out->reset_ms[i]);
		}
	}
	return out->allowed;
}
