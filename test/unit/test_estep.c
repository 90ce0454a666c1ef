/*
 * test_estep.c
 *	  Unit tests of the E-step (kernel/estep.c, kernel/estep_blocks.c): the
 *	  blocked path agrees with the row-by-row path to 1e-12 for every
 *	  covariance type and shape, with weights 0, 0.5, 1 and 2.5; below
 *	  GMM_BLOCK_MIN_ROWS gmm_estep_accum is the row path bit for bit; and
 *	  with one component the statistics are the weighted sums themselves.
 */
#include "postgres.h"

#include "unit.h"
#include "fixtures.h"
#include "kernel/estep.h"
#include "kernel/estep_gemm.h"

/* rows path vs blocked path on n rows of a random model */
static void
compare_paths(int ct, int k, int d, int n, uint64 seed)
{
	Gmm		   *m = unit_random_model(ct, k, d, seed);
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	double	   *X = palloc(sizeof(double) * n * d);
	double	   *w = palloc(sizeof(double) * n);
	static const double wv[4] = {0, 0.5, 1, 2.5};
	GmmSuff    *rows = gmm_suff_alloc(ct, k, d, p->means);
	GmmSuff    *blocks = gmm_suff_alloc(ct, k, d, p->means);

	unit_uniform(X, n, d, seed + 1);
	for (Size i = 0; i < (Size) n * d; i++)
		X[i] *= 2.5;
	for (int i = 0; i < n; i++)
		w[i] = wv[(i * 7 + 3) % 4];
	gmm_estep_rows(p, X, w, n, rows);
	gmm_estep_blocks(p, X, w, n, blocks);
	UNIT_CHECK(rows->sum_w == blocks->sum_w, "%s k=%d d=%d: sum_w %.17g != %.17g",
			   gmm_cov_type_name(ct), k, d, rows->sum_w, blocks->sum_w);
	UNIT_CHECK(unit_close(rows->sum_ll, blocks->sum_ll, 1e-12),
			   "%s k=%d d=%d: sum_ll %.17g != %.17g",
			   gmm_cov_type_name(ct), k, d, rows->sum_ll, blocks->sum_ll);
	UNIT_CHECK(unit_arrays_close(rows->nk, blocks->nk, k, 1e-12),
			   "%s k=%d d=%d: nk differ", gmm_cov_type_name(ct), k, d);
	UNIT_CHECK(unit_arrays_close(rows->s1, blocks->s1, (Size) k * d, 1e-12),
			   "%s k=%d d=%d: s1 differ", gmm_cov_type_name(ct), k, d);
	UNIT_CHECK(unit_arrays_close(rows->s2, blocks->s2, (Size) k * gmm_s2_count(ct, d), 1e-12),
			   "%s k=%d d=%d: s2 differ", gmm_cov_type_name(ct), k, d);
	/* weight-0 rows are skipped, so the total is exact */
	{
		double		sw = 0.0;

		for (int i = 0; i < n; i++)
			sw += w[i];
		UNIT_CHECK(rows->sum_w == sw, "sum_w %.17g, weights sum to %.17g", rows->sum_w, sw);
	}
}

/* blocked and row paths agree for every type and (d, k), n = 1003 */
UNIT_TEST(estep_blocked_matches_rows)
{
	static const int shapes[4][2] = {{1, 1}, {2, 3}, {8, 5}, {33, 4}};

	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
		for (int s = 0; s < 4; s++)
			compare_paths(ct, shapes[s][1], shapes[s][0], 1003, 1000 * ct + s);
}

/* the BLAS path of large d (full and tied) agrees too */
UNIT_TEST(estep_blocked_matches_rows_blas)
{
	compare_paths(GMM_COV_FULL, 2, 520, 300, 77);
	compare_paths(GMM_COV_TIED, 2, 520, 300, 78);
}

