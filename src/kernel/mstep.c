/*
 * kernel/mstep.c
 *	  The M-step over plain arrays: the next model from the shifted
 *	  sufficient statistics of kernel/suff.h, with optional Oracle
 *	  Approximating Shrinkage of full and tied covariances.
 */
#include "postgres.h"

#include <math.h>

#include "kernel/mstep.h"

/*
 * Oracle Approximating Shrinkage (Chen et al. 2010, as in scikit-learn's
 * oas and gmr) of the symmetric d x d matrix C estimated from n samples, in
 * place: mu = tr C / d, a = mean of the squared elements,
 * r = min((a + mu^2) / ((n + 1)(a - mu^2 / d)), 1) (1 when the denominator
 * is not positive), C = (1 - r) C + r mu I.  Returns r.
 */
static double
gmm_oas_shrink(double *C, int d, double n)
{
	double		tr = 0.0,
				sq = 0.0,
				mu,
				a,
				num,
				den,
				r;
	Size		dd = (Size) d * d;

	for (int i = 0; i < d; i++)
		tr += C[(Size) i * d + i];
	for (Size t = 0; t < dd; t++)
		sq += C[t] * C[t];
	mu = tr / d;
	a = sq / (double) dd;
	num = a + mu * mu;
	den = (n + 1.0) * (a - mu * mu / d);
	r = (den > 0.0) ? Min(num / den, 1.0) : 1.0;
	for (Size t = 0; t < dd; t++)
		C[t] *= (1.0 - r);
	for (int i = 0; i < d; i++)
		C[(Size) i * d + i] += r * mu;
	return r;
}

/* M-step, with optional Oracle Approximating Shrinkage: the next model from the statistics */
Gmm *
gmm_mstep(const GmmSuff *s, const Gmm *prev, double reg_covar, bool oas,
		  int *n_empty)
{
	int			k = s->k,
				d = s->d;
	Size		s2n = gmm_s2_count(s->cov_type, d);
	Gmm		   *m = gmm_alloc(s->cov_type, k, d);
	double	   *w = GMM_WEIGHTS(m);
	double	   *mu = GMM_MEANS(m);
	double	   *cov = GMM_COVS(m);
	double	   *delta = palloc(sizeof(double) * d);
	double		total = gmm_suff_mass(s),
				nk_min = gmm_mass_threshold(total);
	int			empty = 0;

	if (s->cov_type == GMM_COV_TIED)
		memset(cov, 0, sizeof(double) * d * d);

	for (int j = 0; j < k; j++)
	{
		double		nk = s->nk[j];
		const double *c = s->shift + (Size) j * d;
		const double *s1 = s->s1 + (Size) j * d;
		const double *s2 = s->s2 + (Size) j * s2n;

		w[j] = (total > 0) ? nk / total : 1.0 / k;
		if (nk < nk_min)
		{
			/* lost its mass: keep the previous parameters */
			empty++;
			memcpy(mu + (Size) j * d, GMM_MEANS(prev) + (Size) j * d, sizeof(double) * d);
			if (s->cov_type == GMM_COV_FULL)
				memcpy(cov + (Size) j * d * d, GMM_COVS(prev) + (Size) j * d * d,
					   sizeof(double) * d * d);
			else if (s->cov_type == GMM_COV_DIAG)
				memcpy(cov + (Size) j * d, GMM_COVS(prev) + (Size) j * d, sizeof(double) * d);
			else if (s->cov_type == GMM_COV_SPHERICAL)
				cov[j] = GMM_COVS(prev)[j];
			continue;
		}
		for (int i = 0; i < d; i++)
		{
			delta[i] = s1[i] / nk;
			mu[(Size) j * d + i] = c[i] + delta[i];
		}
		switch (s->cov_type)
		{
			case GMM_COV_FULL:
			case GMM_COV_TIED:
				{
					double	   *C = (s->cov_type == GMM_COV_FULL) ? cov + (Size) j * d * d : cov;
					double		scale = (s->cov_type == GMM_COV_FULL) ? 1.0 / nk : 1.0;
					double		dscale = (s->cov_type == GMM_COV_FULL) ? 1.0 : nk;

					for (int i = 0; i < d; i++)
					{
						const double *row = s2 + (Size) i * (i + 1) / 2;

						for (int t = 0; t <= i; t++)
						{
							double		v = (row[t] * scale) - dscale * delta[i] * delta[t];

							if (s->cov_type == GMM_COV_FULL)
								C[(Size) i * d + t] = v;
							else
								C[(Size) i * d + t] += v;
						}
					}
					break;
				}
			case GMM_COV_DIAG:
				for (int i = 0; i < d; i++)
					cov[(Size) j * d + i] = s2[i] / nk - delta[i] * delta[i] + reg_covar;
				break;
			case GMM_COV_SPHERICAL:
				{
					double		v = 0.0;

					for (int i = 0; i < d; i++)
						v += s2[i] / nk - delta[i] * delta[i];
					cov[j] = v / d + reg_covar;
					break;
				}
		}
	}

	/* finish full and tied matrices: symmetrise and add the ridge */
	if (s->cov_type == GMM_COV_FULL || s->cov_type == GMM_COV_TIED)
	{
		int			nmat = (s->cov_type == GMM_COV_FULL) ? k : 1;

		for (int j = 0; j < nmat; j++)
		{
			double	   *C = cov + (Size) j * d * d;

			if (s->cov_type == GMM_COV_FULL && s->nk[j] < nk_min)
				continue;
			for (int i = 0; i < d; i++)
			{
				if (s->cov_type == GMM_COV_TIED)
					for (int t = 0; t <= i; t++)
						C[(Size) i * d + t] /= total;
				for (int t = 0; t < i; t++)
					C[(Size) t * d + i] = C[(Size) i * d + t];
			}
			if (oas)
				gmm_oas_shrink(C, d, (s->cov_type == GMM_COV_FULL) ? s->nk[j] : total);
			for (int i = 0; i < d; i++)
				C[(Size) i * d + i] += reg_covar;
		}
	}
	pfree(delta);
	gmm_canonicalize(m);
	if (n_empty)
		*n_empty = empty;
	return m;
}
