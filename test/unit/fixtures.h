/*
 * fixtures.h
 *	  Test models and statistics shared by the kernel unit tests
 *	  (fixtures.c).
 */
#ifndef GMM_UNIT_FIXTURES_H
#define GMM_UNIT_FIXTURES_H

#include "kernel/model.h"
#include "kernel/suff.h"

/*
 * A valid model of the given shape drawn from seed: positive weights, means
 * in [-2, 2), covariances A A^T / d + 0.2 I (full, tied) or in [0.3, 2)
 * (diag, spherical).  Validated.
 */
extern Gmm *unit_random_model(int cov_type, int k, int d, uint64 seed);

/* a copy of s (same shift) in CurrentMemoryContext */
extern GmmSuff *unit_suff_copy(const GmmSuff *s);

/* true when a and b hold the same bits in every field and array */
extern bool unit_suff_identical(const GmmSuff *a, const GmmSuff *b);

/* true when every array agrees norm-wise to rel, and sum_w, sum_ll to rel */
extern bool unit_suff_close(const GmmSuff *a, const GmmSuff *b, double rel);

#endif							/* GMM_UNIT_FIXTURES_H */