/* the first block of n rows of the test data goes through BLAS (no fallback) */
static void
check_gemm_taken(int ct, int k, int d, uint64 seed)
{
	Gmm		   *m = unit_random_model(ct, k, d, seed);
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	GmmGemmModel *gm = gmm_gemm_prepare(p, p->means);
	double	   *X = palloc(sizeof(double) * GMM_BLOCK * d);
	double	   *yy = palloc(sizeof(double) * GMM_BLOCK * 2 * d);
	double	   *tmp = palloc(sizeof(double) * GMM_BLOCK * 2 * k);
	double	   *lp = palloc(sizeof(double) * GMM_BLOCK * k);
	double	   *qmin = palloc(sizeof(double) * GMM_BLOCK);

	unit_uniform(X, GMM_BLOCK, d, seed + 1);
	for (Size i = 0; i < (Size) GMM_BLOCK * d; i++)
		X[i] *= 2.5;
	UNIT_CHECK(gm != NULL, "d=%d: the model was declined", d);
	if (gm)
		UNIT_CHECK(gmm_block_logpdf_gemm(gm, p, X, GMM_BLOCK, GMM_BLOCK, yy,
										 tmp, qmin, lp),
				   "d=%d: the block fell back", d);
	/* a row whose squares overflow: the block falls back */
	if (gm)
	{
		X[0] = 1e200;
		UNIT_CHECK(!gmm_block_logpdf_gemm(gm, p, X, GMM_BLOCK, GMM_BLOCK, yy,
										  tmp, qmin, lp),
				   "d=%d: an overflowing block was taken", d);
	}
}

/* the BLAS path of large d (diag and spherical, estep_gemm.c) agrees too */
UNIT_TEST(estep_blocked_matches_rows_gemm)
{
	check_gemm_taken(GMM_COV_DIAG, GMM_GEMM_MIN_K, GMM_GEMM_MIN_D, 79);
	check_gemm_taken(GMM_COV_DIAG, 10, 384, 81);
	compare_paths(GMM_COV_DIAG, GMM_GEMM_MIN_K, GMM_GEMM_MIN_D, 600, 79);
	compare_paths(GMM_COV_SPHERICAL, 9, 385, 300, 80);
	compare_paths(GMM_COV_DIAG, 10, 384, 1003, 81);
	compare_paths(GMM_COV_DIAG, 30, 200, 700, 82);
}

/* below GMM_BLOCK_MIN_ROWS gmm_estep_accum is the row path, bit for bit */
UNIT_TEST(estep_accum_small_is_rows)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		int			n = 10,
					k = 3,
					d = 4;
		Gmm		   *m = unit_random_model(ct, k, d, 300 + ct);
		GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
		double		X[40];
		GmmSuff    *a = gmm_suff_alloc(ct, k, d, p->means);
		GmmSuff    *b = gmm_suff_alloc(ct, k, d, p->means);

		StaticAssertStmt(10 < GMM_BLOCK_MIN_ROWS, "n must be below the block minimum");
		unit_uniform(X, n, d, 8);
		gmm_estep_accum(p, X, NULL, n, a);
		gmm_estep_rows(p, X, NULL, n, b);
		UNIT_CHECK(unit_suff_identical(a, b), "%s: accum != rows", gmm_cov_type_name(ct));
		UNIT_CHECK(a->sum_w == n, "sum_w %.17g", a->sum_w);
	}
}

/*
 * One component: every responsibility is 1, so nk is the total weight, s1
 * the weighted sum of x - mu, s2 that of (x - mu)(x - mu)^T, and sum_ll the
 * weighted sum of log N(x | mu, S)
 */
UNIT_TEST(estep_one_component_sums)
{
	int			n = 500,
				d = 3;
	Gmm		   *m = unit_random_model(GMM_COV_FULL, 1, d, 5);
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	const double *mu = GMM_MEANS(m);
	double	   *X = palloc(sizeof(double) * n * d);
	double	   *w = palloc(sizeof(double) * n);
	double		nk = 0,
				s1[3] = {0},
				s2[6] = {0},
				ll = 0,
				lp;
	GmmSuff    *s = gmm_suff_alloc(GMM_COV_FULL, 1, d, p->means);

	unit_uniform(X, n, d, 6);
	for (int i = 0; i < n; i++)
	{
		const double *x = X + i * d;

		w[i] = 1 + i % 3;
		nk += w[i];
		for (int r = 0; r < d; r++)
		{
			s1[r] += w[i] * (x[r] - mu[r]);
			for (int c = 0; c <= r; c++)
				s2[r * (r + 1) / 2 + c] += w[i] * (x[r] - mu[r]) * (x[c] - mu[c]);
		}
		ll += w[i] * gmm_point_logpdf(p, x, &lp);
	}
	gmm_estep_accum(p, X, w, n, s);
	UNIT_CHECK(s->sum_w == nk, "sum_w %.17g != %.17g", s->sum_w, nk);
	UNIT_CLOSE(s->nk[0], nk, 1e-15);
	UNIT_CHECK(unit_arrays_close(s->s1, s1, d, 1e-12), "s1 differs");
	UNIT_CHECK(unit_arrays_close(s->s2, s2, 6, 1e-12), "s2 differs");
	UNIT_CLOSE(s->sum_ll, ll, 1e-12);
}
