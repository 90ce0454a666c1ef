/*
 * kernel/driver.c
 *	  The EM driver behind gmm_fit and gmm_train: alternates the E-step of a
 *	  data source (driver.h) and the M-step kernel of mstep.h until the mean
 *	  log-likelihood per row changes by less than tol (as scikit-learn does),
 *	  keeps the best of n_init runs, retries runs whose covariances turn
 *	  singular, re-seeds components that lose all their mass, and chooses k
 *	  over a range by BIC or AIC.  Also the data source of rows held in
 *	  memory, used by gmm_fit.  The end-of-statement WARNING about fits that
 *	  did not converge is the SQL layer's (fit_warning.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "kernel/driver.h"
#include "kernel/estep.h"
#include "kernel/linalg.h"
#include "kernel/mstep.h"

/* values from this size on square to more than float8 holds over many rows */
#define GMM_FIT_MAX_ABS	1e150

/* outcome of one EM run */
typedef enum RunStatus
{
	RUN_OK = 0,
	RUN_SINGULAR,				/* a covariance is not positive definite */
	RUN_NONFINITE,				/* the log-likelihood is not finite */
	RUN_WEIGHTS_INF,			/* the row weights sum to infinity */
	RUN_TOO_LARGE				/* the statistics of the rows overflow */
} RunStatus;

/* what one run or one k ended with */
typedef struct RunOutcome
{
	RunStatus	status;
	int			component;		/* 1-based, for RUN_SINGULAR */
	int			tries;			/* attempts made */
} RunOutcome;

/*
 * 0 when every parameter is finite and every covariance positive definite,
 * else the 1-based number of the first bad component
 */
static int
bad_component(const Gmm *m, double *work)
{
	GmmProblem	pb;

	return gmm_model_check(m, 0, work, &pb) ? 0 : pb.component;
}

/*
 * RUN_OK when every sum of the E-step's statistics is finite, else why
 * not: the row weights sum to infinity, or the values are too large (their
 * squares about the means, or their log-densities, overflow float8)
 */
static RunStatus
suff_overflow(const GmmSuff *s)
{
	Size		n1 = (Size) s->k * s->d,
				n2 = (Size) s->k * gmm_s2_count(s->cov_type, s->d);
	bool		bad = !isfinite(s->sum_ll);

	if (!isfinite(s->sum_w))
		return RUN_WEIGHTS_INF;
	for (int j = 0; j < s->k; j++)
		bad |= !isfinite(s->nk[j]);
	for (Size i = 0; i < n1; i++)
		bad |= !isfinite(s->s1[i]);
	for (Size i = 0; i < n2; i++)
		bad |= !isfinite(s->s2[i]);
	return bad ? RUN_TOO_LARGE : RUN_OK;
}

/*
 * Why rows held in memory cannot be fitted in float8, or RUN_OK: their
 * weights sum to infinity, or a value is so large (GMM_FIT_MAX_ABS or
 * more) that sums of squares overflow
 */
static RunStatus
rows_overflow(GmmRowSource *rows)
{
	double		wsum = 0.0;
	bool		large = false;
	GmmRowBlock b;

	if (rows == NULL)
		return RUN_OK;
	rows->begin(rows, 0);
	while (rows->next(rows, &b))
	{
		for (int r = 0; r < b.n; r++)
			wsum += b.w ? b.w[r] : 1.0;
		for (Size i = 0; i < (Size) b.n * rows->d; i++)
			large |= (fabs(b.X[i]) >= GMM_FIT_MAX_ABS);
	}
	if (!isfinite(wsum) || !isfinite(rows->sum_w))
		return RUN_WEIGHTS_INF;
	return large ? RUN_TOO_LARGE : RUN_OK;
}

/* The rows of a data source for initialisation and re-seeding */
GmmRowSource *
gmm_em_rows(const GmmEmSource *src)
{
	const GmmRows *rows;

	if (src->source)
		return src->source(src->arg);
	rows = src->rows(src->arg);
	return rows ? gmm_rows_source(rows) : NULL;
}

