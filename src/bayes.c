/*
 * bayes.c
 *	  The SQL side of variational (Bayesian) mixtures: the gmm_vb_stats and
 *	  gmm_vb_step aggregates (the transition function of gmm_stats_agg run
 *	  under the E-step form of the model, so the state is an ordinary
 *	  gmm_stats that gmm_stats_merge, parallel query, postgres_fdw and Citus
 *	  combine), gmm_vb_update (the variational M-step from statistics, or the
 *	  first one from statistics of any model with a prior), the accessors of
 *	  the posterior, and gmm_effective_components / gmm_prune.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "gmm.h"
#include "gmm_io.h"
#include "kernel/vb.h"
#include "options.h"
#include "stats_type.h"

extern PGDLLEXPORT Datum gmm_stats_accum(PG_FUNCTION_ARGS);

/* Per call site of gmm_vb_accum: the E-step form of the last model seen */
typedef struct VbAccumCache
{
	FmgrInfo	inner;			/* for gmm_stats_accum, with its own fn_extra */
	Gmm		   *key;			/* the model as given */
	Gmm		   *estep;			/* its E-step form */
	bool		is_const;		/* the model argument is a constant */
} VbAccumCache;

/* Is aggregate argument argno (1-based) a constant or an external parameter? */
static bool
agg_arg_is_const(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref;
	Node	   *e;

	if (!AggCheckCallContext(fcinfo, NULL))
		return false;
	aggref = AggGetAggref(fcinfo);
	if (aggref == NULL || argno < 1 || argno > list_length(aggref->args) ||
		aggref->aggdistinct != NIL)
		return false;
	e = (Node *) ((TargetEntry *) list_nth(aggref->args, argno - 1))->expr;
	return IsA(e, Const) || (IsA(e, Param) && ((Param *) e)->paramkind == PARAM_EXTERN);
}

/* The section of m, requiring a variational model in the given form */
static const double *
vb_section_form(const Gmm *m, int form, const char *caller)
{
	const double *v = gmm_vb_section(m, caller);

	if (v[GMM_VB_FORM] != form)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model is the E-step form of a variational fit, not a fitted model",
						caller),
				 errhint("Pass the model gmm_vb_step or gmm_vb_update returned.")));
	return v;
}

/* The E-step form of argument 1 (a variational model), cached per call site */
static Gmm *
estep_arg(FunctionCallInfo fcinfo, VbAccumCache *c)
{
	Gmm		   *m;
	MemoryContext old;

	if (c->estep != NULL && c->is_const)
		return c->estep;
	m = PG_GETARG_GMM_P(1);
	if (c->key != NULL && VARSIZE(c->key) == VARSIZE(m) &&
		memcmp(c->key, m, VARSIZE(m)) == 0)
		return c->estep;
	vb_section_form(m, GMM_VB_FORM_MODEL, "gmm_vb_step");
	if (c->key)
		pfree(c->key), pfree(c->estep);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c->key = palloc(VARSIZE(m));
	memcpy(c->key, m, VARSIZE(m));
	c->estep = gmm_vb_estep_model(m);
	MemoryContextSwitchTo(old);
	c->is_const = agg_arg_is_const(fcinfo, 1);
	return c->estep;
}

PG_FUNCTION_INFO_V1(gmm_vb_accum);
/*
 * Transition function of gmm_vb_stats and gmm_vb_step:
 * (state gmm_stats, m gmm, x float8[] [, weight float8]); gmm_stats_accum
 * under the E-step form of variational model m
 */
Datum
gmm_vb_accum(PG_FUNCTION_ARGS)
{
	VbAccumCache *c = (VbAccumCache *) fcinfo->flinfo->fn_extra;
	LOCAL_FCINFO(inner, 4);
	Datum		result;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (PG_NARGS() > 3 && PG_ARGISNULL(3)))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VbAccumCache));
		c->inner.fn_addr = gmm_stats_accum;
		c->inner.fn_oid = InvalidOid;
		c->inner.fn_nargs = PG_NARGS();
		c->inner.fn_strict = false;
		c->inner.fn_retset = false;
		c->inner.fn_mcxt = fcinfo->flinfo->fn_mcxt;
		c->inner.fn_expr = fcinfo->flinfo->fn_expr;
		fcinfo->flinfo->fn_extra = c;
	}
	InitFunctionCallInfoData(*inner, &c->inner, PG_NARGS(), fcinfo->fncollation,
							 fcinfo->context, NULL);
	for (int i = 0; i < PG_NARGS(); i++)
		inner->args[i] = fcinfo->args[i];
	inner->args[1].value = PointerGetDatum(estep_arg(fcinfo, c));
	result = gmm_stats_accum(inner);
	fcinfo->isnull = inner->isnull;
	return result;
}

