/*
 * ratelimit against a real Redis: starts `redis-server` (Debian's package)
 * on a free port as a child process, drives ratelimit_check() through the
 * async path, then kills, stops and restarts that server to check the
 * fallbacks and the recovery. Skipped when redis-server is not installed.
 *
 * The tests run in order and share the one server and the module (a
 * process-wide singleton).
 *
 * GATEHOUSE_BENCH=1 also prints checks/s through the async path with 1 and
 * 2 connections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "ratelimit/local.h"
#include "ratelimit/ratelimit.h"
#include "ratelimit/redis.h"

static pid_t redis_pid = -1;
static int redis_port;
static bool have_redis; /* redis-server could be started at all */
static char redis_url[64];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000}, NULL);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	close(fd);
	return ntohs(a.sin_port);
}

static bool redis_answers(void)
{
	redisContext *c =
	    redisConnectWithTimeout("127.0.0.1", redis_port, (struct timeval){0, 200000});
	bool ok = false;
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS;
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return ok;
}

static bool redis_spawn(void)
{
	char port[16];
	snprintf(port, sizeof port, "%d", redis_port);
	redis_pid = fork();
	if (redis_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
		       "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel",
		       "warning", NULL);
		_exit(127);
	}
	for (int i = 0; i < 250; i++) {
		if (redis_answers())
			return true;
		int status;
		if (waitpid(redis_pid, &status, WNOHANG) == redis_pid) {
			redis_pid = -1;
			return false;
		}
		sleep_ms(20);
	}
	return false;
}

static void redis_kill(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGKILL);
		waitpid(redis_pid, NULL, 0);
		redis_pid = -1;
	}
}

static bool wait_state(const char *want, int max_ms)
{
	for (int waited = 0; waited <= max_ms; waited += 10) {
		if (strcmp(ratelimit_redis_state(), want) == 0)
			return true;
		sleep_ms(10);
	}
	return false;
}

static struct gh_rl_check rule(const char *key, int64_t limit, int64_t window_ms,
			       enum gh_rate_fail on_failure)
{
	struct gh_rl_check c = {.limit = limit,
				.window_ms = window_ms,
				.on_redis_failure = on_failure,
				.policy_name = "test"};
	snprintf(c.key, sizeof c.key, "%s", key);
	return c;
}

/* One check, waiting for the callback when it goes to Redis. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	struct gh_rl_result res;
};

static void waiter_done(void *arg, const struct gh_rl_result *res)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->res = *res;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Returns whether the answer came asynchronously (from the Redis thread). */
static bool check_wait(const struct gh_rl_check *checks, int n, struct gh_rl_result *out)
{
	struct waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	if (ratelimit_check(checks, n, clock_now_ms(), out, waiter_done, &w))
		return false;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		assert_int_equal(pthread_cond_timedwait(&w.cv, &w.mu, &until), 0);
	pthread_mutex_unlock(&w.mu);
	*out = w.res;
	return true;
}

static int count_allowed(const struct gh_rl_check *c, int n, int times, bool want_async)
{
	int allowed = 0;
	for (int i = 0; i < times; i++) {
		struct gh_rl_result r;
		assert_int_equal(check_wait(c, n, &r), want_async);
		allowed += r.allowed;
	}
	return allowed;
}

