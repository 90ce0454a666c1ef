/*
 * test_threads.c
 *	  Unit tests of kernel/threads.c and of the threaded E-step: every block
 *	  runs exactly once, on its thread's contiguous range; an interrupt
 *	  pauses the threads and the job still finishes, a cancel stops it; the
 *	  blocked E-step and a whole EM fit give the same bits for 1, 2 and 3
 *	  threads, and with an interrupt on the way.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/atomics.h"

#include "unit.h"
#include "fixtures.h"
#include "kernel/driver.h"
#include "kernel/estep.h"
#include "kernel/threads.h"

static int	test_threads = 1;

/* the thread limit the tests set through gmm_thread_limit_hook */
static int
test_thread_limit(void)
{
	return test_threads;
}

#define N_BLOCKS 37

typedef struct BlockLog
{
	pg_atomic_uint32 visits[N_BLOCKS];
	int			tid[N_BLOCKS];
	int			interrupt_at;	/* block at which the main thread raises one */
} BlockLog;

/* a block: count the visit, note the thread, maybe raise an interrupt */
static void
log_block(void *arg, int tid, int block)
{
	BlockLog   *log = arg;

	pg_atomic_fetch_add_u32(&log->visits[block], 1);
	log->tid[block] = tid;
	if (tid == 0 && block == log->interrupt_at)
		InterruptPending = true;
}

/* check that each block ran once, thread t over [t*n/T, (t+1)*n/T) */
static void
check_blocks(BlockLog *log, int nthreads)
{
	for (int b = 0; b < N_BLOCKS; b++)
	{
		int			t = 0;

		while ((int64) N_BLOCKS * (t + 1) / nthreads <= b)
			t++;
		UNIT_CHECK(pg_atomic_read_u32(&log->visits[b]) == 1, "%d threads: block %d ran %u times",
				   nthreads, b, pg_atomic_read_u32(&log->visits[b]));
		UNIT_CHECK(log->tid[b] == t, "%d threads: block %d on thread %d, expected %d",
				   nthreads, b, log->tid[b], t);
	}
}

static BlockLog *
new_log(int interrupt_at)
{
	BlockLog   *log = palloc0(sizeof(BlockLog));

	for (int b = 0; b < N_BLOCKS; b++)
		pg_atomic_init_u32(&log->visits[b], 0);
	log->interrupt_at = interrupt_at;
	return log;
}

/* every block once, on its thread, for 1 to 5 threads */
UNIT_TEST(threads_run_blocks_once_each)
{
	for (int nt = 1; nt <= 5; nt++)
	{
		BlockLog   *log = new_log(-1);

		gmm_run_blocks(nt, N_BLOCKS, log_block, log);
		check_blocks(log, nt);
	}
}

/* an interrupt pauses every thread, is serviced once, and the job completes */
UNIT_TEST(threads_interrupt_pauses_and_resumes)
{
	BlockLog   *log = new_log(2);
	int64		before = unit_interrupts;

	gmm_run_blocks(4, N_BLOCKS, log_block, log);
	check_blocks(log, 4);
	UNIT_CHECK(unit_interrupts == before + 1, INT64_FORMAT " interrupts serviced",
			   unit_interrupts - before);
	UNIT_CHECK(!InterruptPending, "interrupt left pending");
}

/* a cancel raised while servicing stops the job with the error; no block runs twice */
UNIT_TEST(threads_cancel_stops)
{
	BlockLog   *log = new_log(2);

	unit_cancel_at = unit_interrupts + 1;
	UNIT_EXPECT_ERROR(gmm_run_blocks(4, N_BLOCKS, log_block, log), ERRCODE_QUERY_CANCELED);
	for (int b = 0; b < N_BLOCKS; b++)
		UNIT_CHECK(pg_atomic_read_u32(&log->visits[b]) <= 1, "block %d ran twice", b);
	unit_cancel_at = 0;
}

