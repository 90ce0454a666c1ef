/*
 * logpdf.h
 *	  The vectorised per-point kernel behind gmm_weighted_logpdfs: the
 *	  weighted log-densities of one point under every component, computed
 *	  for four or eight components at once from a per-model layout that is
 *	  built on first use and lives as long as the prepared model.
 */
#ifndef GMM_LOGPDF_H
#define GMM_LOGPDF_H

#include "gmm.h"

/*
 * out[j] = log w_j + log N(x | mu_j, Sigma_j); false (and nothing written)
 * for models too large for the cached layout, and on CPUs without AVX2
 * (see gmm_fast_vectors).  Calling thread only.
 */
extern bool gmm_logpdfs_vec(const GmmPrepared *p, const double *x, double *out);

/*
 * The same into lp, plus log p(x) into *ll and, unless e is NULL, the k
 * values exp(lp[j] - max lp) into e (all 0 when log p(x) is -inf).
 */
extern bool gmm_point_logpdf_vec(const GmmPrepared *p, const double *x,
								 double *lp, double *ll, double *e);

#endif							/* GMM_LOGPDF_H */