static int group_setup(void **state)
{
	(void)state;
	redis_port = free_port();
	snprintf(redis_url, sizeof redis_url, "redis://127.0.0.1:%d", redis_port);
	have_redis = redis_port > 0 && redis_spawn();
	if (!have_redis) {
		fprintf(stderr, "redis-server not available: skipping\n");
		redis_kill();
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ratelimit_stop();
	if (redis_pid > 0)
		kill(redis_pid, SIGCONT);
	redis_kill();
	return 0;
}

#define NEED_REDIS()                                                                               \
	do {                                                                                       \
		if (!have_redis)                                                                   \
			skip();                                                                    \
	} while (0)

/* ---- the tests, in order ------------------------------------------------ */

static void starts_up(void **state)
{
	(void)state;
	NEED_REDIS();
	assert_string_equal(ratelimit_redis_state(), "disabled");
	assert_int_equal(ratelimit_start(redis_url), 0);
	assert_string_equal(ratelimit_redis_state(), "up"); /* start waits for it */
	assert_int_equal(ratelimit_start(redis_url), -1);   /* a singleton */
}

struct flood {
	struct gh_rl_check check;
	int per_thread;
	atomic_int answered, allowed, inline_answers;
	atomic_int seen_remaining[1000];
};

static void flood_done(void *arg, const struct gh_rl_result *res)
{
	struct flood *f = arg;
	if (res->allowed) {
		atomic_fetch_add(&f->allowed, 1);
		if (res->remaining[0] >= 0 && res->remaining[0] < 1000)
			atomic_fetch_add(&f->seen_remaining[res->remaining[0]], 1);
	}
	atomic_fetch_add(&f->answered, 1);
}

static void *flood_main(void *p)
{
	struct flood *f = p;
	for (int i = 0; i < f->per_thread; i++) {
		struct gh_rl_result r;
		if (ratelimit_check(&f->check, 1, clock_now_ms(), &r, flood_done, f)) {
			atomic_fetch_add(&f->inline_answers, 1);
			flood_done(f, &r);
		}
	}
	return NULL;
}

/* 8 threads, 2000 checks, limit 500: exactly 500 pass, each with a distinct
 * remaining count 499..0 (Redis serialises the scripts). */
static void exact_limit_with_concurrent_checks(void **state)
{
	(void)state;
	NEED_REDIS();
	static struct flood f;
	memset(&f, 0, sizeof f);
	f.check = rule("r:redis:concurrent", 500, 600000, GH_RATE_FAIL_CLOSED);
	f.per_thread = 250;
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, flood_main, &f);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	for (int waited = 0; atomic_load(&f.answered) < 2000 && waited < 10000; waited += 5)
		sleep_ms(5);
	assert_int_equal(atomic_load(&f.answered), 2000);
	assert_int_equal(atomic_load(&f.inline_answers), 0);
	assert_int_equal(atomic_load(&f.allowed), 500);
	for (int k = 0; k < 500; k++)
		assert_int_equal(atomic_load(&f.seen_remaining[k]), 1);
}

static void three_per_ten_seconds_on_redis(void **state)
{
	(void)state;
	NEED_REDIS();
	struct gh_rl_check c = rule("r:redis:3per10", 3, 10000, GH_RATE_FAIL_CLOSED);
	struct gh_rl_result r[10];
	int allowed = 0;
	double t0 = now_s();
	for (int i = 0; i < 10; i++) {
		assert_true(check_wait(&c, 1, &r[i]));
		allowed += r[i].allowed;
	}
	int elapsed_ms = (int)((now_s() - t0) * 1000) + 2;
	assert_int_equal(allowed, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(r[i].allowed);
		assert_int_equal(r[i].remaining[0], 2 - i);
		/* ceil((i + 1) * 10000 / 3) minus the Redis time that passed */
		int64_t exact = ((int64_t)(i + 1) * 10000 + 2) / 3;
		assert_in_range(r[i].reset_ms[0], exact - elapsed_ms, exact);
	}
	for (int i = 3; i < 10; i++) {
		assert_false(r[i].allowed);
		assert_false(r[i].store_failed);
		assert_int_equal(r[i].denied_index, 0);
		assert_in_range(r[i].retry_after_ms, 3334 - elapsed_ms, 3334);
	}
}

