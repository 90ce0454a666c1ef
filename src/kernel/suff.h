/*
 * kernel/suff.h
 *	  The sufficient statistics of EM (GmmSuff) that the E-step (estep.h)
 *	  accumulates and the M-step (mstep.h) turns into a model.  No fmgr here;
 *	  gmm_fit (fit_agg.c), gmm_em_step and gmm_stats_agg (stats_agg.c) and
 *	  gmm_train (train.c) feed these kernels.
 *
 * Second moments are accumulated about a per-component shift c_j (the
 * current model's mean of component j) so that the M-step never forms
 * E[xx^T] - mu mu^T from large raw moments:
 *	 nk[j]	= sum_i w_i g_ij
 *	 s1[j]	= sum_i w_i g_ij (x_i - c_j)						(d)
 *	 s2[j]	= sum_i w_i g_ij (x_i - c_j)(x_i - c_j)^T		(full/tied: packed
 *		  lower triangle, d(d+1)/2 values, row by row; diag/spherical: d)
 * plus sum_w = sum_i w_i and sum_ll = sum_i w_i log p(x_i).
 */
#ifndef GMM_SUFF_H
#define GMM_SUFF_H

#include <float.h>

#include "kernel/model.h"

typedef struct GmmSuff
{
	int			k;
	int			d;
	int			cov_type;
	double		sum_w;
	double		sum_ll;
	double	   *nk;				/* k */
	double	   *s1;				/* k * d */
	double	   *s2;				/* k * gmm_s2_count(cov_type, d) */
	const double *shift;		/* k * d, the c_j (not owned) */
} GmmSuff;

/* values per component in s2 */
static inline Size
gmm_s2_count(int cov_type, int d)
{
	return (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED)
		? (Size) d * (d + 1) / 2 : (Size) d;
}

/* total soft count, summed in component order */
static inline double
gmm_suff_mass(const GmmSuff *s)
{
	double		t = 0.0;

	for (int j = 0; j < s->k; j++)
		t += s->nk[j];
	return t;
}

/*
 * A component whose nk is below this has lost its mass: the M-step keeps its
 * previous parameters and the driver re-seeds it
 */
static inline double
gmm_mass_threshold(double total)
{
	return 10.0 * DBL_EPSILON * Max(total, 1.0);
}

/*
 * s2 (a packed lower triangle, as in GmmSuff) += g diff diff^T; the arrays
 * do not overlap.  Shared by the row E-steps of complete and incomplete rows.
 */
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

/* allocate zeroed statistics in CurrentMemoryContext */
extern GmmSuff *gmm_suff_alloc(int cov_type, int k, int d, const double *shift);
extern void gmm_suff_reset(GmmSuff *s);

/* a += b (same shape, same shift) */
extern void gmm_suff_merge(GmmSuff *a, const GmmSuff *b);

/* free s and its arrays */
extern void gmm_suff_free(GmmSuff *s);

#endif							/* GMM_SUFF_H */
