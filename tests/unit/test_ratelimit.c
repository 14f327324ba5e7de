/*
 * Unit tests for ratelimit: the GCRA arithmetic (gcra.c), the in-process
 * store (local.c), the failure policy (ratelimit.c) and the pure parts of the
 * Redis store (URL and reply parsing). test_ratelimit_redis.c drives a real
 * Redis.
 *
 * GATEHOUSE_BENCH=1 also prints the cost of a local check (1 and 2 threads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <hiredis/hiredis.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ratelimit/gcra.h"
#include "ratelimit/local.h"
#include "ratelimit/ratelimit.h"
#include "ratelimit/redis.h"

#define NOW 1700000000000LL /* a fixed wall-clock time, ms */
#define YEAR_MS (366LL * 24 * 3600 * 1000)

static struct gh_rl_check rule(const char *key, int64_t limit, int64_t window_ms)
{
	struct gh_rl_check c = {.limit = limit,
				.window_ms = window_ms,
				.on_redis_failure = GH_RATE_FAIL_LOCAL,
				.policy_name = "test"};
	snprintf(c.key, sizeof c.key, "%s", key);
	return c;
}

static struct gh_rl_result check1(const struct gh_rl_check *c, int64_t now)
{
	struct gh_rl_result r;
	memset(&r, 0x5a, sizeof r); /* every field must be written */
	ratelimit_check_local(c, 1, now, &r);
	return r;
}

static int reset_tables(void **state)
{
	(void)state;
	ratelimit_local_reset();
	return 0;
}

/* ---- gcra.c ------------------------------------------------------------- */

/* The contract's example: 3 per 10 s; T = 3333.33 ms is not a whole ms. */
static void three_per_ten_seconds(void **state)
{
	(void)state;
	struct gh_rl_check c = rule("r:t:ip", 3, 10000);
	int allowed = 0;
	struct gh_rl_result r[10];
	for (int i = 0; i < 10; i++) {
		r[i] = check1(&c, NOW);
		allowed += r[i].allowed;
	}
	assert_int_equal(allowed, 3);
	assert_true(r[0].allowed && r[1].allowed && r[2].allowed);
	assert_int_equal(r[0].remaining[0], 2);
	assert_int_equal(r[1].remaining[0], 1);
	assert_int_equal(r[2].remaining[0], 0);
	assert_int_equal(r[0].reset_ms[0], 3334);  /* ceil(3333.33) */
	assert_int_equal(r[1].reset_ms[0], 6667);  /* ceil(6666.67) */
	assert_int_equal(r[2].reset_ms[0], 10000); /* exactly full */
	assert_int_equal(r[0].denied_index, -1);
	assert_false(r[0].store_failed);
	for (int i = 3; i < 10; i++) {
		assert_false(r[i].allowed);
		assert_int_equal(r[i].denied_index, 0);
		assert_int_equal(r[i].remaining[0], 0);
		assert_int_equal(r[i].reset_ms[0], 10000);
		assert_int_equal(r[i].retry_after_ms, 3334); /* ceil(10/3 s) */
	}
	/* 10/3 s later, and not one ms before */
	struct gh_rl_result early = check1(&c, NOW + 3333);
	assert_false(early.allowed);
	assert_int_equal(early.retry_after_ms, 1);
	struct gh_rl_result on_time = check1(&c, NOW + 3334);
	assert_true(on_time.allowed);
	assert_int_equal(on_time.remaining[0], 0);
	assert_false(check1(&c, NOW + 3334).allowed);
	/* the next one at 20/3 s (6666.67 -> 6667), not 6668 = 2 * 3334 */
	assert_false(check1(&c, NOW + 6666).allowed);
	assert_true(check1(&c, NOW + 6667).allowed);
	/* after a full window of silence, a full burst again */
	for (int i = 0; i < 3; i++)
		assert_true(check1(&c, NOW + 6667 + 10000).allowed);
	assert_false(check1(&c, NOW + 6667 + 10000).allowed);
}

/* Over a long run the rate is exactly limit/window: a rounded T would drift
 * (T = 3333 ms lets through one extra request every 10,000). */