static void all_or_nothing_on_redis(void **state)
{
	(void)state;
	NEED_REDIS();
	struct gh_rl_check rs[2] = {rule("r:redis:ip", 5, 600000, GH_RATE_FAIL_LOCAL),
				    rule("r:redis:key", 2, 600000, GH_RATE_FAIL_LOCAL)};
	assert_int_equal(count_allowed(rs, 2, 4, true), 2);
	struct gh_rl_result r;
	assert_true(check_wait(rs, 2, &r));
	assert_false(r.allowed);
	assert_int_equal(r.denied_index, 1);
	assert_int_equal(r.remaining[0], 3);
	assert_int_equal(count_allowed(&rs[0], 1, 5, true), 3);

	/* a key twice in one request costs twice, as in local.c */
	struct gh_rl_check twice[2] = {rule("r:redis:dup", 3, 600000, GH_RATE_FAIL_LOCAL),
				       rule("r:redis:dup", 3, 600000, GH_RATE_FAIL_LOCAL)};
	assert_true(check_wait(twice, 2, &r));
	assert_true(r.allowed);
	assert_int_equal(r.remaining[1], 1);
	assert_true(check_wait(twice, 2, &r));
	assert_false(r.allowed);
	assert_int_equal(count_allowed(twice, 1, 2, true), 1);
}

/* Two instances cannot share a process, so: the counts live in Redis and
 * survive the module stopping and starting again. Also checks what is
 * stored: the key, its format and its expiry. */
static void counts_live_in_redis(void **state)
{
	(void)state;
	NEED_REDIS();
	struct gh_rl_check c = rule("r:redis:persist", 10, 600000, GH_RATE_FAIL_OPEN);
	assert_int_equal(count_allowed(&c, 1, 6, true), 6);
	ratelimit_stop();
	assert_string_equal(ratelimit_redis_state(), "disabled");
	ratelimit_local_reset(); /* nothing comes from this process's memory */
	assert_int_equal(ratelimit_start(redis_url), 0);
	assert_string_equal(ratelimit_redis_state(), "up");
	assert_int_equal(count_allowed(&c, 1, 10, true), 4);

	redisContext *rc = redisConnect("127.0.0.1", redis_port);
	assert_non_null(rc);
	redisReply *v = redisCommand(rc, "GET " RL_REDIS_KEY_PREFIX "r:redis:persist");
	assert_int_equal(v->type, REDIS_REPLY_STRING);
	long long ms, frac, limit;
	assert_int_equal(sscanf(v->str, "%lld %lld %lld", &ms, &frac, &limit), 3);
	assert_int_equal(limit, 10);
	assert_int_equal(frac, 0);
	assert_in_range(ms - clock_now_ms(), 590000, 600000); /* full: now + window */
	freeReplyObject(v);
	redisReply *ttl = redisCommand(rc, "PTTL " RL_REDIS_KEY_PREFIX "r:redis:persist");
	assert_int_equal(ttl->type, REDIS_REPLY_INTEGER);
	assert_in_range(ttl->integer, 590000, 600000);
	freeReplyObject(ttl);
	redisFree(rc);
}

/* SCRIPT FLUSH (or a failover to a server without the script): NOSCRIPT is
 * answered by sending the body once; no check notices. */
static void script_cache_flushed(void **state)
{
	(void)state;
	NEED_REDIS();
	redisContext *rc = redisConnect("127.0.0.1", redis_port);
	assert_non_null(rc);
	redisReply *ok = redisCommand(rc, "SCRIPT FLUSH");
	assert_int_equal(ok->type, REDIS_REPLY_STATUS);
	freeReplyObject(ok);
	redisFree(rc);
	uint64_t errors = ratelimit_redis_errors_total();
	struct gh_rl_check c = rule("r:redis:flushed", 2, 600000, GH_RATE_FAIL_CLOSED);
	assert_int_equal(count_allowed(&c, 1, 3, true), 2);
	assert_int_equal(ratelimit_redis_errors_total(), errors);
	/* it did take the EVAL path: once, then EVALSHA again */
	rc = redisConnect("127.0.0.1", redis_port);
	redisReply *info = redisCommand(rc, "INFO commandstats");
	assert_int_equal(info->type, REDIS_REPLY_STRING);
	assert_non_null(strstr(info->str, "cmdstat_eval:calls=1,"));
	freeReplyObject(info);
	redisFree(rc);
}

