/*
 * train.c
 *	  gmm_train: EM over a table, view or query of any size.  The initial
 *	  model comes from a bounded reservoir sample of the rows (k-means++ and
 *	  friends from init.c) or is given; then every iteration is one SPI query
 *	  "SELECT gmm_stats_agg($1, x) FROM source", which PostgreSQL may run as
 *	  a parallel aggregate or push down to foreign servers, followed by the
 *	  M-step here.  Memory is bounded by the sample and the model, never by
 *	  the number of rows.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

#include "emfit.h"
#include "init.h"
#include "linalg.h"
#include "options.h"
#include "stats.h"

#define TRAIN_DEFAULT_SAMPLE_SIZE	10000
#define TRAIN_MAX_SAMPLE_SIZE		10000000
/* rows fetched per round trip while sampling */
#define TRAIN_FETCH_ROWS			1000

/* Everything one call of gmm_train works with */
typedef struct Train
{
	GmmFitOptions opts;
	int			sample_size;
	char	   *weight_column;	/* NULL: unweighted */
	const char *caller;
	char	   *column;			/* as given, for messages */

	char	   *probe_sql;		/* SELECT x[, w] FROM source LIMIT 0 */
	char	   *sample_sql;		/* SELECT x::float8[][, w::float8] FROM source */
	char	   *stats_sql;		/* SELECT gmm_stats_agg($1, x::float8[][, w::float8])
								 * FROM source */
	Oid			gmm_type;
	SPIPlanPtr	stats_plan;		/* prepared at first use */

	pg_prng_state rng;			/* sampling and initialisation */
	MemoryContext keep_cxt;		/* lives as long as the call: the sample */

	/* the reservoir sample, once drawn */
	bool		have_sample;
	GmmRows		sample;
	int64		rows_seen;		/* non-NULL rows of positive weight */
} Train;

/* Hook for the options only gmm_train has */
static bool
train_option(const char *key, const JsonbValue *v, void *arg)
{
	Train	   *t = (Train *) arg;

	if (strcmp(key, "sample_size") == 0)
		t->sample_size = gmm_option_int(t->caller, key, v, 1, TRAIN_MAX_SAMPLE_SIZE);
	else if (strcmp(key, "weight_column") == 0)
		t->weight_column = gmm_option_string(t->caller, key, v);
	else
		return false;
	return true;
}

/* Does the source text look like a query rather than a relation name? */
static bool
looks_like_query(const char *s)
{
	static const char *const starts[] = {"select", "with", "values", "table"};

	while (*s && (isspace((unsigned char) *s) || *s == '('))
		s++;
	for (int i = 0; i < (int) lengthof(starts); i++)
	{
		size_t		n = strlen(starts[i]);

		if (pg_strncasecmp(s, starts[i], n) == 0 &&
			!(isalnum((unsigned char) s[n]) || s[n] == '_' || s[n] == '$'))
			return true;
	}
	return false;
}

/* The FROM item for a relation, schema-qualified and quoted */
static char *
relation_from_item(Oid relid)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  relname);
}

/*
 * The FROM item of the source argument: a regclass, or a text that is
 * either a query (wrapped as a subquery) or a relation name.
 */
static char *
source_from_item(FunctionCallInfo fcinfo)
{
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);
	char	   *src;

	if (argtype == REGCLASSOID || argtype == OIDOID)
		return relation_from_item(PG_GETARG_OID(0));
	src = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (looks_like_query(src))
		return psprintf("(%s) AS gmm_train_source", src);
	return relation_from_item(RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(src)),
											   AccessShareLock, false));
}

/* Build the two queries of a training run */
static void
build_queries(Train *t, FunctionCallInfo fcinfo)
{
	Oid			fn = fcinfo->flinfo->fn_oid;
	const char *nsp = quote_identifier(get_namespace_name(get_func_namespace(fn)));
	char	   *from = source_from_item(fcinfo);
	const char *x = quote_identifier(t->column);
	const char *w = t->weight_column
		? psprintf(", (%s)::float8", quote_identifier(t->weight_column)) : "";

	t->gmm_type = get_func_rettype(fn);
	/* the columns' own types, for the probe */
	t->probe_sql = psprintf("SELECT %s%s FROM %s LIMIT 0", x,
							t->weight_column ? psprintf(", %s", quote_identifier(t->weight_column)) : "",
							from);
	t->sample_sql = psprintf("SELECT (%s)::float8[]%s FROM %s", x, w, from);
	t->stats_sql = psprintf("SELECT %s.gmm_stats_agg($1, (%s)::float8[]%s) FROM %s", nsp, x, w, from);
}