/*
 * Give component j, which lost its mass, a new start: its mean moves to the
 * row the current model explains worst, its weight becomes 1/k (before the
 * weights are normalised again) and its covariance the mean of those of
 * the components that kept their mass (live[i]), so that it competes on
 * equal terms for the rows around its new mean.
 */
static void
reseed_component(GmmRowSource *rows, Gmm *m, int j, const bool *live,
				 MemoryContext cxt)
{
	int			k = m->k,
				d = m->d;
	GmmPrepared *p = gmm_prepare(m, cxt);
	double	   *lp = MemoryContextAlloc(cxt, sizeof(double) * k);
	double		worst = INFINITY,
				wsum = 0.0,
				w;
	int64		wr = 0;
	double	   *wt = GMM_WEIGHTS(m);
	int			nlive = 0;
	GmmRowBlock b;

	rows->begin(rows, 0);
	while (rows->next(rows, &b))
		for (int r = 0; r < b.n; r++)
		{
			double		ll;

			if ((r & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			ll = gmm_point_logpdf(p, b.X + (Size) r * d, lp);
			if (ll < worst)
				worst = ll, wr = b.first + r;
		}
	rows->fetch(rows, wr, GMM_MEANS(m) + (Size) j * d, &w);

	if (m->cov_type != GMM_COV_TIED)
	{
		Size		per = (m->cov_type == GMM_COV_FULL) ? (Size) d * d :
			(m->cov_type == GMM_COV_DIAG) ? (Size) d : 1;
		double	   *cj = GMM_COVS(m) + j * per;

		for (int i = 0; i < k; i++)
			nlive += live[i];
		if (nlive > 0)
		{
			memset(cj, 0, sizeof(double) * per);
			for (int i = 0; i < k; i++)
				if (live[i])
					for (Size t = 0; t < per; t++)
						cj[t] += GMM_COVS(m)[i * per + t] / nlive;
		}
	}

	wt[j] = 1.0 / k;
	for (int i = 0; i < k; i++)
		wsum += wt[i];
	for (int i = 0; i < k; i++)
		wt[i] /= wsum;
}

/*
 * One EM run from the model in "model" (updated in place to the final
 * model, with fit metadata): iterate until the mean log-likelihood per row
 * changes by less than tol or max_iter iterations have run, then one more
 * E-step for the log-likelihood of the final model.  iter_cxt is reset
 * every iteration.
 */
static RunOutcome
em_run(const GmmEmSource *src, Gmm *model, const GmmFitOptions *opts,
	   int init_no, MemoryContext iter_cxt, const char *caller)
{
	RunOutcome	out = {RUN_OK, 0, 1};
	int			k = model->k,
				d = model->d;
	GmmSuff    *s;
	double	   *work = palloc(sizeof(double) * d * d);
	bool	   *live = palloc(sizeof(bool) * k);
	double		ll_prev = -INFINITY,
				ll = -INFINITY;
	bool		converged = false;
	int			iter,
				n_iter = 0;
	MemoryContext old;

	for (iter = 1; iter <= opts->max_iter; iter++)
	{
		Gmm		   *next;
		int			n_empty,
					bad;
		bool		reseeded = false;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(iter_cxt);
		old = MemoryContextSwitchTo(iter_cxt);
		s = src->estep(src->arg, model);
		out.status = suff_overflow(s);
		if (out.status != RUN_OK)
		{
			MemoryContextSwitchTo(old);
			return out;
		}
		ll = s->sum_ll / s->sum_w;
		if (!isfinite(ll))
		{
			MemoryContextSwitchTo(old);
			out.status = RUN_NONFINITE;
			return out;
		}
		next = gmm_mstep(s, model, opts->reg_covar,
						 opts->shrinkage == GMM_SHRINK_OAS, &n_empty);
		bad = bad_component(next, work);
		if (bad)
		{
			MemoryContextSwitchTo(old);
			out.status = RUN_SINGULAR;
			out.component = bad;
			return out;
		}
		memcpy(model, next, VARSIZE(next));
		n_iter = iter;

		if (n_empty > 0)
		{
			double		nk_min = gmm_mass_threshold(gmm_suff_mass(s));

			for (int j = 0; j < k; j++)
				live[j] = (s->nk[j] >= nk_min);
			for (int j = 0; j < k; j++)
				if (!live[j])
				{
					reseed_component(gmm_em_rows(src), model, j, live, iter_cxt);
					reseeded = true;
					if (opts->verbose)
						ereport(NOTICE,
								(errmsg("%s: k=%d, init %d, iteration %d: component %d lost all its weight and was re-seeded at the worst-fitted %s",
										caller, k, init_no, iter, j + 1, src->row_noun)));
				}
		}
		MemoryContextSwitchTo(old);

		if (opts->verbose)
		{
			if (iter == 1)
				ereport(NOTICE,
						(errmsg("%s: k=%d, init %d, iteration %d: mean log-likelihood %.6f",
								caller, k, init_no, iter, ll)));
			else
				ereport(NOTICE,
						(errmsg("%s: k=%d, init %d, iteration %d: mean log-likelihood %.6f, change %.3g",
								caller, k, init_no, iter, ll, ll - ll_prev)));
		}
		if (!reseeded && fabs(ll - ll_prev) < opts->tol)
		{
			converged = true;
			break;
		}
		ll_prev = reseeded ? -INFINITY : ll;
	}

	/* the log-likelihood of the final model */
	MemoryContextReset(iter_cxt);
	old = MemoryContextSwitchTo(iter_cxt);
	s = src->estep(src->arg, model);
	MemoryContextSwitchTo(old);
	out.status = suff_overflow(s);
	if (out.status != RUN_OK)
		return out;
	ll = s->sum_ll / s->sum_w;
	if (!isfinite(ll))
	{
		out.status = RUN_NONFINITE;
		return out;
	}
	/* a component re-seeded in the last iteration missed the M-step's */
	gmm_canonicalize(model);
	model->flags = GMM_FLAG_FITTED | (converged ? GMM_FLAG_CONVERGED : 0);
	model->n_iter = n_iter;
	model->n_seen = s->sum_w;
	model->log_likelihood = ll;
	if (opts->verbose)
		ereport(NOTICE,
				(errmsg("%s: k=%d, init %d: %s after %d iteration%s, mean log-likelihood %.6f",
						caller, k, init_no, converged ? "converged" : "did not converge",
						n_iter, n_iter == 1 ? "" : "s", ll)));
	return out;
}

/* Describe a failed run */
static const char *
failure_text(RunStatus st)
{
	return st == RUN_SINGULAR ? "a covariance became singular" :
		st == RUN_WEIGHTS_INF ? "the row weights sum to infinity" :
		st == RUN_TOO_LARGE ? "the values are too large for float8" :
		"the log-likelihood became infinite";
}

/*
 * Fit k components (or refine "start"): n_init runs from fresh
 * initialisations (one for given means or a start model), each attempted up
 * to max_tries times.  Returns the run with the best final log-likelihood,
 * or NULL with *fail set.
 */
static Gmm *
fit_k(const GmmEmSource *src, const Gmm *start, int k,
	  const GmmFitOptions *opts, RunOutcome *fail, const char *caller)
{
	pg_prng_state rng;
	bool		given = (start != NULL || opts->init == GMM_INIT_GIVEN);
	int			n_runs = given ? 1 : opts->n_init;
	int			max_tries = given ? 1 : opts->max_tries;
	Gmm		   *best = NULL;
	MemoryContext run_cxt,
				iter_cxt,
				old;

	/* the same seed for every k: a k in a range fits as it would alone */
	pg_prng_seed(&rng, (uint64) opts->seed);
	run_cxt = AllocSetContextCreate(CurrentMemoryContext, "gmm EM run",
									ALLOCSET_DEFAULT_SIZES);
	iter_cxt = AllocSetContextCreate(CurrentMemoryContext, "gmm EM iteration",
									 ALLOCSET_DEFAULT_SIZES);
	fail->status = RUN_OK;
	for (int run = 1; run <= n_runs; run++)
	{
		for (int t = 1; t <= max_tries; t++)
		{
			Gmm		   *m;
			RunOutcome	o = {RUN_OK, 0, t};
			int			bad;

			MemoryContextReset(run_cxt);
			old = MemoryContextSwitchTo(run_cxt);
			if (start != NULL)
			{
				m = palloc(VARSIZE(start));
				memcpy(m, start, VARSIZE(start));
			}
			else
				m = gmm_init_model_src(gmm_em_rows(src), k, opts, &rng);
			bad = bad_component(m, palloc(sizeof(double) * m->d * m->d));
			if (bad)
				o.status = RUN_SINGULAR, o.component = bad;
			else
				o = em_run(src, m, opts, run, iter_cxt, caller);
			MemoryContextSwitchTo(old);
			o.tries = t;
			if (o.status == RUN_OK)
			{
				if (best == NULL || m->log_likelihood > best->log_likelihood)
				{
					if (best)
						pfree(best);
					best = palloc(VARSIZE(m));
					memcpy(best, m, VARSIZE(m));
				}
				break;
			}
			*fail = o;
			if (opts->verbose)
				ereport(NOTICE,
						(errmsg("%s: k=%d, init %d, try %d failed: %s%s", caller, k, run, t,
								failure_text(o.status),
								t < max_tries ? "; retrying from a fresh initialisation" : "")));
		}
	}
	MemoryContextDelete(run_cxt);
	MemoryContextDelete(iter_cxt);
	return best;
}

/* Error for a k that could not be fitted */
static void
pg_attribute_noreturn()
report_failure(const RunOutcome *fail, int k, bool from_start,
			   const GmmFitOptions *opts, const char *caller)
{
	if (fail->status == RUN_WEIGHTS_INF)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the row weights sum to infinity", caller),
				 errdetail("The weights add up to more than %g, the largest float8.", DBL_MAX),
				 errhint("Scale the weights down, e.g. divide them by their largest value: the fitted parameters depend only on their ratios.")));
	if (fail->status == RUN_TOO_LARGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: values too large to fit in float8", caller),
				 errdetail("Values of about 1e154 or more (or that far from a mean) have squares beyond %g, so variances and log-likelihoods overflow.", DBL_MAX),
				 errhint("Rescale the data to moderate values, e.g. divide every value by the largest absolute value, and scale the model back.")));
	if (fail->status == RUN_SINGULAR)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the covariance of component %d of %d became singular",
						caller, fail->component, k),
				 from_start ? errdetail("The fit started from the given parameters.") :
				 opts->init == GMM_INIT_GIVEN ?
				 errdetail("The fit started from the given means.") :
				 errdetail("All %d attempts from fresh initialisations failed.", fail->tries),
				 errhint("Increase \"reg_covar\" (now %g), use fewer components, or a covariance_type with fewer parameters such as \"diag\".",
						 opts->reg_covar)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s: the log-likelihood of the fit with %d components is not finite", caller, k),
			 errhint("Scale the data to moderate values, or increase \"reg_covar\" (now %g).",
					 opts->reg_covar)));
}