/*
 * The variational M-step from statistics s collected under the E-step form
 * of a variational model: the next model, carrying the rows' weight, the
 * lower bound per unit of weight as its log_likelihood, and the iteration
 * count plus one
 */
static Gmm *
vb_update(GmmStats *s, const char *caller)
{
	const Gmm  *e = GMM_STATS_MODEL(s);
	const double *hdr;
	GmmSuff		view;
	Gmm		   *m;
	int			n;

	if (!(s->sum_w > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: cannot compute a model from gmm_stats without rows", caller)));
	if (!(e->flags & GMM_FLAG_BAYES))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the statistics were not collected by gmm_vb_stats", caller),
				 errhint("Start a variational fit from statistics of any model with gmm_vb_update(stats, '{\"prior\": {...}}').")));
	hdr = gmm_section(e, GMM_FLAG_BAYES, &n);
	if (hdr[GMM_VB_FORM] != GMM_VB_FORM_ESTEP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the statistics were collected under a variational model's reported parameters, not its E-step form", caller),
				 errhint("Collect them with gmm_vb_stats(m, x) rather than gmm_stats_agg(m, x).")));
	gmm_stats_view(s, &view);
	m = gmm_vb_mstep(&view, e, hdr);
	m->n_iter = (GMM_IS_FITTED(e) && e->n_iter < PG_INT32_MAX) ? e->n_iter + 1 : 1;
	m->n_seen = s->sum_w;
	hdr = gmm_section(m, GMM_FLAG_BAYES, &n);
	m->log_likelihood = hdr[GMM_VB_LB] / s->sum_w;
	gmm_validate(m);
	return m;
}

PG_FUNCTION_INFO_V1(gmm_vb_step_final);
/* Final function of gmm_vb_step; NULL without rows */
Datum
gmm_vb_step_final(PG_FUNCTION_ARGS)
{
	GmmStats   *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = PG_GETARG_GMM_STATS_P(0);
	if (AggCheckCallContext(fcinfo, NULL))
		gmm_stats_settle(s);
	else
		s = gmm_stats_settled(s);
	if (!(s->sum_w > 0.0))
		PG_RETURN_NULL();
	PG_RETURN_GMM_P(vb_update(s, "gmm_vb_step"));
}

PG_FUNCTION_INFO_V1(gmm_vb_update);
/* gmm_vb_update(stats): the next variational model */
Datum
gmm_vb_update(PG_FUNCTION_ARGS)
{
	PG_RETURN_GMM_P(vb_update(PG_GETARG_GMM_STATS_SETTLED(0), "gmm_vb_update"));
}

PG_FUNCTION_INFO_V1(gmm_vb_update_options);
/*
 * gmm_vb_update(stats, options): from statistics of a plain model, the
 * first variational model with option "prior" (scikit-learn's _initialize
 * from the responsibilities of that model; defaults of the prior from the
 * rows' moments in the statistics) and "reg_covar"; from gmm_vb_stats'
 * statistics, the next model (the prior is the model's own)
 */
