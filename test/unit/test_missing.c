/*
 * test_missing.c
 *	  Unit tests of the E-step on incomplete rows (kernel/missing.c,
 *	  kernel/missing_block.c): without missing values it is the ordinary
 *	  E-step; a diagonal covariance stored as full, tied and diag gives the
 *	  same statistics through the grouped (full/tied) and the row (diag)
 *	  paths; the statistics do not depend on the order of the rows; rows
 *	  with every value missing are skipped and counted; and the observed
 *	  log-density of a complete point is gmm_point_logpdf's, bit for bit.
 */
#include "postgres.h"

#include <math.h>

#include "unit.h"
#include "fixtures.h"
#include "kernel/estep.h"
#include "kernel/missing.h"

/* n rows of dimension d, a fraction "rate" of their values NaN (by a fixed rule) */
static double *
holes(int n, int d, double rate, uint64 seed)
{
	double	   *X = palloc(sizeof(double) * n * d);
	double	   *u = palloc(sizeof(double) * n * d);

	unit_uniform(X, n, d, seed);
	unit_uniform(u, n, d, seed + 17);
	for (Size i = 0; i < (Size) n * d; i++)
	{
		X[i] *= 2.0;			/* in [-2, 2) */
		if ((u[i] + 1.0) / 2.0 < rate)
			X[i] = NAN;
	}
	return X;
}

/* the E-step of X under m with the missing-data kernel */
static GmmSuff *
estep_missing(const Gmm *m, const double *X, const double *w, int n, GmmMissCounts *cnt)
{
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	GmmSuff    *s = gmm_suff_alloc(m->cov_type, m->k, m->d, p->means);

	gmm_estep_missing(gmm_miss_cache_of(p), X, w, n, s, cnt);
	return s;
}

/* without missing values: the ordinary E-step (to rounding: other blocks) */
UNIT_TEST(missing_complete_rows_are_ordinary)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		int			n = 700,
					k = 3,
					d = 4;
		Gmm		   *m = unit_random_model(ct, k, d, 500 + ct);
		GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
		double	   *X = holes(n, d, 0.0, 40 + ct);
		GmmSuff    *a = gmm_suff_alloc(ct, k, d, p->means);
		GmmSuff    *b;
		GmmMissCounts cnt = {0, 0, 0};

		gmm_estep_accum(p, X, NULL, n, a);
		b = estep_missing(m, X, NULL, n, &cnt);
		UNIT_CHECK(unit_suff_close(a, b, 1e-12), "%s: statistics differ", gmm_cov_type_name(ct));
		UNIT_CHECK(cnt.rows_used == n && cnt.rows_skipped == 0 && cnt.values_missing == 0,
				   "counts %g %g %g", cnt.rows_used, cnt.rows_skipped, cnt.values_missing);
	}
}

/*
 * A diagonal covariance stored as full and as diag: the grouped path
 * (conditional mean and covariance through Cholesky factors) and the row
 * path (mean and variance of the missing values) give the same statistics
 */
UNIT_TEST(missing_full_equals_diag_for_diagonal_covariances)
{
	int			n = 900,
				k = 3,
				d = 5;
	Gmm		   *dm = unit_random_model(GMM_COV_DIAG, k, d, 71);
	Gmm		   *fm = gmm_alloc(GMM_COV_FULL, k, d);
	double	   *X = holes(n, d, 0.3, 72);
	double	   *w = palloc(sizeof(double) * n);
	GmmSuff    *sd,
			   *sf;
	Size		s2n = gmm_s2_count(GMM_COV_FULL, d);

	memcpy(GMM_WEIGHTS(fm), GMM_WEIGHTS(dm), sizeof(double) * k);
	memcpy(GMM_MEANS(fm), GMM_MEANS(dm), sizeof(double) * k * d);
	memset(GMM_COVS(fm), 0, sizeof(double) * k * d * d);
	for (int j = 0; j < k; j++)
		for (int i = 0; i < d; i++)
			GMM_COVS(fm)[(Size) j * d * d + (Size) i * d + i] = GMM_COVS(dm)[(Size) j * d + i];
	for (int i = 0; i < n; i++)
		w[i] = 1.0 + (i % 3);
	sd = estep_missing(dm, X, w, n, NULL);
	sf = estep_missing(fm, X, w, n, NULL);
	UNIT_CHECK(unit_close(sd->sum_w, sf->sum_w, 1e-14), "sum_w %.17g %.17g", sd->sum_w, sf->sum_w);
	UNIT_CHECK(unit_close(sd->sum_ll, sf->sum_ll, 1e-12), "sum_ll %.17g %.17g", sd->sum_ll, sf->sum_ll);
	UNIT_CHECK(unit_arrays_close(sd->nk, sf->nk, k, 1e-12), "nk differ");
	UNIT_CHECK(unit_arrays_close(sd->s1, sf->s1, (Size) k * d, 1e-12), "s1 differ");
	for (int j = 0; j < k; j++)
		for (int i = 0; i < d; i++)
			UNIT_CHECK(unit_close(sd->s2[(Size) j * d + i],
								  sf->s2[(Size) j * s2n + (Size) i * (i + 1) / 2 + i], 1e-12),
					   "s2 of component %d, dimension %d differ", j + 1, i + 1);
}

