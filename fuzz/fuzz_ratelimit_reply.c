/*
 * fuzz_ratelimit_reply.c — libFuzzer target for the Redis store's reply
 * handling (src/ratelimit/redis.c redis_store_parse_reply): whatever a Redis
 * server, a proxy in between or a corrupted stream sends back to the rate
 * limit script is parsed by hiredis's RESP reader, then checked and turned
 * into a result by gatehouse.
 *
 * Input: one control byte (which rule set and how many rules, 1..8), then
 * RESP bytes, e.g. "*4\r\n:1\r\n:1000\r\n:0\r\n:0\r\n".
 *
 * Invariants checked, beyond ASan/UBSan cleanliness: a reply is accepted
 * only as an array of 2 + 2n integers; an accepted reply gives a complete,
 * consistent result: allowed <=> denied_index == -1, denied_index names a
 * rule, 0 <= remaining <= limit, reset_ms >= 0, retry_after_ms > 0 exactly
 * when denied, never store_failed.
 */
#include <stdbool.h>

#include <hiredis/hiredis.h>

#include "fuzz_input.h"
#include "ratelimit/gcra.h"
#include "ratelimit/redis.h"

static struct gh_rl_check make_rule(int i, int variant)
{
	static const int64_t limits[] = {1, 3, 10, 1000, 1000000000, 7};
	static const int64_t windows[] = {1, 10000, 60000, 1000, 366LL * 24 * 3600 * 1000, 3};
	struct gh_rl_check c = {.on_redis_failure = GH_RATE_FAIL_LOCAL};
	c.limit = limits[(i + variant) % 6];
	c.window_ms = windows[(i * 5 + variant) % 6];
	snprintf(c.key, sizeof c.key, "r:fuzz:%d", i);
	return c;
}

/* hiredis 0.14's reader allocates whatever a "*<count>" header announces
 * (1.x added a cap): that is trust in the server, not a bug of ours, so
 * inputs announcing more than a few thousand elements are skipped. */
static bool announces_huge_array(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '*')
			continue;
		long count = 0;
		for (size_t k = i + 1; k < size && k < i + 12 && data[k] >= '0' && data[k] <= '9';
		     k++)
			count = count * 10 + (data[k] - '0');
		if (count > 4096)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t control = fuzz_take_u8(&data, &size);
	if (announces_huge_array(data, size))
		return 0;
	int n = 1 + (control & 7);
	int variant = control >> 3;
	struct gh_rl_check checks[GH_RL_MAX_CHECKS];
	for (int i = 0; i < n; i++)
		checks[i] = make_rule(i, variant);

	redisReader *reader = redisReaderCreate();
	FUZZ_CHECK(reader);
	if (redisReaderFeed(reader, (const char *)data, size) == REDIS_OK) {
		void *reply = NULL;
		/* every complete reply in the input, as the async loop would see them */
		for (int k = 0; k < 16 && redisReaderGetReply(reader, &reply) == REDIS_OK && reply;
		     k++) {
			const redisReply *r = reply;
			struct gh_rl_result res;
			if (redis_store_parse_reply(r, checks, n, &res) == 0) {
				FUZZ_CHECK(r->type == REDIS_REPLY_ARRAY &&
					   r->elements == (size_t)(2 + 2 * n));
				FUZZ_CHECK(res.allowed == (res.denied_index == -1));
				FUZZ_CHECK(res.denied_index >= -1 && res.denied_index < n);
				FUZZ_CHECK(!res.store_failed);
				FUZZ_CHECK(res.allowed ? res.retry_after_ms == 0
						       : res.retry_after_ms > 0);
				for (int i = 0; i < n; i++) {
					FUZZ_CHECK(res.remaining[i] >= 0 &&
						   res.remaining[i] <=
						       gcra_clamp_limit(checks[i].limit));
					FUZZ_CHECK(res.reset_ms[i] >= 0);
				}
			}
			freeReplyObject(reply);
			reply = NULL;
		}
	}
	redisReaderFree(reader);
	return 0;
}
