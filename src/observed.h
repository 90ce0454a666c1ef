/*
 * observed.h
 *	  The SQL side of fits and scores on incomplete rows ("missing":
 *	  "marginalize", kernel/missing.h): reading points whose NULL and NaN
 *	  elements are missing values, and the GMM_FLAG_OBSERVED section of a
 *	  fitted model (observed.c).
 */
#ifndef GMM_OBSERVED_H
#define GMM_OBSERVED_H

#include "gmm.h"
#include "kernel/missing.h"

/* gmm_point_length_missing (point.c, gmm.h): a point's length, NULLs allowed */

/*
 * Read point a of dimension d into out, NULL and NaN elements as NaN
 * (infinite elements and the other faults are errors, as for
 * gmm_point_read); returns the number of missing elements.
 */
extern int	gmm_point_read_missing(ArrayType *a, int d, double *out);

/* a copy of fitted model m with the observed-data section set from the counts */
extern Gmm *gmm_with_observed(const Gmm *m, double rows_used,
							  double rows_skipped, double values_missing);

#endif							/* GMM_OBSERVED_H */