/* the statistics do not depend on the order of the rows (to rounding) */
UNIT_TEST(missing_row_order)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		int			n = 600,
					k = 2,
					d = 6;
		Gmm		   *m = unit_random_model(ct, k, d, 90 + ct);
		double	   *X = holes(n, d, 0.4, 91 + ct);
		double	   *Y = palloc(sizeof(double) * n * d);
		GmmSuff    *a,
				   *b;

		for (int r = 0; r < n; r++)
			memcpy(Y + (Size) r * d, X + (Size) ((r * 7) % n) * d, sizeof(double) * d);
		a = estep_missing(m, X, NULL, n, NULL);
		b = estep_missing(m, Y, NULL, n, NULL);
		UNIT_CHECK(unit_suff_close(a, b, 1e-12), "%s: order changes the statistics",
				   gmm_cov_type_name(ct));
	}
}

/* rows with every value missing are skipped and counted; the counts add up */
UNIT_TEST(missing_counts)
{
	int			n = 400,
				d = 2;
	Gmm		   *m = unit_random_model(GMM_COV_FULL, 2, d, 5);
	double	   *X = holes(n, d, 0.5, 6);
	GmmMissCounts cnt = {0, 0, 0};
	double		skipped = 0,
				missing = 0;
	GmmSuff    *s;

	for (int r = 0; r < n; r++)
	{
		int			nm = gmm_count_missing(X + (Size) r * d, d);

		if (nm == d)
			skipped++;
		else
			missing += nm;
	}
	s = estep_missing(m, X, NULL, n, &cnt);
	UNIT_CHECK(skipped > 0, "the fixture has no row entirely missing");
	UNIT_CHECK(cnt.rows_skipped == skipped && cnt.rows_used == n - skipped &&
			   cnt.values_missing == missing, "counts %g %g %g", cnt.rows_used,
			   cnt.rows_skipped, cnt.values_missing);
	UNIT_CHECK(s->sum_w == n - skipped, "sum_w %g", s->sum_w);
}

/* the observed log-density of a complete point is gmm_point_logpdf's */
UNIT_TEST(missing_observed_logpdf_complete)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		Gmm		   *m = unit_random_model(ct, 3, 4, 120 + ct);
		GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
		double		x[4] = {0.1, -0.5, 1.2, 0.3};
		double		lp1[3],
					lp2[3];
		double		a = gmm_point_logpdf(p, x, lp1),
					b = gmm_observed_logpdf(gmm_miss_cache_of(p), x, lp2);

		UNIT_CHECK(a == b, "%s: %.17g != %.17g", gmm_cov_type_name(ct), a, b);
		x[1] = NAN;
		UNIT_CHECK(isfinite(gmm_observed_logpdf(gmm_miss_cache_of(p), x, lp2)), "incomplete point");
		x[0] = x[2] = x[3] = NAN;
		UNIT_CHECK(isnan(gmm_observed_logpdf(gmm_miss_cache_of(p), x, lp2)), "all missing");
	}
}
