/*
 * kernel/threads.c
 *	  The block runner of threads.h: POSIX threads that only do arithmetic,
 *	  with signals blocked so that every signal reaches the backend's own
 *	  thread, interrupts serviced by that thread alone, and OpenBLAS kept
 *	  single-threaded with its own pool of threads stopped.  The gmm.threads
 *	  setting is in gmm.c; it reaches the runner through
 *	  gmm_thread_limit_hook.
 */
#include "postgres.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "miscadmin.h"
#include "port/atomics.h"

#include "kernel/threads.h"

/* below this much work per thread another thread is not worth starting */
#define GMM_MIN_WORK_PER_THREAD 2.0e6

int			(*gmm_thread_limit_hook) (void) = NULL;

/* OpenBLAS's thread control, when the BLAS in use is OpenBLAS */
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int	openblas_get_num_threads(void) __attribute__((weak));
extern int	blas_thread_shutdown_(void) __attribute__((weak));

typedef struct GmmJob
{
	GmmBlockFn	fn;
	void	   *arg;
	int			nthreads;
	int			next[GMM_MAX_THREADS];	/* next block of each thread */
	int			end[GMM_MAX_THREADS];	/* one past its last block */
	pthread_t	handle[GMM_MAX_THREADS];
	bool		started[GMM_MAX_THREADS];
	pg_atomic_uint32 stop;		/* set by the main thread to pause all */
} GmmJob;

typedef struct GmmWorker
{
	GmmJob	   *job;
	int			tid;
} GmmWorker;

/*
 * Keep OpenBLAS single-threaded with its pool stopped.  gmm's kernels run
 * their own threads, and its LAPACK calls are small.  OpenBLAS starts a
 * pool of threads when it is loaded, which spin (sched_yield) for a while
 * after loading and after every call: on a busy server, and in every
 * parallel worker, they take CPU time from the query.  Once stopped, the
 * pool is started again by any openblas_set_num_threads call, whatever
 * the count: so call it only when something else has changed the count.
 */
static void
gmm_blas_single_threaded(void)
{
	if (openblas_get_num_threads == NULL || openblas_set_num_threads == NULL ||
		openblas_get_num_threads() == 1)
		return;
	openblas_set_num_threads(1);
	if (blas_thread_shutdown_)
		blas_thread_shutdown_();
}

/*
 * Stop OpenBLAS's pool of threads (once, from _PG_init): at load the pool
 * runs whatever the count, so stop it in any case
 */
void
gmm_blas_stop_pool(void)
{
	if (openblas_set_num_threads)
		openblas_set_num_threads(1);
	if (blas_thread_shutdown_)
		blas_thread_shutdown_();
}

/* CPUs this process may run on */
int
gmm_cpu_count(void)
{
	static int	ncpu = 0;

	if (ncpu == 0)
	{
#ifdef CPU_COUNT
		cpu_set_t	set;

		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			ncpu = CPU_COUNT(&set);
#endif
		if (ncpu <= 0)
			ncpu = (int) sysconf(_SC_NPROCESSORS_ONLN);
		if (ncpu <= 0)
			ncpu = 1;
	}
	return ncpu;
}

/* Threads for a job of about "work" flops */
int
gmm_thread_count(double work)
{
	int			n = gmm_thread_limit_hook ? gmm_thread_limit_hook() : 1;
	int			by_work;

	by_work = (int) Min(work / GMM_MIN_WORK_PER_THREAD, (double) GMM_MAX_THREADS);
	n = Min(n, Max(by_work, 1));
	return Max(n, 1);
}

/* Run thread tid's remaining blocks; false if asked to stop first */
static bool
gmm_run_range(GmmJob *job, int tid, bool is_main)
{
	while (job->next[tid] < job->end[tid])
	{
		if (is_main)
		{
			if (INTERRUPTS_PENDING_CONDITION() && INTERRUPTS_CAN_BE_PROCESSED())
			{
				pg_atomic_write_u32(&job->stop, 1);
				return false;
			}
		}
		else if (pg_atomic_read_u32(&job->stop) != 0)
			return false;
		job->fn(job->arg, tid, job->next[tid]);
		job->next[tid]++;
	}
	return true;
}

/* Body of a worker thread */
static void *
gmm_worker_main(void *p)
{
	GmmWorker  *w = (GmmWorker *) p;

	gmm_run_range(w->job, w->tid, false);
	return NULL;
}

/* Run the job's blocks on its threads until all are done or interrupted */
static bool
gmm_run_once(GmmJob *job, GmmWorker *workers)
{
	sigset_t	all,
				old;
	bool		done;

	/* threads inherit the mask: block everything while creating them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int t = 1; t < job->nthreads; t++)
	{
		job->started[t] = false;
		if (job->next[t] < job->end[t])
		{
			workers[t].job = job;
			workers[t].tid = t;
			job->started[t] = (pthread_create(&job->handle[t], NULL,
											  gmm_worker_main, &workers[t]) == 0);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	done = gmm_run_range(job, 0, true);
	for (int t = 1; t < job->nthreads; t++)
		if (job->started[t])
			pthread_join(job->handle[t], NULL);
	/* ranges whose thread could not be started run here */
	for (int t = 1; t < job->nthreads && done; t++)
		done = gmm_run_range(job, t, true);
	for (int t = 0; t < job->nthreads && done; t++)
		done = (job->next[t] >= job->end[t]);
	return done;
}

/* Run fn over nblocks blocks on nthreads threads (see threads.h) */
void
gmm_run_blocks(int nthreads, int nblocks, GmmBlockFn fn, void *arg)
{
	GmmJob	   *job;
	GmmWorker  *workers;

	nthreads = Max(1, Min(nthreads, Min(nblocks, GMM_MAX_THREADS)));
	job = palloc0(sizeof(GmmJob));
	workers = palloc0(sizeof(GmmWorker) * nthreads);
	job->fn = fn;
	job->arg = arg;
	job->nthreads = nthreads;
	pg_atomic_init_u32(&job->stop, 0);
	for (int t = 0; t < nthreads; t++)
	{
		job->next[t] = (int) ((int64) nblocks * t / nthreads);
		job->end[t] = (int) ((int64) nblocks * (t + 1) / nthreads);
	}

	/* our threads call BLAS: it must not start threads of its own */
	gmm_blas_single_threaded();
	while (!gmm_run_once(job, workers))
	{
		/* every thread has stopped: service the interrupt, then go on */
		CHECK_FOR_INTERRUPTS();
		pg_atomic_write_u32(&job->stop, 0);
	}
	pfree(workers);
	pfree(job);
}
