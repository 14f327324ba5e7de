/*
 * lockout — see lockout.h. A direct-mapped table of SLOTS entries keyed by
 * BLAKE2b(account); a collision replaces the older entry, which bounds memory
 * at SLOTS * 48 bytes whatever an attacker sends.
 */
#include "auth/lockout.h"

#include "core/clock.h"

#include <sodium.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define SLOTS 65536

struct entry {
	uint8_t key[16];
	int failures;
	int64_t locked_until; /* ms; 0 = not locked */
	int64_t last_failure;
};

static struct entry table[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int max_attempts = 5;
static int64_t duration_ms = 1800 * 1000;

void lockout_init(int attempts, int duration_s)
{
	max_attempts = attempts;
	duration_ms = (int64_t)duration_s * 1000;
}

static struct entry *find(const char *account, uint8_t key[16], bool create)
{
	crypto_generichash(key, 16, (const unsigned char *)account, strlen(account), NULL, 0);
	struct entry *e = &table[((unsigned)key[0] | ((unsigned)key[1] << 8)) % SLOTS];
	if (memcmp(e->key, key, 16) == 0)
		return e;
	if (!create)
		return NULL;
	memset(e, 0, sizeof *e);
	memcpy(e->key, key, 16);
	return e;
}

bool lockout_is_locked(const char *account)
{
	uint8_t key[16];
	pthread_mutex_lock(&mu);
	struct entry *e = find(account, key, false);
	bool locked = e && e->locked_until > clock_now_ms();
	pthread_mutex_unlock(&mu);
	return locked;
}

bool lockout_record_failure(const char *account)
{
	uint8_t key[16];
	int64_t now = clock_now_ms();
	pthread_mutex_lock(&mu);
	struct entry *e = find(account, key, true);
	if (e->locked_until && e->locked_until <= now) { /* lock expired: start over */
		e->failures = 0;
		e->locked_until = 0;
	}
	e->failures++;
	e->last_failure = now;
	bool locked_now = false;
	if (e->failures >= max_attempts && !e->locked_until) {
		e->locked_until = now + duration_ms;
		locked_now = true;
	}
	pthread_mutex_unlock(&mu);
	return locked_now;
}

void lockout_record_success(const char *account)
{
	lockout_unlock(account);
}

void lockout_unlock(const char *account)
{
	uint8_t key[16];
	pthread_mutex_lock(&mu);
	struct entry *e = find(account, key, false);
	if (e)
		memset(e, 0, sizeof *e);
	pthread_mutex_unlock(&mu);
}
