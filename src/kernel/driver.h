/*
 * kernel/driver.h
 *	  The EM driver behind gmm_fit and gmm_train: n_init runs, retries when a
 *	  covariance turns singular, re-seeding of components that lose their
 *	  mass, verbose progress NOTICEs, and the choice of k over a range by BIC
 *	  or AIC.  Where the rows live is up to a data source: gmm_fit holds them
 *	  in memory, gmm_train runs one aggregate query per E-step.
 */
#ifndef GMM_DRIVER_H
#define GMM_DRIVER_H

#include "kernel/model.h"
#include "kernel/suff.h"
#include "kernel/init.h"
#include "kernel/fitopts.h"
#include "kernel/rowsrc.h"

/* Where the EM driver gets its data from */
typedef struct GmmEmSource
{
	/*
	 * The E-step: the statistics of all rows under m, shifted by m's means
	 * (see suff.h), allocated in CurrentMemoryContext.
	 */
	GmmSuff    *(*estep) (void *arg, const Gmm *m);

	/*
	 * Rows held in memory (all of them or a sample) for the initial models
	 * and for re-seeding; the source may build them at the first call.
	 */
	const GmmRows *(*rows) (void *arg);

	void	   *arg;			/* passed to all */
	const char *row_noun;		/* what rows() holds, for NOTICEs: "row" */

	/*
	 * Optional, instead of rows(): the rows as a row source (rowsrc.h), for
	 * rows that need not be in memory at once
	 */
	GmmRowSource *(*source) (void *arg);
} GmmEmSource;

/*
 * Fit every k from opts->k_min to k_max (at most opts->k_max, and no more
 * than the distinct rows the caller checked), or refine "start" when not
 * NULL (then k_min = k_max = start->k).  Returns a validated model with fit
 * metadata (GMM_FLAG_FITTED, n_seen = the rows' total weight,
 * log_likelihood = mean log-likelihood per unit of weight of the returned
 * model, n_iter, converged), palloc'd in CurrentMemoryContext.  Errors name
 * "caller".
 */
extern Gmm *gmm_em_drive(const GmmEmSource *src, const Gmm *start,
						 const GmmFitOptions *opts, int k_max,
						 const char *caller);

/*
 * gmm_em_drive over rows held in memory (k range in opts->k_min .. k_max,
 * capped at the number of distinct rows; given start already checked
 * against rows->d).
 */
extern Gmm *gmm_em_fit(const GmmRows *rows, const GmmFitOptions *opts,
					   const char *caller);

/*
 * The same over the rows of a row source, with fn (NULL: the E-step of
 * complete rows, gmm_block_estep_complete) as the per-block E-step
 */
extern Gmm *gmm_em_fit_source(GmmRowSource *rows, GmmBlockEstepFn fn,
							  void *fn_arg, const GmmFitOptions *opts,
							  const char *caller);

/* a row source with its per-block E-step (NULL fn: complete rows) */
typedef struct GmmSourceFit
{
	GmmRowSource *rows;
	GmmBlockEstepFn fn;
	void	   *fn_arg;
} GmmSourceFit;

/* Set src up as the data source of the rows of sf (which must outlive it) */
extern void gmm_em_source_from_rows(GmmEmSource *src, GmmSourceFit *sf);

/*
 * The rows of a data source for initialisation and re-seeding: its row
 * source, or its rows() as a row source; NULL when it has neither
 */
extern GmmRowSource *gmm_em_rows(const GmmEmSource *src);

#endif							/* GMM_DRIVER_H */
