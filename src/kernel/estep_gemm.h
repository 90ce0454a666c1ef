/*
 * kernel/estep_gemm.h
 *	  The diag/spherical kernels of the blocked E-step through BLAS level 3,
 *	  for many dimensions (estep_gemm.c; estep_blocks.c takes them from
 *	  GMM_GEMM_MIN_D dimensions and GMM_GEMM_MIN_K components on).  A
 *	  block is GMM_BLOCK rows, row-major; lp is k x GMM_BLOCK as in
 *	  estep_diag.h.
 */
#ifndef GMM_ESTEP_GEMM_H
#define GMM_ESTEP_GEMM_H

#include "kernel/estep_diag.h"

/*
 * diag/spherical models of at least this dimension and this many components
 * go through BLAS (measured on 200,000 rows, one thread: from d = 48 at
 * k = 10 up to 25% faster, at d = 64, k = 8 even; slower for k = 5 and
 * at d = 32)
 */
#define GMM_GEMM_MIN_D		64
#define GMM_GEMM_MIN_K		8

/* the model and shifts in the expanded form (see estep_gemm.c) */
typedef struct GmmGemmModel
{
	int			k;
	int			d;
	double	   *c;				/* d: the common centre, mean of the shifts */
	double	   *st;				/* d x k: 1 / sigma^2 */
	double	   *mst;			/* d x k: (mu - c) / sigma^2 */
	double	   *t;				/* k x d: c - c_j */
	double	   *b;				/* k: sum (mu - c)^2 / sigma^2 */
} GmmGemmModel;

/* NULL when the change of shift could lose precision (every block falls back) */
extern GmmGemmModel *gmm_gemm_prepare(const GmmPrepared *p, const double *shift);
extern void gmm_gemm_free(GmmGemmModel *gm);

/*
 * lp[j][r] of the nb rows X; yy: 2 x GMM_BLOCK x d scratch, left holding
 * the rows' x - c, then their (x - c)^2, for gmm_block_stats_gemm; tmp: 2 k x GMM_BLOCK, qmin: GMM_BLOCK
 * scratch.  false when the expanded form could lose precision on this
 * block: then use the transposed kernels (estep_diag.h) instead.
 */
extern bool gmm_block_logpdf_gemm(const GmmGemmModel *gm, const GmmPrepared *p,
								  const double *X, int nb, int nbp,
								  double *yy, double *tmp,
								  double *qmin, double *lp);

/*
 * adds to acc the counts and shifted sums of every component, g its
 * responsibilities (k x GMM_BLOCK); nk: k, sc: k x 2d scratch
 */
extern void gmm_block_stats_gemm(const GmmGemmModel *gm, const double *yy,
								 const double *g, int nb, int nbp, double *nk,
								 double *sc, GmmSuff *acc);

#endif							/* GMM_ESTEP_GEMM_H */
