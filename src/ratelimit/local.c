/*
 * local — in-process GCRA store; see local.h for the layout and its bounds,
 * gcra.h for the arithmetic.
 */
#include "ratelimit/local.h"

#include "ratelimit/gcra.h"
#include "ratelimit/ratelimit.h"

#include <sodium.h>

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_MASK (RL_LOCAL_SHARD_SLOTS - 1)

_Static_assert((RL_LOCAL_SHARD_SLOTS & SLOT_MASK) == 0, "slots per shard: a power of two");
_Static_assert((RL_LOCAL_SHARDS & (RL_LOCAL_SHARDS - 1)) == 0, "shards: a power of two");

/* An all-zero slot is an idle key (TAT 0), i.e. free. */
struct slot {
	uint64_t h1, h2;
	int64_t tat_ms;
	uint32_t tat_frac; /* < limit <= 1e9 */
	uint32_t limit;    /* the denominator of tat_frac */
};

struct shard {
	_Alignas(64) pthread_mutex_t mu;
	struct slot *slots; /* RL_LOCAL_SHARD_SLOTS */
	uint64_t evictions; /* under mu */
};

struct key_id {
	uint64_t h1, h2;
};

static struct shard shards[RL_LOCAL_SHARDS];
static struct slot *arena;
static unsigned char hash_key[crypto_shorthash_siphashx24_KEYBYTES];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
	if (sodium_init() < 0)
		abort();
	randombytes_buf(hash_key, sizeof hash_key);
	/* One block: calloc maps fresh zero pages, so only touched slots cost
	 * resident memory. */
	arena = calloc((size_t)RL_LOCAL_SHARDS * RL_LOCAL_SHARD_SLOTS, sizeof *arena);
	if (!arena) {
		fputs("ratelimit: cannot allocate the local table\n", stderr);
		abort();
	}
	for (int i = 0; i < RL_LOCAL_SHARDS; i++) {
		pthread_mutex_init(&shards[i].mu, NULL);
		shards[i].slots = arena + (size_t)i * RL_LOCAL_SHARD_SLOTS;
	}
}

static struct key_id key_hash(const char *key)
{
	unsigned char h[crypto_shorthash_siphashx24_BYTES];
	crypto_shorthash_siphashx24(h, (const unsigned char *)key, strnlen(key, GH_RL_KEY_MAX),
				    hash_key);
	struct key_id id;
	memcpy(&id.h1, h, 8);
	memcpy(&id.h2, h + 8, 8);
	return id;
}

static unsigned shard_of(struct key_id id)
{
	return (unsigned)(id.h1 & (RL_LOCAL_SHARDS - 1));
}

static size_t home_of(struct key_id id)
{
	return (size_t)(id.h1 >> 6) & SLOT_MASK; /* bits the shard index did not use */
}

static struct slot *slot_find(struct shard *s, struct key_id id)
{
	size_t home = home_of(id);
	for (size_t k = 0; k < RL_LOCAL_PROBE; k++) {
		struct slot *e = &s->slots[(home + k) & SLOT_MASK];
		if (e->h1 == id.h1 && e->h2 == id.h2)
			return e;
	}
	return NULL;
}

static bool slot_idle(const struct slot *e, int64_t now_ms)
{
	return gcra_tat_idle((struct gcra_tat){e->tat_ms, e->tat_frac}, now_ms);
}

/* The slot to write id into: its own, else the first idle one, else the
 * busy one closest to idle (evicted). */
static struct slot *slot_claim(struct shard *s, struct key_id id, int64_t now_ms)
{
	struct slot *own = slot_find(s, id);
	if (own)
		return own;
	size_t home = home_of(id);
	struct slot *oldest = NULL;
	for (size_t k = 0; k < RL_LOCAL_PROBE; k++) {
		struct slot *e = &s->slots[(home + k) & SLOT_MASK];
		if (slot_idle(e, now_ms))
			return e;
		/* ms first, then the fraction: exact enough to pick a victim */
		if (!oldest || e->tat_ms < oldest->tat_ms ||
		    (e->tat_ms == oldest->tat_ms && e->tat_frac < oldest->tat_frac))
			oldest = e;
	}
	s->evictions++;
	return oldest;
}

void ratelimit_check_local(const struct gh_rl_check *checks, int n, int64_t now_ms,
			   struct gh_rl_result *out)
{
	assert(n >= 0 && n <= GH_RL_MAX_CHECKS);
	if (n < 0)
		n = 0;
	if (n > GH_RL_MAX_CHECKS)
		n = GH_RL_MAX_CHECKS;
	pthread_once(&init_once, init_tables);

	struct key_id ids[GH_RL_MAX_CHECKS];
	unsigned shard_ix[GH_RL_MAX_CHECKS];
	int same_key_as[GH_RL_MAX_CHECKS];
	unsigned locked[GH_RL_MAX_CHECKS];
	int n_locked = 0;

