/*
 * kernel/estep_diag.h
 *	  The kernels of the blocked E-step (estep_blocks.c) for diag and
 *	  spherical covariances, and the block transposition all small-d paths
 *	  share (estep_diag.c).  A block is GMM_BLOCK rows; xt is the block
 *	  transposed, d rows of GMM_BLOCK values; nbp the rows of the block
 *	  rounded up to a multiple of GMM_LANES (the padding rows are zero).
 */
#ifndef GMM_ESTEP_DIAG_H
#define GMM_ESTEP_DIAG_H

#include "kernel/logpdf.h"
#include "kernel/suff.h"

/* rows per block (a multiple of GMM_LANES) */
#define GMM_BLOCK			256

/* xt from the nb rows X (nb x d, row-major), rows nb..nbp-1 zero */
extern void gmm_block_transpose(const double *restrict X, int nb, int nbp, int d,
								double *restrict xt);

/* lp[j][r] = log w_j + log N(x_r | mu_j, sigma_j) (k x GMM_BLOCK) */
extern void gmm_block_logpdf_diag(const GmmPrepared *p, const double *restrict xt,
								  double *restrict lp, int nbp);

/*
 * adds to acc the counts, sums of g (x - c) and of g (x - c)^2 of every
 * component, g its responsibilities in lp, c its row of shift
 */
extern void gmm_block_stats_diag(const double *restrict xt, const double *restrict lp,
								 const double *shift, int k, int d, int nbp,
								 double *restrict nk, GmmSuff *acc);

#endif							/* GMM_ESTEP_DIAG_H */
