/*
 * em.c
 *	  EM kernels over plain arrays: the E-step accumulating shifted
 *	  sufficient statistics (see em.h) and the M-step building the next model
 *	  from them.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>


#include "miscadmin.h"

#include "kernel/suff.h"
#include "kernel/estep.h"
#include "kernel/logpdf.h"
#include "kernel/vecmath.h"

/* Zeroed statistics for a model of the given shape */
GmmSuff *
gmm_suff_alloc(int cov_type, int k, int d, const double *shift)
{
	GmmSuff    *s = palloc0(sizeof(GmmSuff));

	s->k = k;
	s->d = d;
	s->cov_type = cov_type;
	s->nk = palloc0(sizeof(double) * k);
	s->s1 = palloc0(mul_size(sizeof(double), mul_size(k, d)));
	s->s2 = palloc0(mul_size(sizeof(double), mul_size(k, gmm_s2_count(cov_type, d))));
	s->shift = shift;
	return s;
}

/* Set all sums back to zero */
void
gmm_suff_reset(GmmSuff *s)
{
	s->sum_w = 0.0;
	s->sum_ll = 0.0;
	memset(s->nk, 0, sizeof(double) * s->k);
	memset(s->s1, 0, sizeof(double) * s->k * s->d);
	memset(s->s2, 0, sizeof(double) * s->k * gmm_s2_count(s->cov_type, s->d));
}

/* s2 (packed lower triangle) += g diff diff^T; the arrays do not overlap */
static inline void
gmm_packed_update(double *restrict s2, const double *restrict diff, double g, int d)
{
	for (int i = 0; i < d; i++)
	{
		double		gi = g * diff[i];
		double	   *restrict row = s2 + (Size) i * (i + 1) / 2;

		for (int t = 0; t <= i; t++)
			row[t] += gi * diff[t];
	}
}

/*
 * The E-step of a few rows, one at a time (gmm_em_step's transition adds
 * one row per call), and of all rows on CPUs without AVX2: the point's weighted log-densities, responsibilities
 * from one exp per component (g_j = w e_j / sum e, e_j = exp(lp_j - max)),
 * and the statistics updated in loops the compiler vectorises (built for
 * the baseline instruction set only: no fused multiply-adds, so that a
 * row's statistics keep the bits they always had).
 */
static void
gmm_estep_rows(const GmmPrepared *p, const double *X, const double *w,
			   int n, GmmSuff *s)
{
	int			k = p->k,
				d = p->d;
	Size		s2n = gmm_s2_count(s->cov_type, d);
	bool		packed = (s->cov_type == GMM_COV_FULL || s->cov_type == GMM_COV_TIED);
	double	   *diff = p->work + d;
	double	   *lp = p->work + 2 * d;

	for (int r = 0; r < n; r++)
	{
		const double *x = X + (Size) r * d;
		double		wr = w ? w[r] : 1.0;
		double		ll,
					sum = 0.0,
					scale;

		if ((r & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		if (wr == 0.0)
			continue;
		if (gmm_point_logpdf_vec(p, x, lp, &ll, lp) && likely(isfinite(ll)))
		{
			/* lp now holds exp(lp_j - max) */
			for (int j = 0; j < k; j++)
				sum += lp[j];
		}
		else
		{
			/* also a point whose densities overflowed: the exact path */
			ll = gmm_point_logpdf(p, x, lp);
			for (int j = 0; j < k; j++)
			{
				lp[j] = exp(lp[j] - ll);
				sum += lp[j];
			}
		}
		s->sum_w += wr;
		s->sum_ll += wr * ll;
		if (isinf(ll))
			continue;			/* no component gives the point a density */
		scale = wr / sum;
		for (int j = 0; j < k; j++)
		{
			double		g = lp[j] * scale;
			const double *c = s->shift + (Size) j * d;
			double	   *s1 = s->s1 + (Size) j * d;
			double	   *s2 = s->s2 + (Size) j * s2n;

			if (g == 0.0)
				continue;
			s->nk[j] += g;
			for (int i = 0; i < d; i++)
			{
				diff[i] = x[i] - c[i];
				s1[i] += g * diff[i];
			}
			if (packed)
				gmm_packed_update(s2, diff, g, d);
			else
			{
				for (int i = 0; i < d; i++)
					s2[i] += g * diff[i] * diff[i];
			}
		}
	}
}

/*
 * E-step over n rows, adding to s: the blocked kernels of estep_blocks.c
 * for more than a few rows (where their vector code runs at full width),
 * otherwise row by row.
 */
void
gmm_estep_accum(const GmmPrepared *p, const double *X, const double *w,
				int n, GmmSuff *s)
{
	if (n >= GMM_BLOCK_MIN_ROWS && gmm_fast_vectors())
		gmm_estep_blocks(p, X, w, n, s);
	else
		gmm_estep_rows(p, X, w, n, s);
}

/* a += b */
void
gmm_suff_merge(GmmSuff *a, const GmmSuff *b)
{
	Size		n1 = (Size) a->k * a->d,
				n2 = (Size) a->k * gmm_s2_count(a->cov_type, a->d);

	Assert(a->k == b->k && a->d == b->d && a->cov_type == b->cov_type);
	a->sum_w += b->sum_w;
	a->sum_ll += b->sum_ll;
	for (int j = 0; j < a->k; j++)
		a->nk[j] += b->nk[j];
	for (Size i = 0; i < n1; i++)
		a->s1[i] += b->s1[i];
	for (Size i = 0; i < n2; i++)
		a->s2[i] += b->s2[i];
}

/* Oracle Approximating Shrinkage of C (d x d, symmetric) from n samples */
double
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

/* M-step: the next model from the statistics */
Gmm *
gmm_mstep(const GmmSuff *s, const Gmm *prev, double reg_covar, int *n_empty)
{
	return gmm_mstep_shrunk(s, prev, reg_covar, false, n_empty);
}

/* M-step with optional Oracle Approximating Shrinkage */
Gmm *
gmm_mstep_shrunk(const GmmSuff *s, const Gmm *prev, double reg_covar, bool oas,
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
	double		total = 0.0,
				nk_min;
	int			empty = 0;

	for (int j = 0; j < k; j++)
		total += s->nk[j];
	nk_min = 10.0 * DBL_EPSILON * Max(total, 1.0);

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
