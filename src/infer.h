/*
 * infer.h
 *	  Shared pieces of the inference functions (infer.c, geometry.c):
 *	  readers for dimension lists and value vectors with their checks, and
 *	  the per-query cache of conditioning factorisations.
 */
#ifndef GMM_INFER_H
#define GMM_INFER_H

#include "gmm.h"

/*
 * Everything needed to condition a model on a fixed set of observed
 * dimensions A (in the caller's order), leaving the other dimensions B (in
 * increasing order).  For full (nfac = k) and tied (nfac = 1) models, per
 * factor f:
 *	 chol  + f * na * na:	L, the lower Cholesky factor of S_AA
 *	 gain  + f * na * nb:	G = S_AA^{-1} S_AB, so E[x_B | a] = mu_B + G^T (a - mu_A)
 *	 schur + f * nb * nb:	S_BB - S_BA S_AA^{-1} S_AB, the conditional covariance
 * For diag and spherical models (nfac = 0) the dimensions are independent:
 * inv_std (k * na) holds 1 / sigma of the observed dimensions and the
 * conditional of B is its marginal.
 * log_norm[j] = log w_j - na/2 log(2 pi) - 1/2 log |S_AA,j|.
 */
typedef struct GmmCond
{
	MemoryContext cxt;			/* holds this struct and its arrays */
	int			k;
	int			d;
	int			cov_type;
	int			na;				/* observed dimensions */
	int			nb;				/* remaining dimensions */
	int		   *obs;			/* na, 0-based, caller's order */
	int		   *rest;			/* nb, 0-based, increasing */
	const double *means;		/* k * d, the model's (not owned) */
	int			nfac;
	double	   *chol;
	double	   *gain;
	double	   *schur;
	double	   *inv_std;
	double	   *log_norm;		/* k */
	double	   *work;			/* scratch: na */
} GmmCond;

/* infer.c */
extern int *gmm_read_dims(ArrayType *a, int d, int *n, bool allow_all,
						  const char *verb);
extern double *gmm_read_values(ArrayType *a, int n, const char *what);
extern GmmCond *gmm_cond_lookup(GmmPrepared *prep, const int *obs, int na);
extern void gmm_cond_weights(const GmmCond *c, const double *a, double *logw);
extern void gmm_cond_mean(const GmmCond *c, int j, const double *a, double *out);

/* geometry.c */
extern double gmm_chi2_quantile_value(double p, double df);

#endif							/* GMM_INFER_H */