/* the blocked E-step: the same bits for 1, 2 and 3 threads, and under an interrupt */
UNIT_TEST(threads_estep_bit_identical)
{
	int			n = 20000,
				d = 8,
				k = 5;
	Gmm		   *m = unit_random_model(GMM_COV_FULL, k, d, 31);
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	double	   *X = palloc(sizeof(double) * n * d);
	double	   *w = palloc(sizeof(double) * n);
	GmmSuff    *s[4];
	int			(*saved) (void) = gmm_thread_limit_hook;

	unit_uniform(X, n, d, 32);
	for (int i = 0; i < n; i++)
		w[i] = 1 + (i % 3);
	gmm_thread_limit_hook = test_thread_limit;
	for (int t = 0; t < 3; t++)
	{
		test_threads = t + 1;
		s[t] = gmm_suff_alloc(GMM_COV_FULL, k, d, p->means);
		gmm_estep_blocks(p, X, w, n, s[t]);
	}
	/* 3 threads with an interrupt pending from the start */
	{
		int64		before = unit_interrupts;

		test_threads = 3;
		s[3] = gmm_suff_alloc(GMM_COV_FULL, k, d, p->means);
		InterruptPending = true;
		gmm_estep_blocks(p, X, w, n, s[3]);
		UNIT_CHECK(unit_interrupts == before + 1, "interrupt not serviced");
	}
	gmm_thread_limit_hook = saved;
	UNIT_CHECK(unit_suff_identical(s[0], s[1]), "1 and 2 threads differ");
	UNIT_CHECK(unit_suff_identical(s[0], s[2]), "1 and 3 threads differ");
	UNIT_CHECK(unit_suff_identical(s[0], s[3]), "an interrupt changed the result");
	UNIT_CHECK(s[0]->sum_w == 39999, "sum_w %.17g", s[0]->sum_w);
}

/*
 * diag rows through BLAS (estep_gemm.c), one row far out so that its block
 * falls back: the same bits for 1, 2 and 3 threads, and the statistics of
 * two parts cut at a block boundary merge to those of the whole
 */
UNIT_TEST(threads_estep_gemm_bit_identical)
{
	int			n = 3000,
				d = 96,
				k = 9;
	Gmm		   *m = unit_random_model(GMM_COV_DIAG, k, d, 33);
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	double	   *X = palloc(sizeof(double) * n * d);
	GmmSuff    *s[4];
	int			(*saved) (void) = gmm_thread_limit_hook;

	unit_uniform(X, n, d, 34);
	X[(Size) 700 * d] = 1e200;
	gmm_thread_limit_hook = test_thread_limit;
	for (int t = 0; t < 3; t++)
	{
		test_threads = t + 1;
		s[t] = gmm_suff_alloc(GMM_COV_DIAG, k, d, p->means);
		gmm_estep_blocks(p, X, NULL, n, s[t]);
	}
	gmm_thread_limit_hook = saved;
	s[3] = gmm_suff_alloc(GMM_COV_DIAG, k, d, p->means);
	gmm_estep_blocks(p, X, NULL, 1024, s[3]);
	gmm_estep_blocks(p, X + (Size) 1024 * d, NULL, n - 1024, s[3]);
	UNIT_CHECK(unit_suff_identical(s[0], s[1]), "1 and 2 threads differ");
	UNIT_CHECK(unit_suff_identical(s[0], s[2]), "1 and 3 threads differ");
	UNIT_CHECK(unit_suff_identical(s[0], s[3]), "two parts differ from the whole");
	UNIT_CHECK(isfinite(s[0]->sum_ll) || s[0]->sum_ll == -INFINITY, "sum_ll %g", s[0]->sum_ll);
}

/* a whole fit: the same model for 1, 2 and 3 threads */
UNIT_TEST(threads_fit_bit_identical)
{
	int			n = 20000,
				d = 8;
	double		centres[24] = {0};
	double	   *X = palloc(sizeof(double) * n * d);
	GmmRows		rows = {X, NULL, n, d, n};
	GmmFitOptions opts;
	Gmm		   *m[3];
	int			(*saved) (void) = gmm_thread_limit_hook;

	/* enough work per E-step for 3 threads: blob j at 4 on axis j */
	for (int j = 0; j < 3; j++)
		centres[j * d + j] = 4.0;
	unit_blobs(X, n, d, 3, centres, 1.0, 33);
	gmm_fit_options_init(&opts);
	opts.k_min = opts.k_max = 3;
	opts.max_iter = 5;
	opts.seed = 3;
	gmm_thread_limit_hook = test_thread_limit;
	for (int t = 0; t < 3; t++)
	{
		test_threads = t + 1;
		m[t] = gmm_em_fit(&rows, &opts, "unit test");
	}
	gmm_thread_limit_hook = saved;
	UNIT_CHECK(VARSIZE(m[0]) == VARSIZE(m[1]) && memcmp(m[0], m[1], VARSIZE(m[0])) == 0,
			   "1 and 2 threads: different models");
	UNIT_CHECK(VARSIZE(m[0]) == VARSIZE(m[2]) && memcmp(m[0], m[2], VARSIZE(m[0])) == 0,
			   "1 and 3 threads: different models");
	UNIT_CHECK(m[0]->n_iter > 1, "n_iter %d", m[0]->n_iter);
}
