/*
 * local — the in-process GCRA store behind ratelimit_check_local()
 * (declared in ratelimit.h). Internal to src/ratelimit/ and its tests.
 *
 * Layout: RL_LOCAL_SHARDS shards, each a mutex and an open-addressing table
 * of RL_LOCAL_SHARD_SLOTS fixed slots (32 bytes each: 32 MiB of address
 * space in all, allocated once and touched only as keys arrive). A key is
 * identified by SipHash-2-4 (libsodium crypto_shorthash_siphashx24, 128-bit
 * output) under a random key drawn at first use: 64 bits choose the shard
 * and the home slot, 64 more confirm the match, so an attacker can neither
 * aim keys at one probe window nor make two keys share a bucket.
 *
 * A key lives in one of the RL_LOCAL_PROBE slots after its home slot. A slot
 * whose TAT <= now is idle: forgetting it changes no answer, so it is free.
 * When all slots of a probe window are busy the one with the smallest TAT
 * (the closest to idle) is evicted; that key starts afresh (a full burst) the
 * next time. Memory is therefore bounded whatever the number of subjects;
 * ratelimit_local_evictions() says when the table is too small for the load.
 *
 * Threads: any. A check locks the shards it needs in increasing index order
 * (each once), decides, commits only if every rule passes, and unlocks.
 */
#ifndef GH_RATELIMIT_LOCAL_H
#define GH_RATELIMIT_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#define RL_LOCAL_SHARDS 64
#define RL_LOCAL_SHARD_SLOTS 16384 /* power of two */
#define RL_LOCAL_PROBE 16

/* Total slots: the most keys that are remembered at once. */
size_t ratelimit_local_capacity(void);
/* Slots holding a key that is not idle at now_ms (walks every shard: slow). */
size_t ratelimit_local_busy(int64_t now_ms);
/* Busy keys forgotten to make room, since start. */
uint64_t ratelimit_local_evictions(void);

/* TEST ONLY: forgets every key (the module is a process-wide singleton, so
 * tests that need a clean table call this). Not for production paths. */
void ratelimit_local_reset(void);

#endif
