/*
 * redis — the Redis store; see redis.h for the design and thread rules.
 *
 * hiredis 0.14's async API does no I/O of its own: it asks an "event
 * library" to watch its socket through five hooks (ev.addRead, delRead,
 * addWrite, delWrite, cleanup) and expects redisAsyncHandleRead/Write when
 * the socket is ready. The adapter below implements those hooks on one epoll
 * set, the same thing hiredis's adapters/libevent.h does for libevent.
 *
 * Life of a connection (struct conn), all on the loop thread:
 *   WAITING   --retry_at-->  HANDSHAKE (connect; SELECT db; SCRIPT LOAD)
 *   HANDSHAKE --SCRIPT LOAD reply--> READY (backoff back to 100 ms)
 *   any       --error, EOF, timeout--> hiredis frees the context: it first
 *             calls every pending callback with a NULL reply (we fall back
 *             for those checks), then our cleanup hook, which schedules the
 *             next attempt: WAITING with the backoff doubled (max 5 s).
 * hiredis 0.14 has no timeouts of its own, so the loop keeps each
 * connection's checks in flight in send order (= reply order) and applies
 * two timeouts of RL_REDIS_TIMEOUT_MS:
 *   - a check waiting that long is answered by the fallback at once; its
 *     late reply is then dropped (an overloaded Redis only slows checks down
 *     to the timeout, never further);
 *   - a connection with checks in flight and no reply at all for that long
 *     is dead (a stopped or partitioned server) and is dropped. A deep
 *     pipeline that is still answering is not: killing it would only add
 *     reconnects to an overload.
 *
 * Invariant: a check submitted is answered exactly once, by Redis or by the
 * fallback, including at stop; its item is freed when hiredis is done with
 * it (reply or NULL reply).
 */
#include "ratelimit/redis.h"

#include "core/log.h"
#include "ratelimit/gcra.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/*
 * The script. KEYS: the request's keys (prefixed). ARGV: limit_1, window_1,
 * limit_2, window_2, ... (already clamped). A key's value is
 * "<tat_ms> <tat_frac> <limit>" (TAT = tat_ms + tat_frac/limit ms of Redis
 * time), with PX = window so an idle key disappears by itself. The same
 * arithmetic as gcra.c: all integers < 2^53, exact in Lua's doubles.
 * Returns {allowed 0|1, now_ms, tat_ms_1, tat_frac_1, ...}, each TAT as it was
 * before this request (rescaled to the rule's limit; for a key repeated in
 * the request, the TAT the earlier check would leave). The C side recomputes
 * remaining/reset/retry-after from those, so there is one implementation of
 * the derived numbers and the reply stays small.
 * redis.call('TIME') makes every node share Redis's clock; writing after it
 * needs effects replication, the default since Redis 5 (replicate_commands()
 * switches it on for 3.2/4 and is a no-op later).
 */