static void no_drift_over_a_long_run(void **state)
{
	(void)state;
	struct gh_rl_check c = rule("r:drift", 3, 10000);
	struct gcra_tat tat = {0, 0};
	int64_t now = 0, allowed = 0;
	const int64_t end = 1000000000; /* 11.6 days */
	while (now <= end) {
		struct gcra_outcome o;
		gcra_decide(c.limit, c.window_ms, tat, now, &o);
		if (o.allowed) {
			allowed++;
			tat = o.charged;
		} else {
			now += o.retry_after_ms; /* the earliest time it can pass */
		}
	}
	/* the burst of 3, then one every 10/3 s: k * 10000/3 <= 1e9 */
	assert_int_equal(allowed, 3 + 300000);
}

static void extreme_limits_do_not_overflow(void **state)
{
	(void)state;
	struct gcra_outcome o;
	/* 1e9 per year: T = 31.6224 ms */
	gcra_decide(1000000000, YEAR_MS, (struct gcra_tat){0, 0}, NOW, &o);
	assert_true(o.allowed);
	assert_int_equal(o.remaining, 999999999);
	assert_int_equal(o.reset_ms, 32);
	/* a full bucket: TAT = now + window */
	gcra_decide(1000000000, YEAR_MS, (struct gcra_tat){NOW + YEAR_MS, 0}, NOW, &o);
	assert_false(o.allowed);
	assert_int_equal(o.retry_after_ms, 32);
	assert_int_equal(o.remaining, 0);
	assert_int_equal(o.reset_ms, YEAR_MS);
	/* one request short of full */
	/* TAT = now + W - T exactly: T = 31 + 622400000/1e9, W - T = (W - 32) + 0.3776 */
	struct gcra_tat almost = {NOW + YEAR_MS - 32, 377600000};
	gcra_decide(1000000000, YEAR_MS, almost, NOW, &o);
	assert_true(o.allowed);
	assert_int_equal(o.remaining, 0);
	/* 1e9 per ms: T = 1e-9 ms, a billion at once */
	gcra_decide(1000000000, 1, (struct gcra_tat){0, 0}, NOW, &o);
	assert_true(o.allowed);
	assert_int_equal(o.remaining, 999999999);
	assert_int_equal(o.reset_ms, 1);
	assert_int_equal(o.charged.ms, NOW);
	assert_int_equal(o.charged.frac, 1);
	/* 1 per year */
	gcra_decide(1, YEAR_MS, (struct gcra_tat){0, 0}, NOW, &o);
	assert_true(o.allowed);
	assert_int_equal(o.remaining, 0);
	assert_int_equal(o.reset_ms, YEAR_MS);
	gcra_decide(1, YEAR_MS, o.charged, NOW + 5, &o);
	assert_false(o.allowed);
	assert_int_equal(o.retry_after_ms, YEAR_MS - 5);
	/* out-of-range rules are clamped, not undefined */
	gcra_decide(0, 0, (struct gcra_tat){0, 0}, NOW, &o);
	assert_true(o.allowed);
	gcra_decide(INT64_MAX, INT64_MAX, (struct gcra_tat){0, 0}, NOW, &o);
	assert_true(o.allowed);
	assert_int_equal(o.remaining, GCRA_LIMIT_MAX - 1);
}

static void peek_and_rescale(void **state)
{
	(void)state;
	int64_t remaining, reset;
	gcra_peek(10, 1000, (struct gcra_tat){0, 0}, NOW, &remaining, &reset);
	assert_int_equal(remaining, 10);
	assert_int_equal(reset, 0);
	gcra_peek(10, 1000, (struct gcra_tat){NOW + 250, 0}, NOW, &remaining, &reset);
	assert_int_equal(remaining, 7); /* 750 ms of room, T = 100 */
	assert_int_equal(reset, 250);
	/* a TAT past now + window (the caller's clock went back): nothing left */
	gcra_peek(10, 1000, (struct gcra_tat){NOW + 5000, 0}, NOW, &remaining, &reset);
	assert_int_equal(remaining, 0);

	struct gcra_tat t = gcra_tat_rescale((struct gcra_tat){100, 2}, 3, 3);
	assert_int_equal(t.ms, 100);
	assert_int_equal(t.frac, 2);
	t = gcra_tat_rescale((struct gcra_tat){100, 2}, 3, 5); /* rounds up */
	assert_int_equal(t.ms, 101);
	assert_int_equal(t.frac, 0);
	t = gcra_tat_rescale((struct gcra_tat){100, 0}, 3, 5);
	assert_int_equal(t.ms, 100);
	assert_int_equal(t.frac, 0);
	assert_true(gcra_tat_idle((struct gcra_tat){NOW, 0}, NOW));
	assert_false(gcra_tat_idle((struct gcra_tat){NOW, 1}, NOW));
}