/*
 * Prepare sql, which must be one SELECT (the queries run read-only, so a
 * data-modifying one fails when it runs).
 */
static SPIPlanPtr
prepare_query(Train *t, const char *sql, int nargs, Oid *argtypes, int options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, options);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (list_length(SPI_plan_get_plan_sources(plan)) != 1 || !SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s source must be a single SELECT query or a relation name", t->caller)));
	return plan;
}

/* Error unless the point column is an array of numbers (float8[], real[], ...) */
static void
check_column_types(Train *t, TupleDesc desc)
{
	Oid			xt = SPI_gettypeid(desc, 1);
	Oid			elem = get_element_type(xt);
	char		category = 0;
	bool		preferred;

	if (OidIsValid(elem))
		get_type_category_preferred(elem, &category, &preferred);
	if (category != TYPCATEGORY_NUMERIC)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s: column \"%s\" is of type %s, not an array of numbers such as float8[]",
						t->caller, t->column, format_type_be(xt)),
				 errhint("Pass a query as the source that casts the column, e.g. SELECT embedding::real[] AS x FROM items.")));
}

/*
 * Check the source once before any pass over it: it must plan as a single
 * SELECT with a point column of numbers (cast to float8[]) and a numeric
 * weight column.
 */
static void
probe_source(Train *t)
{
	SPIPlanPtr	plan = prepare_query(t, t->probe_sql, 0, NULL, 0);
	char		category;
	bool		preferred;

	if (SPI_execute_plan(plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "%s: could not read the source", t->caller);
	check_column_types(t, SPI_tuptable->tupdesc);
	if (t->weight_column)
	{
		get_type_category_preferred(SPI_gettypeid(SPI_tuptable->tupdesc, 2),
									&category, &preferred);
		if (category != TYPCATEGORY_NUMERIC)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: weight column \"%s\" is of type %s, not a number",
							t->caller, t->weight_column,
							format_type_be(SPI_gettypeid(SPI_tuptable->tupdesc, 2)))));
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_freeplan(plan);
}

/* Error unless a weight is finite and non-negative */
static void
check_weight(Train *t, double w)
{
	if (!(w >= 0.0) || isinf(w))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: row weight %g in column \"%s\" is not a finite non-negative number",
						t->caller, w, t->weight_column)));
}

/*
 * One pass over the source drawing a uniform reservoir sample of at most
 * sample_size rows (NULL points, NULL weights and zero weights skipped),
 * with the rows' own weights kept.  Sets the dimension from the first row.
 */
static void
draw_sample(Train *t, pg_prng_state *rng, MemoryContext keep)
{
	/* not parallel: a cursor runs without workers, and order matters here */
	SPIPlanPtr	plan = prepare_query(t, t->sample_sql, 0, NULL, 0);
	Portal		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	int			d = -1;
	int64		seen = 0;
	double	   *X = NULL,
			   *W = NULL,
			   *row = NULL;
	MemoryContext old;

	for (;;)
	{
		SPI_cursor_fetch(portal, true, TRAIN_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		isnull;
			Datum		xd = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
			double		w = 1.0;
			int64		slot;

			if (isnull)
				continue;
			if (t->weight_column)
			{
				Datum		wd = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

				if (isnull)
					continue;
				w = DatumGetFloat8(wd);
				check_weight(t, w);
				if (w == 0.0)
					continue;
			}
			if (d < 0)
			{
				d = gmm_point_length(DatumGetArrayTypeP(xd));
				gmm_check_shape(1, d);
				old = MemoryContextSwitchTo(keep);
				X = palloc(mul_size(mul_size(t->sample_size, d), sizeof(double)));
				W = t->weight_column ? palloc(sizeof(double) * t->sample_size) : NULL;
				row = palloc(sizeof(double) * d);
				MemoryContextSwitchTo(old);
			}
			if (gmm_point_length(DatumGetArrayTypeP(xd)) != d)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("%s: column \"%s\" holds points of dimension %d and of dimension %d",
								t->caller, t->column, d, gmm_point_length(DatumGetArrayTypeP(xd))),
						 errhint("Every point must have the same number of elements.")));
			gmm_point_read(DatumGetArrayTypeP(xd), d, row);
			/* reservoir: row number "seen" replaces a random slot, or none */
			slot = (seen < t->sample_size) ? seen
				: (int64) pg_prng_uint64_range(rng, 0, (uint64) seen);
			seen++;
			if (slot < t->sample_size)
			{
				memcpy(X + (Size) slot * d, row, sizeof(double) * d);
				if (W)
					W[slot] = w;
			}
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);

	if (seen == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the source has no rows to fit", t->caller),
				 errdetail("Rows whose point is NULL, or whose weight is NULL or 0, are skipped.")));
	t->sample.X = X;
	t->sample.w = W;
	t->sample.n = Min(seen, (int64) t->sample_size);
	t->sample.d = d;
	t->sample.sum_w = 0.0;
	for (int64 r = 0; r < t->sample.n; r++)
		t->sample.sum_w += gmm_row_weight(&t->sample, r);
	t->rows_seen = seen;
	t->have_sample = true;
}

