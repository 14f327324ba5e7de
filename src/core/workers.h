/*
 * workers — the pool that runs slow work (password hashing, database
 * writes) off the HTTP threads, so a slow request never delays a fast one.
 *
 * Owns: the worker threads and one FIFO queue of jobs. A job is a function and
 * an argument; the pool never frees the argument (the job does).
 *
 * Threads: workers_submit from any thread. workers_stop (main thread) runs
 * every job already queued, then joins the threads: nothing accepted is lost
 * on a graceful shutdown.
 */
#ifndef GH_CORE_WORKERS_H
#define GH_CORE_WORKERS_H

#include <stdbool.h>

typedef void (*gh_job_fn)(void *arg);

int workers_start(int n_threads, int max_queue);
/* false when the queue is full or the pool is stopping: answer 503. */
bool workers_submit(gh_job_fn fn, void *arg);
int workers_queue_depth(void);
void workers_stop(void);

#endif
