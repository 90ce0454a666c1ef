/*
 * test_logpdf.c
 *	  Unit tests of kernel/logpdf.c: log-densities of a prepared model
 *	  against the formula, for every covariance type; responsibilities that
 *	  sum to 1; log-sum-exp far from 0.
 */
#include "postgres.h"

#include "unit.h"
#include "fixtures.h"
#include "kernel/linalg.h"
#include "kernel/logpdf.h"

/* log N(x | mu, S) from the full matrix S, by Cholesky here */
static double
direct_logpdf(const double *x, const double *mu, const double *S, int d)
{
	double	   *L = palloc(sizeof(double) * d * d);
	double	   *z = palloc(sizeof(double) * d);
	double		q = 0.0,
				r;

	memcpy(L, S, sizeof(double) * d * d);
	if (gmm_cholesky(L, d) != 0)
		elog(ERROR, "test matrix not positive definite");
	for (int i = 0; i < d; i++)
		z[i] = x[i] - mu[i];
	gmm_forward_solve(L, d, z, z);
	for (int i = 0; i < d; i++)
		q += z[i] * z[i];
	r = -0.5 * d * log(2.0 * M_PI) - 0.5 * gmm_chol_logdet(L, d) - 0.5 * q;
	pfree(L);
	pfree(z);
	return r;
}

/* weighted log-densities and log p(x) match the formula for each type */
UNIT_TEST(logpdf_matches_formula)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		int			k = 3,
					d = 4;
		Gmm		   *m = unit_random_model(ct, k, d, 100 + ct);
		GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
		double		x[4],
					lp[3],
					S[16],
					expect[3];

		for (int t = 0; t < 5; t++)
		{
			double		mx = -INFINITY,
						sum = 0.0,
						ll;

			unit_uniform(x, 1, d, 7 * ct + t);
			for (int j = 0; j < k; j++)
			{
				gmm_full_covariance(m, j, S);
				expect[j] = log(GMM_WEIGHTS(m)[j]) +
					direct_logpdf(x, GMM_MEANS(m) + j * d, S, d);
				mx = Max(mx, expect[j]);
			}
			for (int j = 0; j < k; j++)
				sum += exp(expect[j] - mx);
			gmm_weighted_logpdfs(p, x, lp);
			for (int j = 0; j < k; j++)
				UNIT_CLOSE(lp[j], expect[j], 1e-13);
			ll = gmm_point_logpdf(p, x, lp);
			UNIT_CLOSE(ll, mx + log(sum), 1e-13);
		}
	}
}

/* responsibilities sum to 1 and the best component has the largest */
UNIT_TEST(logpdf_posterior_sums_to_one)
{
	Gmm		   *m = unit_random_model(GMM_COV_FULL, 5, 3, 11);
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	double		x[3],
				lp[5],
				resp[5];

	for (int t = 0; t < 20; t++)
	{
		double		sum = 0.0;
		int			best = -1;

		unit_uniform(x, 1, 3, 1000 + t);
		gmm_point_posterior(p, x, lp, resp, &best);
		for (int j = 0; j < 5; j++)
		{
			UNIT_CHECK(resp[j] >= 0.0 && resp[j] <= 1.0, "resp %g", resp[j]);
			sum += resp[j];
		}
		UNIT_CLOSE(sum, 1.0, 1e-15);
		UNIT_CHECK(best >= 0 && best < 5, "best %d", best);
		for (int j = 0; j < 5; j++)
			UNIT_CHECK(resp[j] <= resp[best], "component %d above best %d", j, best);
	}
}

/* log-sum-exp of values far below 0 does not underflow */
UNIT_TEST(logpdf_logsumexp)
{
	double		v[3] = {-1000, -1000, -INFINITY};
	double		u[2] = {0, log(3.0)};

	UNIT_CLOSE(gmm_logsumexp(v, 3), -1000 + log(2.0), 1e-15);
	UNIT_CLOSE(gmm_logsumexp(u, 2), log(4.0), 1e-15);
}
