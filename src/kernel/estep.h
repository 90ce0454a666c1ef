/*
 * kernel/estep.h
 *	  The E-step (estep.c): gmm_estep_accum, its row-by-row path, and the
 *	  blocked, multi-threaded path (estep_blocks.c): rows
 *	  are taken in blocks, the log-densities of a block computed for every
 *	  component at once (vectorised across rows for small d, triangular
 *	  solves and rank-k updates through BLAS for large d), responsibilities
 *	  by a vectorised log-sum-exp, and the shifted statistics accumulated per
 *	  block, then added to the caller's in block order: the result does not
 *	  depend on the number of threads.
 */
#ifndef GMM_ESTEP_H
#define GMM_ESTEP_H

#include "kernel/suff.h"
#include "kernel/logpdf.h"

/* below this many rows gmm_estep_accum takes the rows one at a time */
#define GMM_BLOCK_MIN_ROWS	32

/*
 * E-step over n rows X (n x d, row-major) with optional weights w (NULL = 1):
 * adds to s.  Rows with weight 0 are skipped.  s->shift must be p's means.
 */
extern void gmm_estep_accum(const GmmPrepared *p, const double *X,
							const double *w, int n, GmmSuff *s);

/* the same, one row at a time (gmm_estep_accum below GMM_BLOCK_MIN_ROWS) */
extern void gmm_estep_rows(const GmmPrepared *p, const double *X,
						   const double *w, int n, GmmSuff *s);

/* the same, blocked and threaded (gmm_estep_accum from GMM_BLOCK_MIN_ROWS) */
extern void gmm_estep_blocks(const GmmPrepared *p, const double *X,
							 const double *w, int n, GmmSuff *s);

#endif							/* GMM_ESTEP_H */