const char redis_store_script[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local out = {1, now}\n"
    "local pending = {}\n"
    "for i = 1, #KEYS do\n"
    "  local limit = tonumber(ARGV[2 * i - 1])\n"
    "  local window = tonumber(ARGV[2 * i])\n"
    "  local ms, frac, den = 0, 0, limit\n"
    "  local p = pending[KEYS[i]]\n"
    "  if p then\n"
    "    ms, frac, den = p[1], p[2], p[3]\n"
    "  else\n"
    "    local v = redis.call('GET', KEYS[i])\n"
    "    if v then\n"
    "      local a, b, c = string.match(v, '^(%d+) (%d+) (%d+)$')\n"
    "      if a then ms, frac, den = tonumber(a), tonumber(b), tonumber(c) end\n"
    "    end\n"
    "  end\n"
    "  if den ~= limit or frac >= limit then\n"
    "    if frac ~= 0 then ms = ms + 1 end\n"
    "    frac = 0\n"
    "  end\n"
    "  out[2 * i + 1] = ms\n"
    "  out[2 * i + 2] = frac\n"
    "  if ms < now or (ms == now and frac == 0) then ms, frac = now, 0 end\n"
    "  local q = math.floor(window / limit)\n"
    "  local r = window - q * limit\n"
    "  if r < 0 then q, r = q - 1, r + limit elseif r >= limit then q, r = q + 1, r - limit end\n"
    "  ms, frac = ms + q, frac + r\n"
    "  if frac >= limit then ms, frac = ms + 1, frac - limit end\n"
    "  if ms - window > now or (ms - window == now and frac > 0) then out[1] = 0 end\n"
    "  pending[KEYS[i]] = {ms, frac, limit}\n"
    "end\n"
    "if out[1] == 1 then\n"
    "  for i = 1, #KEYS do\n"
    "    local p = pending[KEYS[i]]\n"
    "    redis.call('SET', KEYS[i], string.format('%d %d %d', p[1], p[2], p[3]),\n"
    "               'PX', tonumber(ARGV[2 * i]))\n"
    "  end\n"
    "end\n"
    "return out\n";

/* A check on its way: queued, then in flight on one connection. */
struct item {
	struct item *next;
	gh_rl_done done;
	void *arg;
	int64_t now_ms;         /* the caller's clock, for the fallback */
	int64_t submitted_mono; /* ms */
	int64_t sent_mono;      /* ms; the timeout runs from here */
	bool sent_as_eval;      /* NOSCRIPT already answered by sending the body */
	bool answered;          /* timed out: the fallback answered, drop the reply */
	int n;
	struct gh_rl_check checks[];
};

enum conn_phase { CONN_WAITING, CONN_HANDSHAKE, CONN_READY };

struct conn {
	redisAsyncContext *ac; /* NULL while WAITING */
	enum conn_phase phase;
	int fd;
	uint32_t watched;   /* the epoll events registered for fd */
	int64_t retry_at;   /* WAITING: when to connect (mono ms) */
	int64_t deadline;   /* HANDSHAKE: give up at (mono ms) */
	int64_t backoff_ms; /* the wait after the next failure */
	bool ever_failed;
	struct item *head, *tail; /* in flight, in send order */
	struct item *overdue;     /* first in-flight item not answered yet, or NULL */
	int64_t last_progress;    /* last reply, or first send after an idle spell */
};

enum announced { ANNOUNCED_NOTHING, ANNOUNCED_UP, ANNOUNCED_DOWN };

/* Main thread (start/stop) only. */
static pthread_t loop_thread;
static bool running;
static int pool_size = RL_REDIS_POOL_DEFAULT;

/* Set by start before the thread runs; then the loop thread's alone. */
static struct redis_store_target target;
static int epfd = -1;
static int wakefd = -1;
static struct conn conns[RL_REDIS_POOL_MAX];
static int n_conns;
static int next_conn; /* round-robin cursor */
static char script_sha[41];
static enum announced announced;
static int64_t last_error_log_mono;

/* Shared. */
static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static struct item *queue_head, *queue_tail; /* under queue_mu */
static bool accepting;                       /* under queue_mu */
static atomic_int store_state = REDIS_STORE_DISABLED;
static atomic_bool settled; /* the first connection attempts have ended */
static atomic_bool stopping;
static atomic_uint_fast64_t errors_total;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count_error(void)
{
	atomic_fetch_add_explicit(&errors_total, 1, memory_order_relaxed);
}

/* At most one warning per 10 s for per-command errors; state changes are
 * always logged. */
static void log_command_error(const char *what, const char *detail)
{
	int64_t now = mono_ms();
	if (last_error_log_mono && now - last_error_log_mono < 10000)
		return;
	last_error_log_mono = now;
	log_event(GH_LOG_WARN, "rate limit store command failed", "error", what, "detail", detail,
		  NULL);
}

/* ---- URL ---------------------------------------------------------------- */

int redis_store_parse_url(const char *url, struct redis_store_target *out)
{
	static const char scheme[] = "redis://";
	memset(out, 0, sizeof *out);
	out->port = 6379;
	if (!url || strncmp(url, scheme, sizeof scheme - 1) != 0)
		return -1;
	const char *p = url + sizeof scheme - 1;
	if (strchr(p, '@'))
		return -1; /* credentials: not supported yet */
	const char *host = p, *host_end;
	if (*p == '[') {
		host = p + 1;
		host_end = strchr(host, ']');
		if (!host_end)
			return -1;
		p = host_end + 1;
	} else {
		while (*p && *p != ':' && *p != '/')
			p++;
		host_end = p;
	}
	size_t len = (size_t)(host_end - host);
	if (len == 0 || len >= sizeof out->host)
		return -1;
	memcpy(out->host, host, len);
	out->host[len] = 0;
	if (*p == ':') {
		p++;
		long port = 0;
		int digits = 0;
		for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
			port = port * 10 + (*p - '0');
		if (digits == 0 || port < 1 || port > 65535)
			return -1;
		out->port = (int)port;
	}
	if (*p == '/') {
		p++;
		long db = 0;
		int digits = 0;
		for (; *p >= '0' && *p <= '9' && digits < 5; p++, digits++)
			db = db * 10 + (*p - '0');
		if (digits > 0)
			out->db = (int)db;
	}
	return *p == 0 ? 0 : -1;
}

/* ---- replies ------------------------------------------------------------ */

int redis_store_parse_reply(const struct redisReply *reply, const struct gh_rl_check *checks, int n,
			    struct gh_rl_result *out)
{
	/* bounds that keep every sum and product in gcra.c far from overflow */
	const long long max_ms = 1LL << 53;
	if (!reply || reply->type != REDIS_REPLY_ARRAY || n < 1 || n > GH_RL_MAX_CHECKS ||
	    reply->elements != (size_t)(2 + 2 * n))
		return -1;
	for (size_t k = 0; k < reply->elements; k++) {
		if (!reply->element[k] || reply->element[k]->type != REDIS_REPLY_INTEGER)
			return -1;
	}
	long long allowed = reply->element[0]->integer;
	long long now = reply->element[1]->integer;
	if ((allowed != 0 && allowed != 1) || now < 0 || now > max_ms)
		return -1;
	struct gcra_tat before[GH_RL_MAX_CHECKS], after[GH_RL_MAX_CHECKS];
	for (int i = 0; i < n; i++) {
		long long ms = reply->element[2 + 2 * i]->integer;
		long long frac = reply->element[3 + 2 * i]->integer;
		if (ms < 0 || ms > max_ms || frac < 0 || frac >= gcra_clamp_limit(checks[i].limit))
			return -1;
		before[i] = (struct gcra_tat){ms, frac};
	}
	/* The script already chained repeated keys: no same_key_as here. */
	if (gcra_decide_all(checks, n, NULL, before, now, after, out) != (allowed == 1))
		return -1;
	return 0;
}

/* ---- answering ---------------------------------------------------------- */

static void answer(struct item *it, const struct gh_rl_result *res)
{
	ratelimit_note_result(res);
	it->done(it->arg, res);
}

static void answer_by_fallback(struct item *it)
{
	struct gh_rl_result res;
	int64_t now = it->now_ms + (mono_ms() - it->submitted_mono);
	ratelimit_fail_over(it->checks, it->n, now, &res);
	answer(it, &res);
}

static void deliver(struct item *it, const struct gh_rl_result *res)
{
	answer(it, res);
	free(it);
}

static void fail_over(struct item *it)
{
	answer_by_fallback(it);
	free(it);
}

/* ---- the epoll adapter (hiredis ev hooks) ------------------------------- */

static void watch(struct conn *c, uint32_t events)
{
	if (events == c->watched)
		return;
	struct epoll_event ev = {.events = events, .data.ptr = c};
	int op = !c->watched ? EPOLL_CTL_ADD : events ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
	if (epoll_ctl(epfd, op, c->fd, &ev) != 0)
		log_event(GH_LOG_ERROR, "rate limit store: epoll_ctl failed", "error",
			  strerror(errno), NULL);
	c->watched = events;
}

static void ev_add_read(void *p)
{
	struct conn *c = p;
	watch(c, c->watched | EPOLLIN);
}

static void ev_del_read(void *p)
{
	struct conn *c = p;
	watch(c, c->watched & ~(uint32_t)EPOLLIN);
}

static void ev_add_write(void *p)
{
	struct conn *c = p;
	watch(c, c->watched | EPOLLOUT);
}

static void ev_del_write(void *p)
{
	struct conn *c = p;
	watch(c, c->watched & ~(uint32_t)EPOLLOUT);
}

static void schedule_retry(struct conn *c)
{
	c->ac = NULL;
	c->phase = CONN_WAITING;
	c->ever_failed = true;
	c->retry_at = mono_ms() + c->backoff_ms;
	c->backoff_ms *= 2;
	if (c->backoff_ms > RL_REDIS_BACKOFF_MAX_MS)
		c->backoff_ms = RL_REDIS_BACKOFF_MAX_MS;
}

/* hiredis is about to free the context (it has already answered every
 * pending callback with NULL) and close the socket: a lost or failed
 * connection, unless we are stopping. */
static void ev_cleanup(void *p)
{
	struct conn *c = p;
	if (!atomic_load(&stopping))
		count_error();
	watch(c, 0);
	assert(!c->head && !c->overdue);
	schedule_retry(c);
}

/* ---- commands ----------------------------------------------------------- */

static void on_reply(redisAsyncContext *ac, void *r, void *privdata);

/* Appends the check to c's output buffer; false when hiredis refuses (the
 * connection is going away). */
static bool send_item(struct conn *c, struct item *it, bool as_eval)
{
	enum { MAX_ARGS = 3 + 3 * GH_RL_MAX_CHECKS };
	const char *argv[MAX_ARGS];
	size_t lens[MAX_ARGS];
	char keys[GH_RL_MAX_CHECKS][sizeof RL_REDIS_KEY_PREFIX + GH_RL_KEY_MAX];
	char nums[2 * GH_RL_MAX_CHECKS][24];
	char nkeys[8];
	int argc = 0;

	argv[argc++] = as_eval ? "EVAL" : "EVALSHA";
	argv[argc++] = as_eval ? redis_store_script : script_sha;
	snprintf(nkeys, sizeof nkeys, "%d", it->n);
	argv[argc++] = nkeys;
	for (int i = 0; i < it->n; i++) {
		snprintf(keys[i], sizeof keys[i], "%s%.*s", RL_REDIS_KEY_PREFIX, GH_RL_KEY_MAX - 1,
			 it->checks[i].key);
		argv[argc++] = keys[i];
	}
	for (int i = 0; i < it->n; i++) {
		snprintf(nums[2 * i], sizeof nums[0], "%lld",
			 (long long)gcra_clamp_limit(it->checks[i].limit));
		snprintf(nums[2 * i + 1], sizeof nums[0], "%lld",
			 (long long)gcra_clamp_window(it->checks[i].window_ms));
		argv[argc++] = nums[2 * i];
		argv[argc++] = nums[2 * i + 1];
	}
	for (int k = 0; k < argc; k++)
		lens[k] = strlen(argv[k]);

	if (redisAsyncCommandArgv(c->ac, on_reply, it, argc, argv, lens) != REDIS_OK)
		return false;
	it->sent_as_eval = as_eval;
	it->sent_mono = mono_ms();
	it->next = NULL;
	if (c->tail) {
		c->tail->next = it;
	} else {
		c->head = it;
		c->last_progress = it->sent_mono;
	}
	c->tail = it;
	if (!c->overdue)
		c->overdue = it;
	return true;
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct conn *c = ac->data;
	struct item *it = privdata;
	const redisReply *reply = r;

	assert(c->head == it);
	c->head = it->next;
	if (!c->head)
		c->tail = NULL;
	if (c->overdue == it)
		c->overdue = it->next;
	if (reply)
		c->last_progress = mono_ms();

	if (it->answered) { /* by the fallback, after the timeout */
		free(it);
		return;
	}
	if (!reply) { /* the connection is going away */
		if (!atomic_load(&stopping))
			count_error();
		fail_over(it);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		/* The script cache was flushed (SCRIPT FLUSH, a restart behind a
		 * proxy): send the body once; it is cached again by EVAL. */
		if (!it->sent_as_eval && strncmp(reply->str, "NOSCRIPT", 8) == 0 &&
		    send_item(c, it, true))
			return;
		count_error();
		log_command_error("error reply", reply->str);
		fail_over(it);
		return;
	}
	struct gh_rl_result res;
	if (redis_store_parse_reply(reply, it->checks, it->n, &res) != 0) {
		count_error();
		log_command_error("unexpected reply", "shape or decision differs from gcra.c");
		fail_over(it);
		return;
	}
	deliver(it, &res);
}

/* SELECT's and SCRIPT LOAD's replies; privdata is non-NULL for SCRIPT LOAD,
 * the last step. */
static void on_handshake(redisAsyncContext *ac, void *r, void *privdata)
{
	struct conn *c = ac->data;
	const redisReply *reply = r;
	if (!reply)
		return; /* being freed; ev_cleanup follows */
	bool ok = privdata ? reply->type == REDIS_REPLY_STRING && reply->len == 40
			   : reply->type == REDIS_REPLY_STATUS;
	if (!ok) {
		log_event(GH_LOG_WARN, "rate limit store refused the handshake", "detail",
			  reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply", NULL);
		redisAsyncFree(ac); /* deferred by hiredis until this callback returns */
		return;
	}
	if (privdata) {
		memcpy(script_sha, reply->str, 40);
		script_sha[40] = 0;
		c->phase = CONN_READY;
		c->backoff_ms = RL_REDIS_BACKOFF_MIN_MS;
	}
}

static void conn_connect(struct conn *c)
{
	redisAsyncContext *ac = redisAsyncConnect(target.host, target.port);
	if (!ac || ac->err) {
		log_event(GH_LOG_DEBUG, "rate limit store: connect failed", "error",
			  ac ? ac->errstr : "out of memory", NULL);
		if (ac)
			redisAsyncFree(ac);
		count_error();
		schedule_retry(c);
		return;
	}
	c->ac = ac;
	c->fd = ac->c.fd;
	c->watched = 0;
	c->phase = CONN_HANDSHAKE;
	c->deadline = mono_ms() + RL_REDIS_TIMEOUT_MS;
	ac->data = c;
	ac->ev.data = c;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	/* Queued now (hiredis asks for EPOLLOUT), written once connected. */
	if (target.db != 0)
		redisAsyncCommand(ac, on_handshake, NULL, "SELECT %d", target.db);
	redisAsyncCommand(ac, on_handshake, c, "SCRIPT LOAD %s", redis_store_script);
}

/* ---- the loop ----------------------------------------------------------- */

static struct conn *pick_ready(void)
{
	for (int k = 0; k < n_conns; k++) {
		struct conn *c = &conns[(next_conn + k) % n_conns];
		if (c->phase == CONN_READY) {
			next_conn = (next_conn + k + 1) % n_conns;
			return c;
		}
	}
	return NULL;
}

static void dispatch_queue(void)
{
	pthread_mutex_lock(&queue_mu);
	struct item *it = queue_head;
	queue_head = queue_tail = NULL;
	pthread_mutex_unlock(&queue_mu);
	while (it) {
		struct item *next = it->next;
		struct conn *c = pick_ready();
		if (!c || !send_item(c, it, false))
			fail_over(it);
		it = next;
	}
}

static void run_timers(void)
{
	int64_t now = mono_ms();
	for (int i = 0; i < n_conns; i++) {
		struct conn *c = &conns[i];
		if (c->phase == CONN_WAITING) {
			if (now >= c->retry_at)
				conn_connect(c);
		} else if (c->phase == CONN_HANDSHAKE && now >= c->deadline) {
			log_event(GH_LOG_DEBUG, "rate limit store: connect timed out", NULL);
			redisAsyncFree(c->ac); /* -> ev_cleanup */
		} else if (c->phase == CONN_READY) {
			while (c->overdue && now - c->overdue->sent_mono >= RL_REDIS_TIMEOUT_MS) {
				struct item *it = c->overdue;
				c->overdue = it->next;
				it->answered = true;
				count_error();
				answer_by_fallback(it);
			}
			if (c->head && now - c->last_progress >= RL_REDIS_TIMEOUT_MS) {
				log_command_error("timeout", "no reply for 1 s; reconnecting");
				redisAsyncFree(c->ac); /* -> ev_cleanup */
			}
		}
	}
}

static int next_timeout_ms(void)
{
	int64_t now = mono_ms();
	int64_t soonest = now + 1000;
	for (int i = 0; i < n_conns; i++) {
		const struct conn *c = &conns[i];
		int64_t at = soonest;
		if (c->phase == CONN_WAITING)
			at = c->retry_at;
		else if (c->phase == CONN_HANDSHAKE)
			at = c->deadline;
		else if (c->head)
			at = c->last_progress + RL_REDIS_TIMEOUT_MS;
		if (c->phase == CONN_READY && c->overdue &&
		    c->overdue->sent_mono + RL_REDIS_TIMEOUT_MS < at)
			at = c->overdue->sent_mono + RL_REDIS_TIMEOUT_MS;
		if (at < soonest)
			soonest = at;
	}
	return soonest <= now ? 0 : (int)(soonest - now);
}

static void publish_state(void)
{
	bool up = false, all_tried = true;
	for (int i = 0; i < n_conns; i++) {
		up |= conns[i].phase == CONN_READY;
		all_tried &= conns[i].ever_failed || conns[i].phase == CONN_READY;
	}
	atomic_store(&store_state, up ? REDIS_STORE_UP : REDIS_STORE_DOWN);
	char where[300];
	snprintf(where, sizeof where, "%s:%d", target.host, target.port);
	if (up && announced != ANNOUNCED_UP) {
		log_event(GH_LOG_INFO,
			  announced == ANNOUNCED_DOWN ? "rate limit store recovered"
						      : "rate limit store connected",
			  "redis", where, NULL);
		announced = ANNOUNCED_UP;
	} else if (!up && announced != ANNOUNCED_DOWN && (announced == ANNOUNCED_UP || all_tried)) {
		log_event(GH_LOG_WARN, "rate limit store unreachable, falling back", "redis", where,
			  NULL);
		announced = ANNOUNCED_DOWN;
	}
	if (announced != ANNOUNCED_NOTHING)
		atomic_store(&settled, true);
}

static void *loop_main(void *unused)
{
	(void)unused;
	/* hiredis writes with write(2): a peer that vanished must give EPIPE, not
	 * kill the process (app.c ignores SIGPIPE too; tests may not). */
	sigset_t pipe_set;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

	for (int i = 0; i < n_conns; i++)
		conn_connect(&conns[i]);
	publish_state();

	while (!atomic_load(&stopping)) {
		struct epoll_event evs[2 * RL_REDIS_POOL_MAX + 1];
		int k = epoll_wait(epfd, evs, (int)(sizeof evs / sizeof evs[0]), next_timeout_ms());
		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			uint32_t e = evs[i].events;
			if (!c) {
				uint64_t count;
				ssize_t got = read(wakefd, &count, sizeof count);
				(void)got;
				continue;
			}
			/* an earlier event of this batch may have freed it */
			if (c->ac && (e & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				redisAsyncHandleRead(c->ac);
			if (c->ac && (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				redisAsyncHandleWrite(c->ac);
		}
		dispatch_queue();
		run_timers();
		publish_state();
		/* A pending SIGPIPE stays queued on this thread; drop it. */
		struct timespec zero = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
		}
	}

	for (int i = 0; i < n_conns; i++) {
		if (conns[i].ac)
			redisAsyncFree(conns[i].ac); /* in-flight checks fall back */
	}
	pthread_mutex_lock(&queue_mu);
	accepting = false;
	struct item *it = queue_head;
	queue_head = queue_tail = NULL;
	pthread_mutex_unlock(&queue_mu);
	while (it) {
		struct item *next = it->next;
		fail_over(it);
		it = next;
	}
	return NULL;
}

/* ---- the public side ---------------------------------------------------- */

void redis_store_set_pool_size(int n)
{
	pool_size = n < 1 ? 1 : n > RL_REDIS_POOL_MAX ? RL_REDIS_POOL_MAX : n;
}

int redis_store_start(const struct redis_store_target *t)
{
	if (running)
		return -1;
	target = *t;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epfd < 0 || wakefd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) != 0)
		goto fail;

	n_conns = pool_size;
	next_conn = 0;
	memset(conns, 0, sizeof conns);
	for (int i = 0; i < n_conns; i++)
		conns[i].backoff_ms = RL_REDIS_BACKOFF_MIN_MS;
	announced = ANNOUNCED_NOTHING;
	atomic_store(&settled, false);
	atomic_store(&stopping, false);
	atomic_store(&store_state, REDIS_STORE_DOWN);
	pthread_mutex_lock(&queue_mu);
	accepting = true;
	pthread_mutex_unlock(&queue_mu);

	if (pthread_create(&loop_thread, NULL, loop_main, NULL) != 0) {
		atomic_store(&store_state, REDIS_STORE_DISABLED);
		goto fail;
	}
	running = true;

	/* Let the first connections finish (or fail) before traffic arrives. */
	for (int waited = 0; waited < RL_REDIS_TIMEOUT_MS + 100 && !atomic_load(&settled);
	     waited += 2)
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	return 0;

fail:
	if (epfd >= 0)
		close(epfd);
	if (wakefd >= 0)
		close(wakefd);
	epfd = wakefd = -1;
	return -1;
}

void redis_store_stop(void)
{
	if (!running)
		return;
	atomic_store(&stopping, true);
	uint64_t one = 1;
	ssize_t put = write(wakefd, &one, sizeof one);
	(void)put;
	pthread_join(loop_thread, NULL);
	atomic_store(&store_state, REDIS_STORE_DISABLED);
	close(epfd);
	close(wakefd);
	epfd = wakefd = -1;
	running = false;
}

enum redis_store_state redis_store_state(void)
{
	return (enum redis_store_state)atomic_load_explicit(&store_state, memory_order_acquire);
}

bool redis_store_submit(const struct gh_rl_check *checks, int n, int64_t now_ms, gh_rl_done done,
			void *arg)
{
	assert(n >= 1 && n <= GH_RL_MAX_CHECKS);
	struct item *it = malloc(sizeof *it + (size_t)n * sizeof it->checks[0]);
	if (!it)
		return false;
	it->next = NULL;
	it->done = done;
	it->arg = arg;
	it->now_ms = now_ms;
	it->submitted_mono = mono_ms();
	it->sent_mono = 0;
	it->sent_as_eval = false;
	it->answered = false;
	it->n = n;
	memcpy(it->checks, checks, (size_t)n * sizeof checks[0]);

	pthread_mutex_lock(&queue_mu);
	if (!accepting) {
		pthread_mutex_unlock(&queue_mu);
		free(it);
		return false;
	}
	bool was_empty = !queue_head;
	if (queue_tail)
		queue_tail->next = it;
	else
		queue_head = it;
	queue_tail = it;
	/* The loop takes the whole queue after each wake-up, so only the push
	 * onto an empty queue needs to wake it. Written under the lock so stop
	 * cannot close wakefd in between. */
	if (was_empty) {
		uint64_t one = 1;
		ssize_t put = write(wakefd, &one, sizeof one);
		(void)put;
	}
	pthread_mutex_unlock(&queue_mu);
	return true;
}

uint64_t redis_store_errors(void)
{
	return atomic_load_explicit(&errors_total, memory_order_relaxed);
}
