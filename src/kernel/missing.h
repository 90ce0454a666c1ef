/*
 * kernel/missing.h
 *	  EM and scoring on incomplete rows ("missing": "marginalize"): a row's
 *	  NaN elements are missing values.  The E-step (kernel/missing.c) gives
 *	  each row responsibilities from the marginal density of its observed
 *	  dimensions and adds to the sufficient statistics of kernel/suff.h the
 *	  conditional expectation of the missing part and, in the second
 *	  moments, its conditional covariance (Ghahramani and Jordan 1994), so
 *	  that the ordinary M-step (kernel/mstep.h) completes EM for incomplete
 *	  data for every covariance type.  The factorisations of each
 *	  component's observed block are cached per missingness pattern in a
 *	  GmmMissCache.  kernel/missing_fit.c runs the EM driver over rows held
 *	  in memory with this E-step.  No fmgr here.
 */
#ifndef GMM_KERNEL_MISSING_H
#define GMM_KERNEL_MISSING_H

#include "kernel/fitopts.h"
#include "kernel/init.h"
#include "kernel/logpdf.h"
#include "kernel/suff.h"

/* the values of the GMM_FLAG_OBSERVED model section, in order */
#define GMM_OBS_ROWS_USED		0	/* rows fitted (weight > 0, some value observed) */
#define GMM_OBS_ROWS_SKIPPED	1	/* rows skipped: every value missing */
#define GMM_OBS_VALUES_MISSING	2	/* missing values in the rows fitted */
#define GMM_OBS_FIELDS			3

/* what an E-step on incomplete rows saw (counts as float8, exact to 2^53) */
typedef struct GmmMissCounts
{
	double		rows_used;
	double		rows_skipped;
	double		values_missing;
} GmmMissCounts;

typedef struct GmmMissCache GmmMissCache;

/*
 * A cache of per-pattern factorisations for prepared model p, allocated in
 * cxt (it keeps p, which must outlive it)
 */
extern GmmMissCache *gmm_miss_cache_create(const GmmPrepared *p, MemoryContext cxt);

/*
 * The cache of prepared model p, built at first use in p->cxt: it lives and
 * dies with p
 */
extern GmmMissCache *gmm_miss_cache_of(const GmmPrepared *p);

/*
 * E-step over n rows X (n x d, NaN = missing) with optional weights w (NULL
 * = 1), adding to s (whose shift must be the model's means) and to *cnt
 * (may be NULL).  Complete rows go through gmm_estep_accum; rows of weight
 * 0 are ignored; rows with every value missing are counted as skipped and
 * add nothing to s.  Errors out when a component's covariance restricted
 * to a row's observed dimensions is not positive definite.
 */
extern void gmm_estep_missing(GmmMissCache *c, const double *X, const double *w,
							  int n, GmmSuff *s, GmmMissCounts *cnt);

/*
 * The same in pieces, for rows that come in blocks: gmm_estep_missing_rows
 * over each block leaves complete rows gathered and incomplete ones waiting
 * (copied) in c; gmm_estep_missing_end adds them.  The statistics depend
 * only on the sequence of rows, not on how it is cut into blocks.
 */
extern void gmm_estep_missing_rows(GmmMissCache *c, const double *X,
								   const double *w, int n, GmmSuff *s,
								   GmmMissCounts *cnt);
extern void gmm_estep_missing_end(GmmMissCache *c, GmmSuff *s);

/*
 * The k weighted log-densities lp of the observed dimensions of x (NaN =
 * missing) and log p(x_o); NaN when every value is missing.  A complete x
 * gives exactly gmm_point_logpdf's values.
 */
extern double gmm_observed_logpdf(GmmMissCache *c, const double *x, double *lp);

/* number of NaN values among the d of x */
static inline int
gmm_count_missing(const double *x, int d)
{
	int			m = 0;

	for (int i = 0; i < d; i++)
		m += isnan(x[i]);
	return m;
}

/*
 * kernel/missing_fit.c: gmm_em_fit for the rows of a row source (rowsrc.h)
 * with missing values (NaN, no row entirely missing): the k range of opts;
 * initialisation and re-seeding see the rows with each missing value
 * replaced by the weighted mean of its dimension, filled block by block.
 * The result depends only on the rows, not on the source's blocks (rows in
 * memory or spilled give the same bits).
 */
struct GmmRowSource;
extern Gmm *gmm_em_fit_observed(struct GmmRowSource *rows,
								 const GmmFitOptions *opts, const char *caller);

#endif							/* GMM_KERNEL_MISSING_H */