/* A rule whose limit changes (config reload) keeps its history. */
static void limit_change_keeps_history(void **state)
{
	(void)state;
	struct gh_rl_check c = rule("r:reload", 3, 10000);
	for (int i = 0; i < 3; i++)
		assert_true(check1(&c, NOW).allowed);
	c.limit = 6; /* T = 1666.67; TAT = now + 10000: full under the new rule too */
	assert_false(check1(&c, NOW).allowed);
	assert_true(check1(&c, NOW + 1667).allowed);
}

/* ---- local.c ------------------------------------------------------------ */

static void all_or_nothing_across_rules(void **state)
{
	(void)state;
	struct gh_rl_check rs[2] = {rule("r:per-ip:1.2.3.4", 5, 60000),
				    rule("r:per-key:k1", 2, 60000)};
	struct gh_rl_result r;
	for (int i = 0; i < 2; i++) {
		ratelimit_check_local(rs, 2, NOW, &r);
		assert_true(r.allowed);
		assert_int_equal(r.remaining[0], 4 - i);
		assert_int_equal(r.remaining[1], 1 - i);
	}
	ratelimit_check_local(rs, 2, NOW, &r);
	assert_false(r.allowed);
	assert_int_equal(r.denied_index, 1);
	assert_int_equal(r.remaining[0], 3); /* uncharged */
	assert_int_equal(r.remaining[1], 0);
	assert_int_equal(r.retry_after_ms, 30000);
	/* the denied requests charged nothing: 3 left on the first rule */
	for (int i = 0; i < 3; i++)
		assert_true(check1(&rs[0], NOW).allowed);
	assert_false(check1(&rs[0], NOW).allowed);

	/* two failing rules: the first is named, the longest wait is given */
	struct gh_rl_check both[2] = {rule("r:a", 1, 1000), rule("r:b", 1, 60000)};
	ratelimit_check_local(both, 2, NOW, &r);
	assert_true(r.allowed);
	ratelimit_check_local(both, 2, NOW, &r);
	assert_false(r.allowed);
	assert_int_equal(r.denied_index, 0);
	assert_int_equal(r.retry_after_ms, 60000);
}

static void repeated_key_in_one_request(void **state)
{
	(void)state;
	struct gh_rl_check twice[2] = {rule("r:dup", 3, 60000), rule("r:dup", 3, 60000)};
	struct gh_rl_result r;
	ratelimit_check_local(twice, 2, NOW, &r); /* costs 2 */
	assert_true(r.allowed);
	assert_int_equal(r.remaining[0], 2);
	assert_int_equal(r.remaining[1], 1);
	ratelimit_check_local(twice, 2, NOW, &r); /* would need 2, 1 left */
	assert_false(r.allowed);
	assert_int_equal(r.denied_index, 1);
	assert_true(check1(&twice[0], NOW).allowed);
	assert_false(check1(&twice[0], NOW).allowed);
}

static void keys_are_independent(void **state)
{
	(void)state;
	struct gh_rl_check a = rule("r:ip:10.0.0.1", 1, 60000), b = rule("r:ip:10.0.0.2", 1, 60000);
	assert_true(check1(&a, NOW).allowed);
	assert_false(check1(&a, NOW).allowed);
	assert_true(check1(&b, NOW).allowed);
	/* a key is the whole string: a prefix of another is another key */
	struct gh_rl_check c = rule("r:ip:10.0.0.1x", 1, 60000);
	assert_true(check1(&c, NOW).allowed);
}