static void redis_killed_falls_back(void **state)
{
	(void)state;
	NEED_REDIS();
	uint64_t errors = ratelimit_redis_errors_total();
	redis_kill();
	assert_true(wait_state("down", 3000));
	assert_true(ratelimit_redis_errors_total() > errors);

	/* LOCAL: in-process GCRA, answered inline */
	struct gh_rl_check local = rule("r:redis:fallback", 3, 600000, GH_RATE_FAIL_LOCAL);
	assert_int_equal(count_allowed(&local, 1, 5, false), 3);
	/* OPEN: allowed, uncounted */
	struct gh_rl_check open = rule("r:redis:open", 1, 600000, GH_RATE_FAIL_OPEN);
	assert_int_equal(count_allowed(&open, 1, 5, false), 5);
	/* CLOSED: denied, marked as a store failure */
	struct gh_rl_check closed = rule("r:redis:closed", 1000, 600000, GH_RATE_FAIL_CLOSED);
	struct gh_rl_result r;
	assert_false(check_wait(&closed, 1, &r));
	assert_false(r.allowed);
	assert_true(r.store_failed);
	assert_int_equal(r.denied_index, 0);
	assert_true(r.retry_after_ms > 0);
	/* any CLOSED rule wins; otherwise LOCAL rules decide */
	struct gh_rl_check mixed[3] = {open, local, closed};
	assert_false(check_wait(mixed, 3, &r));
	assert_true(r.store_failed);
	assert_false(check_wait(mixed, 2, &r)); /* open + exhausted local */
	assert_false(r.allowed);
	assert_false(r.store_failed);
	assert_int_equal(r.denied_index, 1);
}

static void redis_restarted_recovers(void **state)
{
	(void)state;
	NEED_REDIS();
	assert_true(redis_spawn());
	/* backoff has grown to at most 5 s */
	assert_true(wait_state("up", 7000));
	/* back on Redis (a fresh, empty one): the key exhausted locally is new there */
	struct gh_rl_check local = rule("r:redis:fallback", 3, 600000, GH_RATE_FAIL_LOCAL);
	assert_int_equal(count_allowed(&local, 1, 5, true), 3);
}

/* A server that stops answering (SIGSTOP: the TCP connection stays open):
 * each check waits at most the timeout, then falls back; the connections
 * are dropped and the state goes down; SIGCONT brings it back. */
static void stalled_redis_times_out(void **state)
{
	(void)state;
	NEED_REDIS();
	kill(redis_pid, SIGSTOP);
	struct gh_rl_check local = rule("r:redis:stalled", 3, 600000, GH_RATE_FAIL_LOCAL);
	struct gh_rl_check closed = rule("r:redis:stalled-closed", 3, 600000, GH_RATE_FAIL_CLOSED);
	struct gh_rl_result r;
	for (int i = 0; i < RL_REDIS_POOL_DEFAULT; i++) { /* one per connection */
		double t0 = now_s();
		assert_true(check_wait(&local, 1, &r));
		double waited = now_s() - t0;
		assert_true(r.allowed); /* by the local fallback */
		assert_false(r.store_failed);
		assert_true(waited >= 0.9 && waited < 2.5);
	}
	assert_true(wait_state("down", 1000));
	assert_false(check_wait(&closed, 1, &r));
	assert_true(r.store_failed);
	/* the local fallback counted both */
	assert_int_equal(count_allowed(&local, 1, 3, false), 1);

	kill(redis_pid, SIGCONT);
	assert_true(wait_state("up", 7000));
	assert_true(check_wait(&closed, 1, &r));
	assert_true(r.allowed);
	assert_int_equal(r.remaining[0], 2);
}

/* ---- throughput (GATEHOUSE_BENCH=1) ------------------------------------- */

