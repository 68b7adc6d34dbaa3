#include "ckernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

// The engine's helper threads. A job is `chunks` calls of `task`; the caller and the
// helpers claim chunks from one ticket (the job's generation in the high 32 bits, the next
// chunk in the low), so a helper the system has not scheduled yet delays the job by at most
// the chunk it has claimed, and a helper that wakes late cannot claim a chunk of another
// job. Helpers spin briefly between jobs (an evaluation issues its parallel steps back to
// back), then sleep on a condition.

enum { MAX_HELPERS = 63, SPINS = 20000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int helpers;
static atomic_flag busy = ATOMIC_FLAG_INIT;
static atomic_ulong ticket;
static atomic_long done_chunks;
static _Atomic long job_chunks;
static _Atomic int job_helpers;
static _Atomic ppl_task job_task;
static void *_Atomic job_context;

static void work(unsigned long generation) {
  for (;;) {
    unsigned long t = atomic_load(&ticket);
    if (t >> 32 != generation) return;
    // Read before the claim: a successful claim proves they belong to this job.
    long chunks = atomic_load(&job_chunks);
    ppl_task task = atomic_load(&job_task);
    void *context = atomic_load(&job_context);
    long c = (long)(t & 0xffffffffUL);
    if (c >= chunks) return;
    if (!atomic_compare_exchange_weak(&ticket, &t, t + 1)) continue;
    task(context, c);
    atomic_fetch_add(&done_chunks, 1);
  }
}

static void *helper(void *arg) {
  int me = (int)(long)arg;
  unsigned long seen = atomic_load(&ticket) >> 32;
  for (;;) {
    for (int spins = 0; atomic_load(&ticket) >> 32 == seen && spins < SPINS; spins++) {}
    if (atomic_load(&ticket) >> 32 == seen) {
      pthread_mutex_lock(&lock);
      while (atomic_load(&ticket) >> 32 == seen) pthread_cond_wait(&wake, &lock);
      pthread_mutex_unlock(&lock);
    }
    seen = atomic_load(&ticket) >> 32;
    if (me < atomic_load(&job_helpers)) work(seen);
  }
  return 0;
}

static atomic_int evaluations;

int ppl_evaluations(int delta) { return atomic_fetch_add(&evaluations, delta) + delta; }

int ppl_parallel_for(long chunks, int threads, ppl_task task, void *context) {
  if (threads > MAX_HELPERS + 1) threads = MAX_HELPERS + 1;
  if (threads < 2 || chunks < 2 || chunks >= 0xffffffffL || atomic_flag_test_and_set(&busy)) {
    for (long c = 0; c < chunks; c++) task(context, c);
    return 1;
  }
  while (helpers < threads - 1) {
    pthread_t t;
    if (pthread_create(&t, 0, helper, (void *)(long)helpers) != 0) break;
    pthread_detach(t);
    helpers++;
  }
  int used = threads - 1 < helpers ? threads - 1 : helpers;
  // Close the last job's ticket before writing this one's fields: a helper that read the
  // last ticket and then this job's fields would otherwise claim a chunk of this job by a
  // compare-exchange on the last ticket, run it before the job starts and run it twice
  // (found as the task's context outliving the call). The closed ticket has a generation
  // of its own and no chunk to claim; this job's is the next.
  unsigned long closed = (atomic_load(&ticket) >> 32) + 1, generation = closed + 1;
  atomic_store(&ticket, closed << 32 | 0xffffffffUL);
  atomic_store(&job_chunks, chunks);
  atomic_store(&job_task, task);
  atomic_store(&job_context, context);
  atomic_store(&job_helpers, used);
  atomic_store(&done_chunks, 0);
  pthread_mutex_lock(&lock);
  atomic_store(&ticket, generation << 32);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  work(generation);
  // Chunks a helper claimed may still be running; it needs the core more than we do.
  while (atomic_load(&done_chunks) < chunks) sched_yield();
  atomic_flag_clear(&busy);
  return used + 1;
}
