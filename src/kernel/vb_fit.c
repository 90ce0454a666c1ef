/*
 * kernel/vb_fit.c
 *	  The variational driver behind gmm_fit, gmm_fit_weighted and gmm_train
 *	  with a "prior" option, as scikit-learn 1.2's BayesianGaussianMixture.fit:
 *	  per run, the initial model of gmm_fit (kernel/init.c), the statistics of
 *	  the rows under it and a variational M-step (scikit-learn's _initialize
 *	  from responsibilities), then E-steps under the E-step form of the model
 *	  and variational M-steps until the lower bound changes by less than tol
 *	  (its total over the rows, as scikit-learn compares it) or max_iter; the
 *	  run with the best lower bound is kept.  The data source is the EM
 *	  driver's (driver.h).
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "kernel/estep.h"
#include "kernel/vb.h"

/* rows per call of the E-step kernel (its row count is an int) */
#define VB_ESTEP_CHUNK		(1 << 20)

/* Error unless every statistic is finite */
static void
check_suff(const GmmSuff *s, const GmmFitOptions *opts, const char *caller)
{
	bool		bad = !isfinite(s->sum_ll) || !isfinite(s->sum_w);

	for (int j = 0; j < s->k; j++)
		bad |= !isfinite(s->nk[j]);
	for (Size i = 0; i < (Size) s->k * s->d; i++)
		bad |= !isfinite(s->s1[i]);
	for (Size i = 0; i < (Size) s->k * gmm_s2_count(s->cov_type, s->d); i++)
		bad |= !isfinite(s->s2[i]);
	if (bad)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the statistics of the variational fit are not finite", caller),
				 errhint("Scale the data to moderate values, or increase \"reg_covar\" (now %g).",
						 opts->reg_covar)));
}

/* A copy of m in CurrentMemoryContext */
static Gmm *
copy_model(const Gmm *m)
{
	Gmm		   *c = palloc(VARSIZE(m));

	memcpy(c, m, VARSIZE(m));
	return c;
}

/* The lower bound stored in variational model m */
static double
model_lb(const Gmm *m)
{
	int			n;

	return gmm_section(m, GMM_FLAG_BAYES, &n)[GMM_VB_LB];
}

/*
 * One run from variational model v (in out_cxt): returns the final model
 * with n_iter and the converged flag set, in out_cxt
 */
static Gmm *
vb_run(const GmmEmSource *src, Gmm *v, const double *hdr,
	   const GmmFitOptions *opts, int init_no, MemoryContext iter_cxt,
	   MemoryContext out_cxt, const char *caller)
{
	double		lb = -INFINITY;
	bool		converged = false;
	int			n_iter = 0;

	for (int iter = 1; iter <= opts->max_iter; iter++)
	{
		MemoryContext old;
		Gmm		   *e,
				   *next;
		GmmSuff    *s;
		double		prev = lb;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(iter_cxt);
		old = MemoryContextSwitchTo(iter_cxt);
		e = gmm_vb_estep_model(v);
		s = src->estep(src->arg, e);
		check_suff(s, opts, caller);
		next = gmm_vb_mstep(s, e, hdr);
		next->n_iter = iter;
		MemoryContextSwitchTo(out_cxt);
		pfree(v);
		v = copy_model(next);
		MemoryContextSwitchTo(old);
		n_iter = iter;
		lb = model_lb(v);
		if (!isfinite(lb))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: the variational lower bound is not finite", caller),
					 errhint("Scale the data to moderate values, or increase \"reg_covar\" (now %g).",
							 opts->reg_covar)));
		if (opts->verbose)
			ereport(NOTICE,
					(errmsg("%s: k=%d, init %d, iteration %d: lower bound %.6f, change %.3g",
							caller, v->k, init_no, iter, lb, lb - prev)));
		if (fabs(lb - prev) < opts->tol)
		{
			converged = true;
			break;
		}
	}
	v->n_iter = n_iter;
	v->flags = GMM_FLAG_FITTED | GMM_FLAG_BAYES | (converged ? GMM_FLAG_CONVERGED : 0);
	return v;
}

