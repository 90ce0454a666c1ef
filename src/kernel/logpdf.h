/*
 * kernel/logpdf.h
 *	  Prepared models and the per-point log-density kernels: a model made
 *	  ready for scoring (log weights, means, factors) and the weighted
 *	  log-densities, log p(x) and responsibilities of one point, through a
 *	  vectorised kernel (four or eight components at once, from a per-model
 *	  layout built on first use that lives as long as the prepared model)
 *	  where it applies.
 */
#ifndef GMM_LOGPDF_H
#define GMM_LOGPDF_H

#include "kernel/model.h"

/*
 * A model made ready for scoring: log weights, means and factors.
 * log_norm[j] = log w_j - d/2 log(2 pi) - 1/2 log|Sigma_j| (-inf for a zero
 * weight), so the weighted log density of component j at x is
 * log_norm[j] - 1/2 |z|^2 with
 *	 full/tied: z = L_j^{-1} (x - mu_j), L_j the lower Cholesky factor stored
 *				at chol + j * chol_stride (chol_stride is 0 for tied: one
 *				shared factor);
 *	 diag/spherical: z_i = (x_i - mu_ji) * inv_std[j * d + i].
 * "extra" is free for the calling function to cache more per-model data in
 * cxt; it is reset to NULL whenever the model changes.  "vec" is the
 * vectorised kernel's layout of the same model (logpdf.c), in cxt too, so
 * that it lives and dies with the prepared model.
 */
struct GmmVecModel;

typedef struct GmmPrepared
{
	int			k;
	int			d;
	int			cov_type;
	Size		chol_stride;
	double	   *log_norm;		/* k */
	double	   *means;			/* k * d */
	double	   *chol;			/* full: k * d * d; tied: d * d; else NULL */
	double	   *inv_std;		/* diag/spherical: k * d; else NULL */
	double	   *work;			/* scratch, 2 * d + 2 * k */
	const Gmm  *model;			/* the decoded model (a private copy) */
	MemoryContext cxt;			/* holds all of the above */
	void	   *extra;			/* caller's per-model cache */
	struct GmmVecModel *vec;	/* the vectorised layout, built on first use */
	struct GmmMissCache *miss;	/* kernel/missing.c's per-pattern cache, built
								 * on first use (gmm_miss_cache_of) */
} GmmPrepared;

extern GmmPrepared *gmm_prepare(const Gmm *m, MemoryContext cxt);
extern void gmm_weighted_logpdfs(const GmmPrepared *p, const double *x, double *out);
extern double gmm_mahalanobis_sq(const GmmPrepared *p, int j, const double *x, double *z);
extern double gmm_logsumexp(const double *v, int n);
extern double gmm_point_logpdf(const GmmPrepared *p, const double *x, double *lp);
extern double gmm_point_posterior(const GmmPrepared *p, const double *x, double *lp,
								  double *resp, int *best);
extern double gmm_point_posterior_exact(const GmmPrepared *p, const double *x,
										double *lp, double *resp, int *best);

/*
 * The vectorised kernel: the k weighted log-densities into lp, log p(x)
 * into *ll and, unless e is NULL, the k values exp(lp[j] - max lp) into e
 * (all 0 when log p(x) is -inf); false (and nothing written) for models too
 * large for the cached layout, and on CPUs without AVX2.  Calling thread
 * only.
 */
extern bool gmm_point_logpdf_vec(const GmmPrepared *p, const double *x,
								 double *lp, double *ll, double *e);

#endif							/* GMM_LOGPDF_H */