/*
 * 0 when every parameter of m is finite and every covariance positive
 * definite, else the 1-based number of the first bad component.
 */
static int
bad_component(const Gmm *m)
{
	int			k = m->k,
				d = m->d;
	int			nmat = m->cov_type == GMM_COV_FULL ? k : m->cov_type == GMM_COV_TIED ? 1 : 0;
	Size		nc = gmm_cov_count(m->cov_type, k, d);
	const double *c = GMM_COVS(m);
	double	   *work;

	for (int j = 0; j < k; j++)
	{
		if (!isfinite(GMM_WEIGHTS(m)[j]))
			return j + 1;
		for (int i = 0; i < d; i++)
			if (!isfinite(GMM_MEANS(m)[(Size) j * d + i]))
				return j + 1;
	}
	for (Size i = 0; i < nc; i++)
		if (!isfinite(c[i]) || (nmat == 0 && !(c[i] > 0.0)))
			return (m->cov_type == GMM_COV_DIAG) ? (int) (i / d) + 1 :
				(m->cov_type == GMM_COV_SPHERICAL) ? (int) i + 1 : 1;
	work = palloc(sizeof(double) * d * d);
	for (int j = 0; j < nmat; j++)
	{
		memcpy(work, c + (Size) j * d * d, sizeof(double) * d * d);
		if (gmm_cholesky(work, d) != 0)
			return j + 1;
	}
	pfree(work);
	return 0;
}

/* The statistics of all rows under m: one run of the aggregate query */
static GmmStats *
collect_stats(Train *t, const Gmm *m, MemoryContext into)
{
	Datum		arg = PointerGetDatum(m);
	bool		isnull;
	Datum		d;
	GmmStats   *s;
	MemoryContext old;
	int			rc;

	if (t->stats_plan == NULL)
	{
		/* SPI keeps the plan until SPI_finish */
		t->stats_plan = prepare_query(t, t->stats_sql, 1, &t->gmm_type,
									  CURSOR_OPT_PARALLEL_OK);
	}
	rc = SPI_execute_plan(t->stats_plan, &arg, NULL, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "%s: statistics query returned %d with " UINT64_FORMAT " rows",
			 t->caller, rc, SPI_processed);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the source has no rows to fit", t->caller),
				 errdetail("Rows whose point is NULL, or whose weight is NULL or 0, are skipped.")));
	old = MemoryContextSwitchTo(into);
	s = gmm_stats_copy(DatumGetGmmStatsP(d));
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
	return s;
}

/*
 * Component j lost its mass: as gmm_fit does, move its mean to the row the
 * model explains worst (here: of the sample), give it the weight 1/k (before
 * the weights are normalised again) and the mean covariance of the
 * components that kept their mass (live[i]).
 */
static void
reseed_component(Train *t, Gmm *m, int j, const bool *live, MemoryContext cxt)
{
	int			k = m->k,
				d = m->d;
	GmmPrepared *p = gmm_prepare(m, cxt);
	double	   *lp = MemoryContextAlloc(cxt, sizeof(double) * k);
	double		worst = INFINITY,
				wsum = 0.0;
	int64		wr = 0;
	double	   *wt = GMM_WEIGHTS(m);
	int			nlive = 0;

	for (int64 r = 0; r < t->sample.n; r++)
	{
		double		ll = gmm_point_logpdf(p, t->sample.X + (Size) r * d, lp);

		if (ll < worst)
			worst = ll, wr = r;
	}
	memcpy(GMM_MEANS(m) + (Size) j * d, t->sample.X + (Size) wr * d, sizeof(double) * d);
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
					for (Size c = 0; c < per; c++)
						cj[c] += GMM_COVS(m)[i * per + c] / nlive;
		}
	}
	wt[j] = 1.0 / k;
	for (int i = 0; i < k; i++)
		wsum += wt[i];
	for (int i = 0; i < k; i++)
		wt[i] /= wsum;
}