Datum
gmm_vb_update_options(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_SETTLED(0);
	Jsonb	   *jb = PG_GETARG_JSONB_P(1);
	const Gmm  *m0 = GMM_STATS_MODEL(s);
	GmmFitOptions opts;
	GmmVbPrior	defaults;
	JsonbValue *given;
	GmmSuff		view;
	double	   *hdr;
	Gmm		   *m;
	int			n;

	gmm_fit_options_init(&opts);
	gmm_fit_options_parse(jb, &opts, "gmm_vb_update", NULL, NULL, NULL);
	given = getKeyJsonValueFromContainer(&jb->root, "covariance_type", strlen("covariance_type"), NULL);
	if (given != NULL && given->type != jbvNull && opts.cov_type != m0->cov_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gmm_vb_update option \"covariance_type\" is \"%s\" but the statistics are of a \"%s\" model",
						gmm_cov_type_name(opts.cov_type), gmm_cov_type_name(m0->cov_type))));
	if (m0->flags & GMM_FLAG_BAYES)
	{
		if (opts.prior)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("gmm_vb_update option \"prior\" cannot change the prior of a variational fit"),
					 errhint("The statistics' model carries its prior; drop the option.")));
		PG_RETURN_GMM_P(vb_update(s, "gmm_vb_update"));
	}
	if (!(s->sum_w > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm_vb_update: cannot compute a model from gmm_stats without rows")));
	if (opts.prior == NULL)
	{
		memset(&defaults, 0, sizeof(defaults));
		opts.prior = &defaults;
	}
	gmm_vb_prior_check_dimension(opts.prior, m0->cov_type, m0->d, "gmm_vb_update");
	gmm_stats_view(s, &view);
	hdr = palloc(sizeof(double) * gmm_vb_prior_count(m0->cov_type, m0->d));
	gmm_vb_resolve_prior(opts.prior, &view, m0->k, opts.reg_covar, hdr, "gmm_vb_update");
	m = gmm_vb_mstep(&view, m0, hdr);
	m->n_iter = 0;
	m->n_seen = s->sum_w;
	m->log_likelihood = gmm_section(m, GMM_FLAG_BAYES, &n)[GMM_VB_LB] / s->sum_w;
	gmm_validate(m);
	PG_RETURN_GMM_P(m);
}

/* ---------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------
 */

/* The section of argument 0, or NULL for a model that is not variational */
static const double *
section_arg(FunctionCallInfo fcinfo, Gmm **m)
{
	int			n;

	*m = PG_GETARG_GMM_P(0);
	return gmm_section(*m, GMM_FLAG_BAYES, &n);
}

/* Pointers to the posterior arrays of section v of m */
static void
posterior(const Gmm *m, const double *v, const double **wc, const double **beta,
		  const double **nu)
{
	int			k = m->k;

	*wc = v + gmm_vb_prior_count(m->cov_type, m->d);
	*beta = *wc + (v[GMM_VB_TYPE] == GMM_VB_DIRICHLET_PROCESS ? 2 * k : k);
	*nu = *beta + k;
}

PG_FUNCTION_INFO_V1(gmm_lower_bound);
/* gmm_lower_bound(m): the variational lower bound (total over the rows) */
Datum
gmm_lower_bound(PG_FUNCTION_ARGS)
{
	Gmm		   *m;
	const double *v = section_arg(fcinfo, &m);

	if (v == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v[GMM_VB_LB]);
}

PG_FUNCTION_INFO_V1(gmm_prior_type);
/* gmm_prior_type(m): "dirichlet_process" or "dirichlet_distribution" */
Datum
gmm_prior_type(PG_FUNCTION_ARGS)
{
	Gmm		   *m;
	const double *v = section_arg(fcinfo, &m);

	if (v == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(gmm_vb_type_name((int) v[GMM_VB_TYPE])));
}

PG_FUNCTION_INFO_V1(gmm_weight_concentration);
/*
 * gmm_weight_concentration(m): the posterior weight concentration, 2 x k
 * (the Beta parameters of the stick-breaking) for a Dirichlet process, k
 * for a Dirichlet distribution
 */
Datum
gmm_weight_concentration(PG_FUNCTION_ARGS)
{
	Gmm		   *m;
	const double *v = section_arg(fcinfo, &m),
			   *wc,
			   *beta,
			   *nu;
	int			dims[2];

	if (v == NULL)
		PG_RETURN_NULL();
	posterior(m, v, &wc, &beta, &nu);
	if (v[GMM_VB_TYPE] == GMM_VB_DIRICHLET_PROCESS)
	{
		dims[0] = 2, dims[1] = m->k;
		PG_RETURN_ARRAYTYPE_P(gmm_array_nd(wc, 2, dims));
	}
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(wc, m->k));
}

