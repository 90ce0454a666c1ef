/*
 * kernel/init.h
 *	  Initial models for EM over rows held in memory: k-means++ seeding
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
 * Greedy k-means++ seeding (each new centre is the best of 2 + ln k
 * candidates drawn with probability proportional to weight times squared
 * distance): k distinct rows into centers (k x d).  Needs k distinct rows.
 */
extern void gmm_kmeanspp(const GmmRows *rows, int k, pg_prng_state *rng,
						 double *centers);

/* k distinct rows drawn with probability proportional to weight */
extern void gmm_random_rows(const GmmRows *rows, int k, pg_prng_state *rng,
							double *centers);

/* nearest centre of every row into labels (n); returns the weighted inertia */
extern double gmm_assign_labels(const GmmRows *rows, int k,
								const double *centers, int32 *labels);

/*
 * Lloyd's k-means from centers (updated in place) until the labels stop
 * changing, the centres move less than 1e-4 times the mean variance of the
 * data, or max_iter iterations; an empty cluster is moved to the row
 * farthest from its centre.  Leaves the final labels; returns the
 * iterations run.
 */
extern int	gmm_kmeans_lloyd(const GmmRows *rows, int k, double *centers,
							 int32 *labels, int max_iter);

/*
 * The model of a hard assignment: weights from the cluster masses, means
 * (the cluster means, or "centers" when not NULL), covariances about the
 * means plus reg_covar on the diagonal.  An empty cluster gets the mass of
 * one average row and the covariance of all the rows.  Not validated: a
 * covariance may be singular when reg_covar is 0.
 */
extern Gmm *gmm_model_from_labels(const GmmRows *rows, int k, int cov_type,
								  const int32 *labels, const double *centers,
								  double reg_covar);

/*
 * The initial model with k components for a run of EM, following
 * opts->init, then replacing weights and covariances by those given in the
 * options (already checked by gmm_fit_options_check_dimension).  Needs at
 * least k distinct rows.
 */
extern Gmm *gmm_init_model(const GmmRows *rows, int k,
						   const GmmFitOptions *opts, pg_prng_state *rng);

#endif							/* GMM_INIT_H */