/* Fit over the k range k_min .. k_max and return the chosen model */
Gmm *
gmm_em_drive(const GmmEmSource *src, const Gmm *start,
			 const GmmFitOptions *opts, int k_max, const char *caller)
{
	int			k_min = opts->k_min;
	Gmm		   *best = NULL;
	double		best_crit = INFINITY;
	RunOutcome	fail = {RUN_OK, 0, 0};
	int			fail_k = k_min;
	double	   *sel = NULL;		/* the selection table, for a range of k */
	int			n_sel = 0;

	if (k_min != k_max)
		sel = palloc(sizeof(double) * GMM_SEL_FIELDS * (k_max - k_min + 1));
	for (int k = k_min; k <= k_max; k++)
	{
		RunOutcome	f = {RUN_OK, 0, 0};
		Gmm		   *m = fit_k(src, start, k, opts, &f, caller);
		double		crit;

		if (m == NULL)
		{
			fail = f, fail_k = k;
			if (k_min != k_max && opts->verbose)
				ereport(NOTICE,
						(errmsg("%s: k=%d skipped: %s", caller, k, failure_text(f.status))));
			continue;
		}
		crit = gmm_information_criterion(opts->criterion,
										 m->log_likelihood * m->n_seen,
										 m->n_seen, gmm_n_parameters(m));
		if (sel != NULL)
		{
			double	   *row = sel + (Size) n_sel++ * GMM_SEL_FIELDS;

			row[0] = k;
			row[1] = m->log_likelihood;
			row[2] = m->n_iter;
			row[3] = (m->flags & GMM_FLAG_CONVERGED) ? 1.0 : 0.0;
		}
		if (k_min != k_max && opts->verbose)
			ereport(NOTICE,
					(errmsg("%s: k=%d: mean log-likelihood %.6f, %s %.6f",
							caller, k, m->log_likelihood,
							opts->criterion == GMM_CRITERION_AIC ? "AIC" : "BIC", crit)));
		if (best == NULL || crit < best_crit)
		{
			if (best)
				pfree(best);
			best = m, best_crit = crit;
		}
		else
			pfree(m);
	}
	if (best == NULL)
	{
		/* a singular or infinite fit from data beyond float8: say so */
		if (fail.status == RUN_SINGULAR || fail.status == RUN_NONFINITE)
		{
			RunStatus	ov = rows_overflow(gmm_em_rows(src));

			if (ov != RUN_OK)
				fail.status = ov;
		}
		report_failure(&fail, fail_k, start != NULL, opts, caller);
	}
	/* a fit over a range of k keeps the criteria of every k it fitted */
	if (sel != NULL)
		best = gmm_with_selection(best, sel, n_sel);
	gmm_validate(best);
	return best;
}