PG_FUNCTION_INFO_V1(gmm_mean_precision);
/* gmm_mean_precision(m): the posterior mean precisions, k */
Datum
gmm_mean_precision(PG_FUNCTION_ARGS)
{
	Gmm		   *m;
	const double *v = section_arg(fcinfo, &m),
			   *wc,
			   *beta,
			   *nu;

	if (v == NULL)
		PG_RETURN_NULL();
	posterior(m, v, &wc, &beta, &nu);
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(beta, m->k));
}

PG_FUNCTION_INFO_V1(gmm_degrees_of_freedom);
/* gmm_degrees_of_freedom(m): the posterior degrees of freedom, k (tied: k copies) */
Datum
gmm_degrees_of_freedom(PG_FUNCTION_ARGS)
{
	Gmm		   *m;
	const double *v = section_arg(fcinfo, &m),
			   *wc,
			   *beta,
			   *nu;

	if (v == NULL)
		PG_RETURN_NULL();
	posterior(m, v, &wc, &beta, &nu);
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(nu, m->k));
}

PG_FUNCTION_INFO_V1(gmm_prior);
/*
 * gmm_prior(m): the prior as a jsonb object with the keys of option
 * "prior", every default resolved, plus "reg_covar"
 */
Datum
gmm_prior(PG_FUNCTION_ARGS)
{
	Gmm		   *m;
	const double *v = section_arg(fcinfo, &m);
	StringInfoData buf;

	if (v == NULL)
		PG_RETURN_NULL();
	initStringInfo(&buf);
	gmm_vb_prior_append(&buf, m, true);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* ---------------------------------------------------------------------
 * Effective components and pruning
 * ---------------------------------------------------------------------
 */

/* Error unless 0 <= threshold < 1 */
static void
check_threshold(double t, const char *caller)
{
	if (!(t >= 0.0 && t < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: threshold %g is not in [0, 1)", caller, t),
				 errhint("A component counts when its weight is above the threshold, e.g. 0.01.")));
}

PG_FUNCTION_INFO_V1(gmm_effective_components);
/* gmm_effective_components(m, threshold): components with weight above threshold */
Datum
gmm_effective_components(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	double		t = PG_GETARG_FLOAT8(1);
	int			n = 0;

	check_threshold(t, "gmm_effective_components");
	for (int j = 0; j < m->k; j++)
		n += GMM_WEIGHTS(m)[j] > t;
	PG_RETURN_INT32(n);
}

PG_FUNCTION_INFO_V1(gmm_prune);
/*
 * gmm_prune(m, threshold): the mixture of the components with weight above
 * threshold, weights renormalised, without fit metadata
 */
Datum
gmm_prune(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	double		t = PG_GETARG_FLOAT8(1);
	int			k = m->k,
				d = m->d,
				kk = 0;
	Size		per = gmm_cov_count(m->cov_type, 1, d);
	Gmm		   *p;
	double		tot = 0.0;

	check_threshold(t, "gmm_prune");
	for (int j = 0; j < k; j++)
		kk += GMM_WEIGHTS(m)[j] > t;
	if (kk == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gmm_prune: no component has a weight above %g", t),
				 errhint("Lower the threshold.")));
	p = gmm_alloc(m->cov_type, kk, d);
	for (int j = 0, o = 0; j < k; j++)
	{
		if (!(GMM_WEIGHTS(m)[j] > t))
			continue;
		GMM_WEIGHTS(p)[o] = GMM_WEIGHTS(m)[j];
		tot += GMM_WEIGHTS(m)[j];
		memcpy(GMM_MEANS(p) + (Size) o * d, GMM_MEANS(m) + (Size) j * d, sizeof(double) * d);
		if (m->cov_type != GMM_COV_TIED)
			memcpy(GMM_COVS(p) + (Size) o * per, GMM_COVS(m) + (Size) j * per,
				   sizeof(double) * per);
		o++;
	}
	if (m->cov_type == GMM_COV_TIED)
		memcpy(GMM_COVS(p), GMM_COVS(m), sizeof(double) * d * d);
	for (int j = 0; j < kk; j++)
		GMM_WEIGHTS(p)[j] /= tot;
	gmm_canonicalize(p);
	gmm_validate(p);
	PG_RETURN_GMM_P(p);
}
