/*
 * kernel/mstep.h
 *	  The M-step (kernel/mstep.c): a model from sufficient statistics.
 */
#ifndef GMM_MSTEP_H
#define GMM_MSTEP_H

#include "kernel/suff.h"

/*
 * M-step: a new model of the same shape from s, with reg_covar added to the
 * variances.  With oas, Oracle Approximating Shrinkage (Chen et al. 2010)
 * of the full and tied covariance matrices before reg_covar is added: each
 * empirical covariance S of a component with soft count n_j (tied: the
 * total weight) becomes (1 - r) S + r (tr S / d) I.  Components whose nk
 * falls below gmm_mass_threshold are reported by returning their count in
 * *n_empty (their parameters are left as those of "prev", with weight ~0,
 * so the caller may re-seed them).  The returned model has no fit metadata
 * set (flags 0); it is not validated.
 */
extern Gmm *gmm_mstep(const GmmSuff *s, const Gmm *prev, double reg_covar,
					  bool oas, int *n_empty);

#endif							/* GMM_MSTEP_H */