/* How an EM run ended */
typedef enum RunStatus
{
	RUN_OK,
	RUN_SINGULAR,				/* a covariance is not positive definite */
	RUN_NONFINITE				/* the log-likelihood is not finite */
} RunStatus;

/*
 * One EM run from m (updated in place to the final model, with fit
 * metadata): iterate until the mean log-likelihood per row changes by less
 * than tol or max_iter iterations have run, exactly as gmm_fit does, then
 * one more pass for the log-likelihood of the final model.  *bad receives
 * the failing component of a singular run.
 */
static RunStatus
em_run(Train *t, Gmm *m, int init_no, int *bad, MemoryContext iter_cxt)
{
	const GmmFitOptions *opts = &t->opts;
	double		ll_prev = -INFINITY,
				ll = -INFINITY;
	bool		converged = false;
	int			n_iter = 0;
	GmmStats   *s;
	MemoryContext old;

	for (int iter = 1; iter <= opts->max_iter; iter++)
	{
		GmmSuff		view;
		Gmm		   *next;
		int			n_empty;
		bool		reseeded = false;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(iter_cxt);
		old = MemoryContextSwitchTo(iter_cxt);
		s = collect_stats(t, m, iter_cxt);
		ll = s->sum_ll / s->sum_w;
		if (!isfinite(ll))
		{
			MemoryContextSwitchTo(old);
			return RUN_NONFINITE;
		}
		gmm_stats_view(s, &view);
		next = gmm_mstep(&view, m, opts->reg_covar, &n_empty);
		if ((*bad = bad_component(next)) != 0)
		{
			MemoryContextSwitchTo(old);
			return RUN_SINGULAR;
		}
		memcpy(m, next, VARSIZE(next));
		n_iter = iter;

		if (n_empty > 0)
		{
			double		total = 0.0,
						nk_min;
			bool	   *live = palloc(sizeof(bool) * m->k);

			if (!t->have_sample)
				draw_sample(t, &t->rng, t->keep_cxt);
			/* the same threshold as gmm_mstep */
			for (int j = 0; j < m->k; j++)
				total += view.nk[j];
			nk_min = 10.0 * DBL_EPSILON * Max(total, 1.0);
			for (int j = 0; j < m->k; j++)
				live[j] = (view.nk[j] >= nk_min);
			for (int j = 0; j < m->k; j++)
				if (!live[j])
				{
					reseed_component(t, m, j, live, iter_cxt);
					reseeded = true;
					if (opts->verbose)
						ereport(NOTICE,
								(errmsg("%s: k=%d, init %d, iteration %d: component %d lost all its weight and was re-seeded at the worst-fitted sample row",
										t->caller, m->k, init_no, iter, j + 1)));
				}
		}
		MemoryContextSwitchTo(old);

		if (opts->verbose)
		{
			if (iter == 1)
				ereport(NOTICE,
						(errmsg("%s: k=%d, init %d, iteration %d: mean log-likelihood %.6f",
								t->caller, m->k, init_no, iter, ll)));
			else
				ereport(NOTICE,
						(errmsg("%s: k=%d, init %d, iteration %d: mean log-likelihood %.6f, change %.3g",
								t->caller, m->k, init_no, iter, ll, ll - ll_prev)));
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
	s = collect_stats(t, m, iter_cxt);
	ll = s->sum_ll / s->sum_w;
	if (!isfinite(ll))
		return RUN_NONFINITE;
	gmm_canonicalize(m);
	m->flags = GMM_FLAG_FITTED | (converged ? GMM_FLAG_CONVERGED : 0);
	m->n_iter = n_iter;
	m->n_seen = s->sum_w;
	m->log_likelihood = ll;
	if (opts->verbose)
		ereport(NOTICE,
				(errmsg("%s: k=%d, init %d: %s after %d iterations, mean log-likelihood %.6f",
						t->caller, m->k, init_no, converged ? "converged" : "did not converge",
						n_iter, ll)));
	return RUN_OK;
}

/* Describe a failed run */
static const char *
failure_text(RunStatus st)
{
	return st == RUN_SINGULAR ? "a covariance became singular" :
		"the log-likelihood became infinite";
}

/*
 * Fit k components (or refine "start"): n_init runs from fresh
 * initialisations on the sample, each attempted up to max_tries times when
 * a covariance turns singular; the run with the best final log-likelihood
 * wins.  Returns the model in CurrentMemoryContext, or NULL when every
 * attempt failed (*fail, *fail_bad and *fail_tries say how).
 */
static Gmm *
train_k(Train *t, int k, const Gmm *start, RunStatus *fail, int *fail_bad,
		int *fail_tries)
{
	const GmmFitOptions *opts = &t->opts;
	bool		given = (start != NULL || opts->init == GMM_INIT_GIVEN);
	int			n_runs = given ? 1 : opts->n_init;
	int			max_tries = given ? 1 : opts->max_tries;
	MemoryContext run_cxt,
				iter_cxt,
				old;
	Gmm		   *best = NULL;

	/* the same seed for every k: a k in a range fits as it would alone */
	pg_prng_seed(&t->rng, (uint64) opts->seed);
	run_cxt = AllocSetContextCreate(CurrentMemoryContext, "gmm_train run",
									ALLOCSET_DEFAULT_SIZES);
	iter_cxt = AllocSetContextCreate(CurrentMemoryContext, "gmm_train iteration",
									 ALLOCSET_DEFAULT_SIZES);
	for (int run = 1; run <= n_runs; run++)
	{
		for (int attempt = 1; attempt <= max_tries; attempt++)
		{
			Gmm		   *m;
			RunStatus	st;
			int			bad;

			MemoryContextReset(run_cxt);
			old = MemoryContextSwitchTo(run_cxt);
			if (start != NULL)
			{
				m = palloc(VARSIZE(start));
				memcpy(m, start, VARSIZE(start));
			}
			else
				m = gmm_init_model(&t->sample, k, opts, &t->rng);
			bad = bad_component(m);
			st = bad ? RUN_SINGULAR : em_run(t, m, run, &bad, iter_cxt);
			MemoryContextSwitchTo(old);
			if (st == RUN_OK)
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
			*fail = st;
			*fail_bad = bad;
			*fail_tries = attempt;
			if (opts->verbose)
				ereport(NOTICE,
						(errmsg("%s: k=%d, init %d, try %d failed: %s%s", t->caller, k, run,
								attempt, failure_text(st),
								attempt < max_tries ? "; retrying from a fresh initialisation" : "")));
		}
	}
	MemoryContextDelete(iter_cxt);
	MemoryContextDelete(run_cxt);
	return best;
}

/*
 * Fit every k of the options' range (a single k, or k to "k_max" keeping
 * the best by BIC or AIC), or refine "start".  Returns a validated model in
 * CurrentMemoryContext.
 */
static Gmm *
train(Train *t, const Gmm *start)
{
	const GmmFitOptions *opts = &t->opts;
	int			k_min = opts->k_min,
				k_max = opts->k_max;
	Gmm		   *best = NULL;
	double		best_crit = INFINITY;
	RunStatus	fail = RUN_OK;
	int			fail_k = k_min,
				fail_bad = 0,
				fail_tries = 0;

	if (start == NULL)
	{
		int64		distinct;

		draw_sample(t, &t->rng, t->keep_cxt);
		gmm_fit_options_check_dimension(opts, t->sample.d, t->caller);
		distinct = gmm_count_distinct_rows(&t->sample, k_max);
		if (distinct < k_min)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: fewer distinct rows (" INT64_FORMAT ") than components (%d) in the sample",
							t->caller, distinct, k_min),
					 errdetail("The sample holds " INT64_FORMAT " of the " INT64_FORMAT " rows of the source.",
							   t->sample.n, t->rows_seen),
					 errhint("Use fewer components, or a larger \"sample_size\" if the source has more distinct rows.")));
		if (distinct < k_max)
		{
			if (opts->verbose)
				ereport(NOTICE,
						(errmsg("%s: only " INT64_FORMAT " distinct rows in the sample: fitting k from %d to " INT64_FORMAT,
								t->caller, distinct, k_min, distinct)));
			k_max = (int) distinct;
		}
	}

	for (int k = k_min; k <= k_max; k++)
	{
		RunStatus	f = RUN_OK;
		int			f_bad = 0,
					f_tries = 0;
		Gmm		   *m = train_k(t, k, start, &f, &f_bad, &f_tries);
		double		crit;

		if (m == NULL)
		{
			fail = f, fail_k = k, fail_bad = f_bad, fail_tries = f_tries;
			if (k_min != k_max && opts->verbose)
				ereport(NOTICE,
						(errmsg("%s: k=%d skipped: %s", t->caller, k, failure_text(f))));
			continue;
		}
		crit = gmm_fit_criterion(m, opts->criterion);
		if (k_min != k_max && opts->verbose)
			ereport(NOTICE,
					(errmsg("%s: k=%d: mean log-likelihood %.6f, %s %.6f",
							t->caller, k, m->log_likelihood,
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

	if (best == NULL && fail == RUN_SINGULAR)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the covariance of component %d of %d became singular",
						t->caller, fail_bad, fail_k),
				 (start != NULL || opts->init == GMM_INIT_GIVEN) ?
				 errdetail("The fit started from the given parameters.") :
				 errdetail("All %d attempts from fresh initialisations failed.", fail_tries),
				 errhint("Increase \"reg_covar\" (now %g), use fewer components, or a covariance_type with fewer parameters such as \"diag\".",
						 opts->reg_covar)));
	if (best == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the log-likelihood of the fit with %d components is not finite",
						t->caller, fail_k),
				 errhint("Scale the data to moderate values, or increase \"reg_covar\" (now %g).",
						 opts->reg_covar)));
	gmm_validate(best);
	return best;
}

