/*
 * threads.h
 *	  Threads for the EM kernels: the gmm.threads setting and a runner that
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

/* value of the gmm.threads setting (0 = automatic) */
extern int	gmm_threads;

/* define gmm.threads; called from _PG_init */
extern void gmm_threads_init(void);

/* threads to use for a job of about "work" floating point operations */
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