static void eviction_bounds_memory(void **state)
{
	(void)state;
	size_t cap = ratelimit_local_capacity();
	assert_int_equal(cap, (size_t)RL_LOCAL_SHARDS * RL_LOCAL_SHARD_SLOTS);
	char key[64];
	/* twice as many live subjects as slots, all busy for an hour */
	for (size_t i = 0; i < 2 * cap; i++) {
		snprintf(key, sizeof key, "r:flood:%zu", i);
		struct gh_rl_check c = rule(key, 10, 3600000);
		assert_true(check1(&c, NOW).allowed);
	}
	size_t busy = ratelimit_local_busy(NOW);
	assert_true(busy <= cap);
	assert_true(busy > cap * 9 / 10); /* the table does fill up */
	assert_true(ratelimit_local_evictions() >= 2 * cap - busy);
	/* the victim is the key closest to idle, so a key being hammered stays */
	struct gh_rl_check hot = rule("r:hot", 2, 3600000);
	assert_true(check1(&hot, NOW + 1).allowed);
	assert_true(check1(&hot, NOW + 1).allowed);
	for (size_t i = 0; i < cap / 4; i++) {
		snprintf(key, sizeof key, "r:flood2:%zu", i);
		struct gh_rl_check c = rule(key, 10, 3600000);
		check1(&c, NOW + 1);
	}
	assert_false(check1(&hot, NOW + 1).allowed);

	/* idle slots are free: an hour later nothing is busy, nothing evicted */
	int64_t later = NOW + 3600000 + 2;
	assert_int_equal(ratelimit_local_busy(later), 0);
	uint64_t ev = ratelimit_local_evictions();
	for (size_t i = 0; i < cap / 8; i++) {
		snprintf(key, sizeof key, "r:flood3:%zu", i);
		struct gh_rl_check c = rule(key, 10, 1000);
		assert_true(check1(&c, later).allowed);
	}
	assert_int_equal(ratelimit_local_evictions(), ev);
}

struct hammer {
	const struct gh_rl_check *checks;
	int n_variants; /* thread i uses checks[(i % n_variants) * n .. ] */
	int n;
	int iterations;
	atomic_int allowed;
	atomic_int next_id;
};

static void *hammer_main(void *p)
{
	struct hammer *h = p;
	int id = atomic_fetch_add(&h->next_id, 1);
	const struct gh_rl_check *mine = h->checks + (id % h->n_variants) * h->n;
	for (int i = 0; i < h->iterations; i++) {
		struct gh_rl_result r;
		ratelimit_check_local(mine, h->n, NOW, &r);
		if (r.allowed)
			atomic_fetch_add(&h->allowed, 1);
	}
	return NULL;
}

static int run_hammer(struct hammer *h, int threads)
{
	pthread_t t[16];
	for (int i = 0; i < threads; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer_main, h), 0);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return atomic_load(&h->allowed);
}

static void eight_threads_one_key(void **state)
{
	(void)state;
	struct gh_rl_check c = rule("r:global", 1000, 3600000);
	struct hammer h = {.checks = &c, .n_variants = 1, .n = 1, .iterations = 500};
	assert_int_equal(run_hammer(&h, 8), 1000);
}

/* Rules in opposite orders on different threads: shards are locked in index
 * order, so no deadlock, and the tighter rule bounds both exactly. */
static void threads_with_rules_in_opposite_orders(void **state)
{
	(void)state;
	struct gh_rl_check v[4];
	v[0] = rule("r:user:ann", 300, 3600000);
	v[1] = rule("r:org:acme", 1000, 3600000);
	v[2] = v[1];
	v[3] = v[0];
	struct hammer h = {.checks = v, .n_variants = 2, .n = 2, .iterations = 200};
	assert_int_equal(run_hammer(&h, 8), 300);
	/* the org rule was charged exactly 300 times */
	int more = 0;
	for (int i = 0; i < 1000; i++)
		more += check1(&v[1], NOW).allowed;
	assert_int_equal(more, 700);
}

/* ---- ratelimit.c: entry points and failure policy ----------------------- */

static void local_mode_entry_point(void **state)
{
	(void)state;
	assert_string_equal(ratelimit_redis_state(), "disabled");
	assert_int_equal(ratelimit_start(NULL), 0);
	assert_string_equal(ratelimit_redis_state(), "disabled");
	assert_int_equal(ratelimit_start("http://nope"), -1);
	uint64_t denied = ratelimit_denied_total();
	struct gh_rl_check c = rule("r:entry", 2, 60000);
	struct gh_rl_result r;
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_check(&c, 1, NOW, &r, NULL, NULL)); /* always inline */
	assert_false(r.allowed);
	assert_int_equal(ratelimit_denied_total(), denied + 1);
	ratelimit_stop(); /* harmless without a start */
}