	for (int i = 0; i < n; i++) {
		ids[i] = key_hash(checks[i].key);
		shard_ix[i] = shard_of(ids[i]);
		same_key_as[i] = -1;
		for (int j = 0; j < i; j++) {
			if (ids[j].h1 == ids[i].h1 && ids[j].h2 == ids[i].h2) {
				same_key_as[i] = j;
				break;
			}
		}
		/* insertion into the sorted, duplicate-free list of shards */
		int at = n_locked;
		while (at > 0 && locked[at - 1] > shard_ix[i])
			at--;
		if (at > 0 && locked[at - 1] == shard_ix[i])
			continue;
		memmove(&locked[at + 1], &locked[at], (size_t)(n_locked - at) * sizeof locked[0]);
		locked[at] = shard_ix[i];
		n_locked++;
	}

	for (int k = 0; k < n_locked; k++)
		pthread_mutex_lock(&shards[locked[k]].mu);

	struct gcra_tat before[GH_RL_MAX_CHECKS], after[GH_RL_MAX_CHECKS];
	for (int i = 0; i < n; i++) {
		const struct slot *e = slot_find(&shards[shard_ix[i]], ids[i]);
		before[i] = e ? gcra_tat_rescale((struct gcra_tat){e->tat_ms, e->tat_frac},
						 e->limit, gcra_clamp_limit(checks[i].limit))
			      : (struct gcra_tat){0, 0};
	}
	if (gcra_decide_all(checks, n, same_key_as, before, now_ms, after, out)) {
		/* In order, so a repeated key ends with its last TAT; claiming again
		 * (rather than reusing the slot found above) keeps two new keys of
		 * this request from taking the same free slot. */
		for (int i = 0; i < n; i++) {
			struct slot *e = slot_claim(&shards[shard_ix[i]], ids[i], now_ms);
			e->h1 = ids[i].h1;
			e->h2 = ids[i].h2;
			e->tat_ms = after[i].ms;
			e->tat_frac = (uint32_t)after[i].frac;
			e->limit = (uint32_t)gcra_clamp_limit(checks[i].limit);
		}
	}

	for (int k = n_locked - 1; k >= 0; k--)
		pthread_mutex_unlock(&shards[locked[k]].mu);
}

size_t ratelimit_local_capacity(void)
{
	return (size_t)RL_LOCAL_SHARDS * RL_LOCAL_SHARD_SLOTS;
}

size_t ratelimit_local_busy(int64_t now_ms)
{
	pthread_once(&init_once, init_tables);
	size_t busy = 0;
	for (int i = 0; i < RL_LOCAL_SHARDS; i++) {
		pthread_mutex_lock(&shards[i].mu);
		for (size_t k = 0; k < RL_LOCAL_SHARD_SLOTS; k++)
			busy += !slot_idle(&shards[i].slots[k], now_ms);
		pthread_mutex_unlock(&shards[i].mu);
	}
	return busy;
}

uint64_t ratelimit_local_evictions(void)
{
	pthread_once(&init_once, init_tables);
	uint64_t total = 0;
	for (int i = 0; i < RL_LOCAL_SHARDS; i++) {
		pthread_mutex_lock(&shards[i].mu);
		total += shards[i].evictions;
		pthread_mutex_unlock(&shards[i].mu);
	}
	return total;
}

void ratelimit_local_reset(void)
{
	pthread_once(&init_once, init_tables);
	for (int i = 0; i < RL_LOCAL_SHARDS; i++) {
		pthread_mutex_lock(&shards[i].mu);
		memset(shards[i].slots, 0, RL_LOCAL_SHARD_SLOTS * sizeof(struct slot));
		shards[i].evictions = 0;
		pthread_mutex_unlock(&shards[i].mu);
	}
}

void ratelimit_peek_local(const struct gh_rl_check *checks, int n, int64_t now_ms,
			  int64_t *remaining, int64_t *reset_ms)
{
	pthread_once(&init_once, init_tables);
	for (int i = 0; i < n && i < GH_RL_MAX_CHECKS; i++) {
		struct key_id id = key_hash(checks[i].key);
		struct shard *s = &shards[shard_of(id)];
		int64_t limit = gcra_clamp_limit(checks[i].limit);
		pthread_mutex_lock(&s->mu);
		const struct slot *e = slot_find(s, id);
		struct gcra_tat tat =
		    e ? gcra_tat_rescale((struct gcra_tat){e->tat_ms, e->tat_frac}, e->limit, limit)
		      : (struct gcra_tat){0, 0};
		pthread_mutex_unlock(&s->mu);
		gcra_peek(limit, gcra_clamp_window(checks[i].window_ms), tat, now_ms, &remaining[i],
			  &reset_ms[i]);
	}
}
