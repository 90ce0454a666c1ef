/*
 * kernel/threads.h
 *	  Threads for the EM kernels: a runner that
 *	  splits a job of numbered blocks over pthreads doing pure arithmetic on
 *	  buffers allocated beforehand.  Only the calling (main) thread ever
 *	  touches PostgreSQL: it checks for interrupts between its blocks, stops
 *	  the other threads, and lets CHECK_FOR_INTERRUPTS() act once they have
 *	  all stopped.
 *
 * Thread t always gets the same contiguous range of blocks and processes
 * them in order; a caller whose blocks each write their own result, added
 * up in block order afterwards, gets the same bits for any thread count.
 */
#ifndef GMM_THREADS_H
#define GMM_THREADS_H

#define GMM_MAX_THREADS 64

/*
 * The most threads a job may use (gmm.c sets it from gmm.threads); NULL
 * means one thread
 */
extern int	(*gmm_thread_limit_hook) (void);

/* CPUs this process may run on */
extern int	gmm_cpu_count(void);

/* stop OpenBLAS's pool of threads, whatever its count (from _PG_init) */
extern void gmm_blas_stop_pool(void);

/* threads to use for a job of about "work" floating point operations (at most the limit) */
extern int	gmm_thread_count(double work);

/* fn(arg, tid, block): process one block with thread tid's buffers */
typedef void (*GmmBlockFn) (void *arg, int tid, int block);

/*
 * Run fn over blocks 0..nblocks-1, thread t taking blocks
 * [t * nblocks / nthreads, (t + 1) * nblocks / nthreads) in order.  BLAS
 * runs single-threaded inside.  May throw (from CHECK_FOR_INTERRUPTS) only
 * when no other thread is running.
 */
extern void gmm_run_blocks(int nthreads, int nblocks, GmmBlockFn fn, void *arg);

#endif							/* GMM_THREADS_H */
