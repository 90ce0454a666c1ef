/*
 * em.h
 *	  EM kernels over plain arrays: the E-step that accumulates sufficient
 *	  statistics and the M-step that turns them into a model.  No fmgr here;
 *	  the fitting aggregate (fit.c), the statistics type and gmm_em_step
 *	  (stats.c) and gmm_train are thin wrappers around these.
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
#ifndef GMM_EM_H
#define GMM_EM_H

#include "gmm.h"

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

/* allocate zeroed statistics in CurrentMemoryContext */
extern GmmSuff *gmm_suff_alloc(int cov_type, int k, int d, const double *shift);
extern void gmm_suff_reset(GmmSuff *s);

/*
 * E-step over n rows X (n x d, row-major) with optional weights w (NULL = 1):
 * adds to s.  Rows with weight 0 are skipped.  s->shift must be p's means.
 */
extern void gmm_estep_accum(const GmmPrepared *p, const double *X,
							const double *w, int n, GmmSuff *s);

/* a += b (same shape, same shift) */
extern void gmm_suff_merge(GmmSuff *a, const GmmSuff *b);

/*
 * M-step: a new model of the same shape from s, with reg_covar added to the
 * variances.  Components whose nk falls below a tiny threshold are reported
 * by returning their count in *n_empty (their parameters are left as those
 * of "prev", with weight ~0, so the caller may re-seed them).  The returned
 * model has no fit metadata set (flags 0); it is not validated.
 */
extern Gmm *gmm_mstep(const GmmSuff *s, const Gmm *prev, double reg_covar,
					  int *n_empty);

/*
 * gmm_mstep with Oracle Approximating Shrinkage (when oas) of the full and
 * tied covariance matrices before reg_covar is added: each empirical
 * covariance S of a component with soft count n_j (tied: the total weight)
 * becomes (1 - r) S + r (tr S / d) I, with r as in gmm_oas_shrink.
 */
extern Gmm *gmm_mstep_shrunk(const GmmSuff *s, const Gmm *prev, double reg_covar,
							 bool oas, int *n_empty);

/*
 * Oracle Approximating Shrinkage (Chen et al. 2010, as in scikit-learn's
 * oas and gmr) of the symmetric d x d matrix C estimated from n samples, in
 * place: mu = tr C / d, a = mean of the squared elements,
 * r = min((a + mu^2) / ((n + 1)(a - mu^2 / d)), 1) (1 when the denominator
 * is not positive), C = (1 - r) C + r mu I.  Returns r.
 */
extern double gmm_oas_shrink(double *C, int d, double n);

#endif							/* GMM_EM_H */