/* The variational fit: n_init runs (or the continuation of start), the best kept */
Gmm *
gmm_vb_drive(const GmmEmSource *src, const Gmm *start,
			 const GmmFitOptions *opts, const char *caller)
{
	int			k = opts->k_min;
	bool		cont = (start != NULL && (start->flags & GMM_FLAG_BAYES));
	bool		given = (start != NULL || opts->init == GMM_INIT_GIVEN);
	int			n_runs = given ? 1 : opts->n_init;
	double	   *hdr = NULL;
	Gmm		   *best = NULL;
	pg_prng_state rng;
	MemoryContext run_cxt,
				iter_cxt,
				old;
	GmmSuff    *s;
	double	   *work;

	if (opts->max_iter < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: a variational fit (option \"prior\") needs \"max_iter\" of at least 1", caller)));
	pg_prng_seed(&rng, (uint64) opts->seed);
	run_cxt = AllocSetContextCreate(CurrentMemoryContext, "gmm VB run",
									ALLOCSET_DEFAULT_SIZES);
	iter_cxt = AllocSetContextCreate(CurrentMemoryContext, "gmm VB iteration",
									 ALLOCSET_DEFAULT_SIZES);
	if (cont && opts->prior)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: option \"prior\" cannot be combined with a variational start model", caller),
				 errhint("The start model carries its prior; drop the option to continue its fit.")));
	if (cont)
	{
		int			n;
		const double *v = gmm_section(start, GMM_FLAG_BAYES, &n);

		k = start->k;
		hdr = palloc(sizeof(double) * gmm_vb_prior_count(start->cov_type, start->d));
		memcpy(hdr, v, sizeof(double) * gmm_vb_prior_count(start->cov_type, start->d));
	}
	for (int run = 1; run <= n_runs; run++)
	{
		Gmm		   *m0,
				   *v;
		GmmProblem	pb;

		MemoryContextReset(run_cxt);
		old = MemoryContextSwitchTo(run_cxt);
		if (cont)
			v = copy_model(start);
		else
		{
			m0 = start ? copy_model(start) : gmm_init_model_src(gmm_em_rows(src), k, opts, &rng);
			work = palloc(sizeof(double) * m0->d * m0->d);
			if (!gmm_model_check(m0, 0, work, &pb))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("%s: the initial covariance of component %d of %d is singular",
								caller, pb.component, k),
						 errhint("Increase \"reg_covar\" (now %g).", opts->reg_covar)));
			s = src->estep(src->arg, m0);
			check_suff(s, opts, caller);
			if (hdr == NULL)
			{
				MemoryContext o2 = MemoryContextSwitchTo(old);

				hdr = palloc(sizeof(double) * gmm_vb_prior_count(m0->cov_type, m0->d));
				MemoryContextSwitchTo(o2);
				gmm_vb_resolve_prior(opts->prior, s, k, opts->reg_covar, hdr, caller);
			}
			v = gmm_vb_mstep(s, m0, hdr);
		}
		v = vb_run(src, v, hdr, opts, run, iter_cxt, run_cxt, caller);
		MemoryContextSwitchTo(old);
		if (best == NULL || model_lb(v) > model_lb(best))
		{
			if (best)
				pfree(best);
			best = copy_model(v);
		}
	}

	/* the rows' log-likelihood under the returned mixture */
	MemoryContextReset(iter_cxt);
	old = MemoryContextSwitchTo(iter_cxt);
	{
		Gmm		   *plain = gmm_alloc(best->cov_type, best->k, best->d);

		memcpy(GMM_WEIGHTS(plain), GMM_WEIGHTS(best),
			   sizeof(double) * gmm_value_count(best->cov_type, best->k, best->d));
		s = src->estep(src->arg, plain);
	}
	MemoryContextSwitchTo(old);
	check_suff(s, opts, caller);
	best->n_seen = s->sum_w;
	best->log_likelihood = s->sum_ll / s->sum_w;
	if (opts->verbose)
		ereport(NOTICE,
				(errmsg("%s: k=%d: %s after %d iteration%s, lower bound %.6f",
						caller, k, (best->flags & GMM_FLAG_CONVERGED) ? "converged" : "did not converge",
						best->n_iter, best->n_iter == 1 ? "" : "s", model_lb(best))));
	MemoryContextDelete(run_cxt);
	MemoryContextDelete(iter_cxt);
	gmm_validate(best);
	return best;
}

/* The E-step over rows held in memory */
static GmmSuff *
vb_memory_estep(void *arg, const Gmm *m)
{
	const GmmRows *rows = (const GmmRows *) arg;
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	GmmSuff    *s = gmm_suff_alloc(m->cov_type, m->k, m->d, p->means);

	for (int64 off = 0; off < rows->n; off += VB_ESTEP_CHUNK)
	{
		int			cnt = (int) Min((int64) VB_ESTEP_CHUNK, rows->n - off);

		gmm_estep_accum(p, rows->X + (Size) off * rows->d,
						rows->w ? rows->w + off : NULL, cnt, s);
	}
	return s;
}

/* The rows for initialisation: all of them */
static const GmmRows *
vb_memory_rows(void *arg)
{
	return (const GmmRows *) arg;
}

/* Variational fit of rows held in memory */
Gmm *
gmm_vb_fit(const GmmRows *rows, const GmmFitOptions *opts, const char *caller)
{
	GmmEmSource src = {vb_memory_estep, vb_memory_rows, (void *) rows, "row", NULL};

	(void) gmm_k_max_for_rows(rows, opts, caller, 0);
	return gmm_vb_drive(&src, NULL, opts, caller);
}

/* Variational fit of the rows of a row source (rows held in memory or spilled) */
Gmm *
gmm_vb_fit_source(GmmRowSource *rows, const GmmFitOptions *opts,
				  const char *caller)
{
	GmmSourceFit sf = {rows, NULL, NULL};
	GmmEmSource src;

	gmm_em_source_from_rows(&src, &sf);
	(void) gmm_k_max_for_source(rows, opts, caller, 0);
	return gmm_vb_drive(&src, NULL, opts, caller);
}