static void fail_over_policies(void **state)
{
	(void)state;
	struct gh_rl_check local = rule("r:fo:local", 2, 60000);
	struct gh_rl_check open = rule("r:fo:open", 1, 60000);
	struct gh_rl_check closed = rule("r:fo:closed", 100, 60000);
	open.on_redis_failure = GH_RATE_FAIL_OPEN;
	closed.on_redis_failure = GH_RATE_FAIL_CLOSED;
	struct gh_rl_result r;

	for (int i = 0; i < 5; i++) { /* OPEN: never counted */
		ratelimit_fail_over(&open, 1, NOW, &r);
		assert_true(r.allowed);
		assert_int_equal(r.remaining[0], 0);
	}
	ratelimit_fail_over(&closed, 1, NOW, &r);
	assert_false(r.allowed);
	assert_true(r.store_failed);
	assert_int_equal(r.denied_index, 0);
	assert_true(r.retry_after_ms > 0);

	struct gh_rl_check mixed[3] = {open, local, closed};
	ratelimit_fail_over(mixed, 3, NOW, &r); /* any CLOSED rule decides */
	assert_false(r.allowed);
	assert_true(r.store_failed);
	assert_int_equal(r.denied_index, 2);

	struct gh_rl_check lo[2] = {open, local};
	ratelimit_fail_over(lo, 2, NOW, &r);
	assert_true(r.allowed);
	assert_int_equal(r.remaining[1], 1);
	ratelimit_fail_over(lo, 2, NOW, &r);
	assert_true(r.allowed);
	ratelimit_fail_over(lo, 2, NOW, &r); /* LOCAL is in-process GCRA */
	assert_false(r.allowed);
	assert_false(r.store_failed);
	assert_int_equal(r.denied_index, 1);
	assert_int_equal(r.remaining[0], 1); /* OPEN, uncharged */
	/* LOCAL fallback and local mode share the table */
	assert_false(check1(&local, NOW).allowed);
}

/* ---- redis.c: pure parts ------------------------------------------------ */

static void redis_urls(void **state)
{
	(void)state;
	struct redis_store_target t;
	assert_int_equal(redis_store_parse_url("redis://localhost", &t), 0);
	assert_string_equal(t.host, "localhost");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, 0);
	assert_int_equal(redis_store_parse_url("redis://10.0.0.5:6380/3", &t), 0);
	assert_string_equal(t.host, "10.0.0.5");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 3);
	assert_int_equal(redis_store_parse_url("redis://[::1]:7000/", &t), 0);
	assert_string_equal(t.host, "::1");
	assert_int_equal(t.port, 7000);
	assert_int_equal(redis_store_parse_url("redis://", &t), -1);
	assert_int_equal(redis_store_parse_url("redis://h:0", &t), -1);
	assert_int_equal(redis_store_parse_url("redis://h:65536", &t), -1);
	assert_int_equal(redis_store_parse_url("redis://h:12x", &t), -1);
	assert_int_equal(redis_store_parse_url("redis://user:pw@h", &t), -1);
	assert_int_equal(redis_store_parse_url("rediss://h", &t), -1);
	assert_int_equal(redis_store_parse_url("redis://h/1/2", &t), -1);
	assert_int_equal(redis_store_parse_url(NULL, &t), -1);
}

static redisReply *parse_resp(const char *resp)
{
	redisReader *rd = redisReaderCreate();
	void *reply = NULL;
	assert_int_equal(redisReaderFeed(rd, resp, strlen(resp)), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &reply), REDIS_OK);
	redisReaderFree(rd);
	assert_non_null(reply);
	return reply;
}

