/*
 * estep.h
 *	  The blocked, multi-threaded E-step behind gmm_estep_accum (em.h): rows
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

/* below this many rows gmm_estep_accum takes the rows one at a time */
#define GMM_BLOCK_MIN_ROWS	32

/* same contract as gmm_estep_accum */
extern void gmm_estep_blocks(const GmmPrepared *p, const double *X,
							 const double *w, int n, GmmSuff *s);

#endif							/* GMM_ESTEP_H */