/* Set up a training run from the SQL arguments and the parsed options */
static void
train_init(Train *t, FunctionCallInfo fcinfo)
{
	Jsonb	   *jb = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);

	memset(t, 0, sizeof(Train));
	t->caller = "gmm_train";
	t->sample_size = TRAIN_DEFAULT_SAMPLE_SIZE;
	t->column = text_to_cstring(PG_GETARG_TEXT_PP(1));
	gmm_fit_options_init(&t->opts);
	gmm_fit_options_parse(jb, &t->opts, t->caller, train_option, t,
						  "sample_size, weight_column");
	pg_prng_seed(&t->rng, (uint64) t->opts.seed);
}

/* Connect to SPI, train, and return the model in the caller's context */
static Datum
train_and_return(Train *t, FunctionCallInfo fcinfo, const Gmm *start)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	Gmm		   *m,
			   *result;

	build_queries(t, fcinfo);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	t->keep_cxt = CurrentMemoryContext;
	probe_source(t);
	m = train(t, start);
	result = MemoryContextAlloc(caller_cxt, VARSIZE(m));
	memcpy(result, m, VARSIZE(m));
	SPI_finish();
	PG_RETURN_GMM_P(result);
}

PG_FUNCTION_INFO_V1(gmm_train_k);
/* gmm_train(source text | regclass, column text, k int [, options jsonb]) */
Datum
gmm_train_k(PG_FUNCTION_ARGS)
{
	Train		t;
	int			k;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	k = PG_GETARG_INT32(2);
	train_init(&t, fcinfo);
	gmm_fit_options_set_k(&t.opts, k, t.caller);
	return train_and_return(&t, fcinfo, NULL);
}