struct pump {
	atomic_int in_flight;
	atomic_long answered;
	long submit;
	int window; /* most checks in flight at once, like as many open requests */
	int thread_ix;
};

static void pump_done(void *arg, const struct gh_rl_result *res)
{
	struct pump *p = arg;
	(void)res;
	atomic_fetch_sub(&p->in_flight, 1);
	atomic_fetch_add(&p->answered, 1);
}

static void *pump_main(void *arg)
{
	struct pump *p = arg;
	char key[64];
	for (long i = 0; i < p->submit; i++) {
		while (atomic_load(&p->in_flight) >= p->window)
			sched_yield();
		snprintf(key, sizeof key, "r:bench:%d:%ld", p->thread_ix, i % 10000);
		struct gh_rl_check c = rule(key, 1000000, 60000, GH_RATE_FAIL_OPEN);
		struct gh_rl_result r;
		atomic_fetch_add(&p->in_flight, 1);
		if (ratelimit_check(&c, 1, clock_now_ms(), &r, pump_done, p))
			pump_done(p, &r);
	}
	return NULL;
}

static void bench_redis(void **state)
{
	(void)state;
	NEED_REDIS();
	if (!getenv("GATEHOUSE_BENCH"))
		skip();
	for (int conns = 1; conns <= 2; conns++) {
		ratelimit_stop();
		redis_store_set_pool_size(conns);
		assert_int_equal(ratelimit_start(redis_url), 0);
		struct pump p[2];
		pthread_t t[2];
		const long per_thread = 100000;
		double t0 = now_s();
		for (int i = 0; i < 2; i++) {
			p[i] = (struct pump){.submit = per_thread, .window = 256, .thread_ix = i};
			pthread_create(&t[i], NULL, pump_main, &p[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		while (atomic_load(&p[0].answered) + atomic_load(&p[1].answered) < 2 * per_thread)
			sched_yield();
		double secs = now_s() - t0;
		printf("redis async path, %d connection(s), 2 submitters x 256 in flight: "
		       "%.0f checks/s (errors so far %llu)\n",
		       conns, 2.0 * per_thread / secs,
		       (unsigned long long)ratelimit_redis_errors_total());
	}
	redis_store_set_pool_size(RL_REDIS_POOL_DEFAULT);
	ratelimit_stop();
	assert_int_equal(ratelimit_start(redis_url), 0);
	/* one at a time: the latency a request sees (queue, eventfd, Redis, back) */
	struct gh_rl_check one = rule("r:bench:latency", 1000000, 60000, GH_RATE_FAIL_OPEN);
	double t0 = now_s();
	for (int i = 0; i < 20000; i++) {
		struct gh_rl_result r;
		check_wait(&one, 1, &r);
	}
	printf("redis async path, one check at a time: %.1f us per check\n",
	       (now_s() - t0) * 1e6 / 20000);
	/* the server's side of it */
	redisContext *rc = redisConnect("127.0.0.1", redis_port);
	redisReply *info = redisCommand(rc, "INFO commandstats");
	const char *line =
	    info && info->type == REDIS_REPLY_STRING ? strstr(info->str, "cmdstat_evalsha:") : NULL;
	if (line)
		printf("%.*s\n", (int)strcspn(line, "\r\n"), line);
	if (info)
		freeReplyObject(info);
	redisFree(rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(starts_up),
	    cmocka_unit_test(exact_limit_with_concurrent_checks),
	    cmocka_unit_test(three_per_ten_seconds_on_redis),
	    cmocka_unit_test(all_or_nothing_on_redis),
	    cmocka_unit_test(counts_live_in_redis),
	    cmocka_unit_test(script_cache_flushed),
	    cmocka_unit_test(redis_killed_falls_back),
	    cmocka_unit_test(redis_restarted_recovers),
	    cmocka_unit_test(stalled_redis_times_out),
	    cmocka_unit_test(bench_redis),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