/* ---------------------------------------------------------------------
 * Rows held in memory (gmm_fit)
 * ---------------------------------------------------------------------
 */

/* The E-step over a row source, block by block */
static GmmSuff *
source_estep(void *arg, const Gmm *m)
{
	GmmSourceFit *sf = (GmmSourceFit *) arg;
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	GmmSuff    *s = gmm_suff_alloc(m->cov_type, m->k, m->d, p->means);

	gmm_source_estep(sf->rows, p, sf->fn ? sf->fn : gmm_block_estep_complete,
					 sf->fn_arg, s);
	return s;
}

/* The rows for initialisation and re-seeding: all of them */
static GmmRowSource *
source_rows(void *arg)
{
	return ((GmmSourceFit *) arg)->rows;
}

/* Set src up as the data source of the rows of sf */
void
gmm_em_source_from_rows(GmmEmSource *src, GmmSourceFit *sf)
{
	memset(src, 0, sizeof(GmmEmSource));
	src->estep = source_estep;
	src->arg = sf;
	src->row_noun = "row";
	src->source = source_rows;
}

/* Fit the rows of a source over the k range of opts */
Gmm *
gmm_em_fit_source(GmmRowSource *rows, GmmBlockEstepFn fn, void *fn_arg,
				  const GmmFitOptions *opts, const char *caller)
{
	GmmSourceFit sf = {rows, fn, fn_arg};
	GmmEmSource src;
	int			k_max = gmm_k_max_for_source(rows, opts, caller, 0);

	gmm_em_source_from_rows(&src, &sf);
	return gmm_em_drive(&src, NULL, opts, k_max, caller);
}

/* Fit rows held in memory over the k range of opts */
Gmm *
gmm_em_fit(const GmmRows *rows, const GmmFitOptions *opts, const char *caller)
{
	return gmm_em_fit_source(gmm_rows_source(rows), NULL, NULL, opts, caller);
}