/* Does the jsonb object have this key? */
static bool
has_key(Jsonb *jb, const char *key)
{
	return jb != NULL &&
		getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL) != NULL;
}

PG_FUNCTION_INFO_V1(gmm_train_from_model);
/* gmm_train(source text | regclass, column text, m gmm [, options jsonb]) */
Datum
gmm_train_from_model(PG_FUNCTION_ARGS)
{
	static const char *const init_keys[] = {"init", "means", "weights", "covariances", "n_init", "k_max"};
	Train		t;
	Gmm		   *start;
	Jsonb	   *jb;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	start = PG_GETARG_GMM_P(2);
	train_init(&t, fcinfo);
	jb = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	for (int i = 0; i < (int) lengthof(init_keys); i++)
		if (has_key(jb, init_keys[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: option \"%s\" cannot be combined with a start model", t.caller, init_keys[i]),
					 errhint("The start model fixes the initial parameters; drop the option, or pass k instead of a model.")));
	if (has_key(jb, "covariance_type") && t.opts.cov_type != start->cov_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: option \"covariance_type\" is \"%s\" but the start model's is \"%s\"",
						t.caller, gmm_cov_type_name(t.opts.cov_type), gmm_cov_type_name(start->cov_type))));
	t.opts.cov_type = start->cov_type;
	gmm_fit_options_set_k(&t.opts, start->k, t.caller);
	return train_and_return(&t, fcinfo, start);
}