static void redis_replies(void **state)
{
	(void)state;
	struct gh_rl_check c[2] = {rule("r:a", 3, 10000), rule("r:b", 10, 1000)};
	struct gh_rl_result r;
	/* fresh keys at 1000: allowed */
	redisReply *ok = parse_resp("*6\r\n:1\r\n:1000\r\n:0\r\n:0\r\n:0\r\n:0\r\n");
	assert_int_equal(redis_store_parse_reply(ok, c, 2, &r), 0);
	assert_true(r.allowed);
	assert_int_equal(r.remaining[0], 2);
	assert_int_equal(r.reset_ms[0], 3334);
	assert_int_equal(r.remaining[1], 9);
	assert_int_equal(r.reset_ms[1], 100);
	/* the same reply with the script's verdict flipped: refused */
	redisReply *liar = parse_resp("*6\r\n:0\r\n:1000\r\n:0\r\n:0\r\n:0\r\n:0\r\n");
	assert_int_equal(redis_store_parse_reply(liar, c, 2, &r), -1);
	/* first key full (TAT = now + 10000): denied by rule 0 */
	redisReply *full = parse_resp("*6\r\n:0\r\n:1000\r\n:11000\r\n:0\r\n:0\r\n:0\r\n");
	assert_int_equal(redis_store_parse_reply(full, c, 2, &r), 0);
	assert_false(r.allowed);
	assert_int_equal(r.denied_index, 0);
	assert_int_equal(r.retry_after_ms, 3334);
	assert_int_equal(r.remaining[1], 10);
	/* wrong shapes */
	const char *bad[] = {
	    "+OK\r\n",
	    "-ERR oops\r\n",
	    "*4\r\n:1\r\n:1000\r\n:0\r\n:0\r\n",                             /* one key short */
	    "*6\r\n:1\r\n:1000\r\n$1\r\n0\r\n:0\r\n:0\r\n:0\r\n",            /* a string */
	    "*6\r\n:2\r\n:1000\r\n:0\r\n:0\r\n:0\r\n:0\r\n",                 /* allowed = 2 */
	    "*6\r\n:1\r\n:1000\r\n:0\r\n:3\r\n:0\r\n:0\r\n",                 /* frac = limit */
	    "*6\r\n:1\r\n:-1\r\n:0\r\n:0\r\n:0\r\n:0\r\n",                   /* now < 0 */
	    "*6\r\n:1\r\n:1000\r\n:99999999999999999\r\n:0\r\n:0\r\n:0\r\n", /* > 2^53 */
	    "*6\r\n:1\r\n:1000\r\n*0\r\n:0\r\n:0\r\n:0\r\n",                 /* nested */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		redisReply *b = parse_resp(bad[i]);
		assert_int_equal(redis_store_parse_reply(b, c, 2, &r), -1);
		freeReplyObject(b);
	}
	assert_int_equal(redis_store_parse_reply(NULL, c, 2, &r), -1);
	freeReplyObject(ok);
	freeReplyObject(liar);
	freeReplyObject(full);
}

/* ---- timing (GATEHOUSE_BENCH=1) ----------------------------------------- */

struct bench {
	int thread_ix;
	int iterations;
	double seconds;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *bench_main(void *p)
{
	struct bench *b = p;
	/* 4096 subjects per thread (a per-IP rule), keys built beforehand */
	enum { SUBJECTS = 4096 };
	struct gh_rl_check *c = malloc(SUBJECTS * sizeof *c);
	assert_non_null(c);
	char key[64];
	for (int i = 0; i < SUBJECTS; i++) {
		snprintf(key, sizeof key, "r:per-ip:10.%d.%d.%d", b->thread_ix, i >> 8, i & 255);
		c[i] = rule(key, 100, 60000);
	}
	double t0 = now_s();
	for (int i = 0; i < b->iterations; i++) {
		struct gh_rl_result r;
		ratelimit_check_local(&c[i & (SUBJECTS - 1)], 1, NOW + i / 1000, &r);
	}
	b->seconds = now_s() - t0;
	free(c);
	return NULL;
}

static void bench_local(void **state)
{
	(void)state;
	if (!getenv("GATEHOUSE_BENCH"))
		skip();
	for (int threads = 1; threads <= 2; threads++) {
		struct bench b[2] = {{0, 4000000, 0}, {1, 4000000, 0}};
		pthread_t t[2];
		for (int i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, bench_main, &b[i]);
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < threads; i++)
			printf(
			    "local check, %d thread(s): %.0f ns per check per thread (%.2f M/s)\n",
			    threads, b[i].seconds * 1e9 / b[i].iterations,
			    b[i].iterations / b[i].seconds / 1e6);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(three_per_ten_seconds, reset_tables),
	    cmocka_unit_test(no_drift_over_a_long_run),
	    cmocka_unit_test(extreme_limits_do_not_overflow),
	    cmocka_unit_test(peek_and_rescale),
	    cmocka_unit_test_setup(limit_change_keeps_history, reset_tables),
	    cmocka_unit_test_setup(all_or_nothing_across_rules, reset_tables),
	    cmocka_unit_test_setup(repeated_key_in_one_request, reset_tables),
	    cmocka_unit_test_setup(keys_are_independent, reset_tables),
	    cmocka_unit_test_setup(eviction_bounds_memory, reset_tables),
	    cmocka_unit_test_setup(eight_threads_one_key, reset_tables),
	    cmocka_unit_test_setup(threads_with_rules_in_opposite_orders, reset_tables),
	    cmocka_unit_test_setup(local_mode_entry_point, reset_tables),
	    cmocka_unit_test_setup(fail_over_policies, reset_tables),
	    cmocka_unit_test(redis_urls),
	    cmocka_unit_test(redis_replies),
	    cmocka_unit_test_setup(bench_local, reset_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
