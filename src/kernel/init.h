/*
 * kernel/init.h
 *	  Initial models for EM over rows held in memory (or, through
 *	  gmm_init_model_src in rowsrc.h, over any row source, spilled rows
 *	  included, with the same result): k-means++ seeding
 *	  (greedy, weighted), Lloyd's k-means, k distinct random rows, or means
 *	  given in the options, and the parameters of a hard assignment.
 *	  Randomness comes from a caller-seeded pg_prng_state, so results are
 *	  reproducible for a given seed and row order.
 *
 * Rows are a contiguous row-major n x d double array with optional positive
 * weights (rows of weight zero are never stored).  Every function is plain C
 * over arrays apart from palloc and ereport, with CHECK_FOR_INTERRUPTS in its
 * long loops.
 */
#ifndef GMM_INIT_H
#define GMM_INIT_H

#include "common/pg_prng.h"

#include "kernel/fitopts.h"
#include "kernel/model.h"

typedef struct GmmRows
{
	const double *X;			/* n x d, row-major */
	const double *w;			/* n positive weights, or NULL for all 1 */
	int64		n;
	int			d;
	double		sum_w;			/* total weight (n when w is NULL) */
} GmmRows;

/* weight of row r */
static inline double
gmm_row_weight(const GmmRows *rows, int64 r)
{
	return rows->w ? rows->w[r] : 1.0;
}

/*
 * The bytes gmm.fit_memory_limit (gmm.c) charges per row of dimension d held
 * in memory, by gmm_fit and by gmm_train's sample: the row, its weight, and
 * the per-row work arrays of initialisation.  Work arrays that scale with
 * the rows are huge allocations.
 */
extern Size gmm_fit_row_bytes(int d, bool weighted);

/*
 * The largest k the rows allow: an error when they hold fewer than
 * opts->k_min distinct rows, else opts->k_max capped at the distinct rows
 * (a NOTICE when opts->verbose).  sample_of > 0 words the messages for
 * gmm_train's sample of that many source rows; 0 when the rows are the
 * whole input.
 */
extern int	gmm_k_max_for_rows(const GmmRows *rows, const GmmFitOptions *opts,
							   const char *caller, int64 sample_of);

/*
 * -0.0 becomes 0.0 in the d values of x: rows held in memory are compared
 * bitwise (distinct rows, chosen centres), and -0.0 and 0.0 are the same
 * point
 */
static inline void
gmm_row_canonical_zeros(double *x, int d)
{
	for (int i = 0; i < d; i++)
		if (x[i] == 0.0)
			x[i] = 0.0;
}

/* number of distinct rows, counting no further than limit */
extern int64 gmm_count_distinct_rows(const GmmRows *rows, int64 limit);

/*
 * The initial model with k components for a run of EM, following
 * opts->init, then replacing weights and covariances by those given in the
 * options (already checked by gmm_fit_options_check_dimension).  Needs at
 * least k distinct rows.
 */
extern Gmm *gmm_init_model(const GmmRows *rows, int k,
						   const GmmFitOptions *opts, pg_prng_state *rng);

#endif							/* GMM_INIT_H */
