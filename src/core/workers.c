/*
 * workers — a mutex+condvar FIFO in front of N threads. See workers.h.
 * The queue is a fixed ring sized at start (max_queue), so submitting never
 * allocates and a flood is refused instead of growing memory without bound.
 */
#include "core/workers.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
	gh_job_fn fn;
	void *arg;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t nonempty;
	struct job *ring;
	int cap, head, count;
	bool stopping;
	pthread_t *threads;
	int n_threads;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER};

static void *worker_main(void *unused)
{
	(void)unused;
	for (;;) {
		pthread_mutex_lock(&pool.mu);
		while (pool.count == 0 && !pool.stopping)
			pthread_cond_wait(&pool.nonempty, &pool.mu);
		if (pool.count == 0) { /* stopping and drained */
			pthread_mutex_unlock(&pool.mu);
			return NULL;
		}
		struct job j = pool.ring[pool.head];
		pool.head = (pool.head + 1) % pool.cap;
		pool.count--;
		pthread_mutex_unlock(&pool.mu);
		j.fn(j.arg);
	}
}

int workers_start(int n_threads, int max_queue)
{
	pool.ring = calloc((size_t)max_queue, sizeof *pool.ring);
	pool.threads = calloc((size_t)n_threads, sizeof *pool.threads);
	if (!pool.ring || !pool.threads)
		return -1;
	pool.cap = max_queue;
	pool.stopping = false;
	for (int i = 0; i < n_threads; i++) {
		if (pthread_create(&pool.threads[i], NULL, worker_main, NULL) != 0)
			return -1;
		pool.n_threads++;
	}
	return 0;
}

bool workers_submit(gh_job_fn fn, void *arg)
{
	pthread_mutex_lock(&pool.mu);
	if (pool.stopping || pool.count == pool.cap) {
		pthread_mutex_unlock(&pool.mu);
		return false;
	}
	pool.ring[(pool.head + pool.count) % pool.cap] = (struct job){fn, arg};
	pool.count++;
	pthread_cond_signal(&pool.nonempty);
	pthread_mutex_unlock(&pool.mu);
	return true;
}

int workers_queue_depth(void)
{
	pthread_mutex_lock(&pool.mu);
	int n = pool.count;
	pthread_mutex_unlock(&pool.mu);
	return n;
}

void workers_stop(void)
{
	pthread_mutex_lock(&pool.mu);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.nonempty);
	pthread_mutex_unlock(&pool.mu);
	for (int i = 0; i < pool.n_threads; i++)
		pthread_join(pool.threads[i], NULL);
	free(pool.threads);
	free(pool.ring);
	pool.threads = NULL;
	pool.ring = NULL;
	pool.n_threads = 0;
}
