/*
 * train.c
 *	  gmm_train: EM over a table, view or query of any size.  The initial
 *	  model comes from a bounded reservoir sample of the rows (k-means++ and
 *	  friends from kernel/init.c) or is given; then every iteration is one SPI query
 *	  "SELECT gmm_stats_agg($1, x) FROM source", which PostgreSQL may run as
 *	  a parallel aggregate or push down to foreign servers, followed by the
 *	  M-step: this file is the data source of the EM driver in kernel/driver.c.
 *	  Memory is bounded by the sample and the model, never by the number of
 *	  rows.
 */
#include "postgres.h"

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
#include "utils/varlena.h"

#include "fit_warning.h"
#include "kernel/driver.h"
#include "kernel/init.h"
#include "kernel/vb.h"
#include "observed.h"
#include "options.h"
#include "stats_type.h"

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
								 * FROM source, every name schema-qualified */
	Oid			gmm_type;
	SPIPlanPtr	stats_plan;		/* prepared at first use */

	pg_prng_state rng;			/* sampling and initialisation */
	MemoryContext keep_cxt;		/* lives as long as the call: the sample */

	/* "missing": "marginalize": what the sampling pass counted */
	int64		rows_skipped;	/* every value missing */
	int64		values_missing; /* in the rows used */

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
	List	   *names;

	if (argtype == REGCLASSOID || argtype == OIDOID)
		return relation_from_item(PG_GETARG_OID(0));
	src = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (looks_like_query(src))
		return psprintf("(%s) AS gmm_train_source", src);
	if (!SplitIdentifierString(pstrdup(src), '.', &names) || names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gmm_train source \"%s\" is neither a SELECT query nor a relation name",
						src),
				 errdetail("A source must be a query starting with SELECT, WITH, VALUES or TABLE, or the name of a table, view or materialized view."),
				 errhint("To train on the rows a statement changes, run it first, or pass a SELECT over them.")));
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
		? psprintf(", (%s)::pg_catalog.float8", quote_identifier(t->weight_column)) : "";

	t->gmm_type = get_func_rettype(fn);
	/* the columns' own types, for the probe */
	t->probe_sql = psprintf("SELECT %s%s FROM %s LIMIT 0", x,
							t->weight_column ? psprintf(", %s", quote_identifier(t->weight_column)) : "",
							from);
	/* every type and function qualified: the session's search_path is the user's */
	t->sample_sql = psprintf("SELECT (%s)::pg_catalog.float8[]%s FROM %s", x, w, from);
	t->stats_sql = psprintf("SELECT %s.gmm_stats_agg($1, (%s)::pg_catalog.float8[]%s%s) FROM %s",
							nsp, x,
							t->opts.missing != GMM_MISSING_MARGINALIZE ? w :
							*w ? w : ", 1::pg_catalog.float8",
							t->opts.missing == GMM_MISSING_MARGINALIZE ?
							", '{\"missing\": \"marginalize\"}'::pg_catalog.jsonb" : "",
							from);
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

/*
 * Make room in the sample for row number "need" (0-based): the buffers grow
 * geometrically up to sample_size rows, as huge allocations in "keep",
 * within gmm.fit_memory_limit
 */
static void
grow_sample(Train *t, int64 need, int64 *cap, double **X, double **W,
			MemoryContext keep)
{
	int			d = t->sample.d;
	Size		per_row = gmm_fit_row_bytes(d, t->weight_column != NULL);
	int64		limit = gmm_fit_memory_limit_rows(per_row);
	int64		ncap;

	if (need >= limit)
		gmm_fit_memory_limit_error(t->caller, need, d, per_row,
								   "Lower the option \"sample_size\", or raise the limit, e.g. SET gmm.fit_memory_limit = '4GB'.");
	ncap = Min(Max(*cap * 2, TRAIN_FETCH_ROWS), (int64) t->sample_size);
	ncap = Min(ncap, limit);
	if (*X == NULL)
	{
		*X = MemoryContextAllocHuge(keep, mul_size(mul_size(sizeof(double), d), ncap));
		if (t->weight_column)
			*W = MemoryContextAllocHuge(keep, mul_size(sizeof(double), ncap));
	}
	else
	{
		*X = repalloc_huge(*X, mul_size(mul_size(sizeof(double), d), ncap));
		if (t->weight_column)
			*W = repalloc_huge(*W, mul_size(sizeof(double), ncap));
	}
	*cap = ncap;
}

/*
 * "missing": "marginalize": the sample serves only initialisation and
 * re-seeding (EM runs on the observed values through the statistics
 * query), so each missing value in it is replaced by the weighted mean of
 * its dimension in the sample, as gmm_fit does (kernel/missing_fit.c)
 */
static void
fill_sample(GmmRows *rows)
{
	int			d = rows->d;
	double	   *X = (double *) rows->X;
	double	   *sum = palloc0(sizeof(double) * d);
	double	   *wsum = palloc0(sizeof(double) * d);

	for (int64 r = 0; r < rows->n; r++)
		for (int i = 0; i < d; i++)
			if (!isnan(X[(Size) r * d + i]))
			{
				sum[i] += gmm_row_weight(rows, r) * X[(Size) r * d + i];
				wsum[i] += gmm_row_weight(rows, r);
			}
	for (int i = 0; i < d; i++)
	{
		sum[i] = (wsum[i] > 0.0) ? sum[i] / wsum[i] : 0.0;
		if (sum[i] == 0.0)
			sum[i] = 0.0;
	}
	for (Size t = 0; t < (Size) rows->n * d; t++)
		if (isnan(X[t]))
			X[t] = sum[t % d];
	pfree(sum);
	pfree(wsum);
}

/*
 * One pass over the source drawing a uniform reservoir sample of at most
 * sample_size rows (NULL points, NULL weights and zero weights skipped),
 * with the rows' own weights kept and -0.0 read as 0.0, as gmm_fit does.
 * Sets the dimension from the first row.  Every row is detoasted once, in
 * a context reset after each batch of fetched rows, so that the memory
 * used is that of the sample, whatever the number of rows.
 */
static void
draw_sample(Train *t, pg_prng_state *rng, MemoryContext keep)
{
	/* not parallel: a cursor runs without workers, and order matters here */
	SPIPlanPtr	plan = prepare_query(t, t->sample_sql, 0, NULL, 0);
	Portal		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"gmm_train sample batch",
													ALLOCSET_DEFAULT_SIZES);
	int			d = -1;
	int64		seen = 0,
				cap = 0;
	double	   *X = NULL,
			   *W = NULL,
			   *row = NULL;
	MemoryContext old;

	for (;;)
	{
		SPI_cursor_fetch(portal, true, TRAIN_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(batch_cxt);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		isnull;
			Datum		xd = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
			double		w = 1.0;
			int64		slot;
			ArrayType  *a;
			int			n;

			if (isnull)
				continue;
			if (t->weight_column)
			{
				Datum		wd = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

				if (isnull)
					continue;
				w = DatumGetFloat8(wd);
				gmm_check_row_weight(w, t->caller, 0);
				if (w == 0.0)
					continue;
			}
			a = DatumGetArrayTypeP(xd);
			n = (t->opts.missing == GMM_MISSING_MARGINALIZE) ?
				gmm_point_length_missing(a) : gmm_point_length(a);
			if (d < 0)
			{
				gmm_check_shape(1, n);
				d = t->sample.d = n;
				row = MemoryContextAlloc(keep, sizeof(double) * d);
			}
			else if (n != d)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("%s: column \"%s\" holds points of dimension %d and of dimension %d",
								t->caller, t->column, d, n),
						 errhint("Every point must have the same number of elements.")));
			if (t->opts.missing == GMM_MISSING_MARGINALIZE)
			{
				int			nmiss = gmm_point_read_missing(a, d, row);

				if (nmiss == d)
				{
					t->rows_skipped++;
					continue;
				}
				t->values_missing += nmiss;
			}
			else
				gmm_point_read(a, d, row);
			gmm_row_canonical_zeros(row, d);
			/* reservoir: row number "seen" replaces a random slot, or none */
			slot = (seen < t->sample_size) ? seen
				: (int64) pg_prng_uint64_range(rng, 0, (uint64) seen);
			seen++;
			if (slot < t->sample_size)
			{
				if (slot >= cap)
					grow_sample(t, slot, &cap, &X, &W, keep);
				memcpy(X + (Size) slot * d, row, sizeof(double) * d);
				if (W)
					W[slot] = w;
			}
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(SPI_tuptable);
		MemoryContextReset(batch_cxt);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	MemoryContextDelete(batch_cxt);

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
	if (t->opts.missing == GMM_MISSING_MARGINALIZE)
		fill_sample(&t->sample);
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
	/* with "missing": "marginalize", all-missing rows give statistics without rows */
	if (isnull || !(DatumGetGmmStatsP(d)->sum_w > 0.0))
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

/* The E-step of the EM driver: one run of the aggregate query */
static GmmSuff *
train_estep(void *arg, const Gmm *m)
{
	GmmSuff    *view = palloc(sizeof(GmmSuff));

	gmm_stats_view(collect_stats((Train *) arg, m, CurrentMemoryContext), view);
	return view;
}

/* The rows for initialisation and re-seeding: the sample, drawn at first use */
static const GmmRows *
train_rows(void *arg)
{
	Train	   *t = (Train *) arg;

	if (!t->have_sample)
		draw_sample(t, &t->rng, t->keep_cxt);
	return &t->sample;
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
	GmmEmSource src = {train_estep, train_rows, t, "sample row", NULL};
	int			k_max = opts->k_max;
	Gmm		   *m;

	if (start == NULL)
	{
		draw_sample(t, &t->rng, t->keep_cxt);
		gmm_fit_options_check_dimension(opts, t->sample.d, t->caller);
		k_max = gmm_k_max_for_rows(&t->sample, opts, t->caller, t->rows_seen);
	}
	if (start != NULL && opts->missing == GMM_MISSING_MARGINALIZE)
	{
		if (start->flags & GMM_FLAG_BAYES)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s: option \"missing\": \"marginalize\" cannot refine a variational model", t->caller),
					 errhint("Start from a model fitted by EM, or pass k.")));
		draw_sample(t, &t->rng, t->keep_cxt);	/* counts the rows */
	}
	if (start && opts->prior && !(start->flags & GMM_FLAG_BAYES))
		gmm_vb_prior_check_dimension(opts->prior, start->cov_type, start->d, t->caller);
	if (opts->prior || (start && (start->flags & GMM_FLAG_BAYES)))
		m = gmm_vb_drive(&src, start, opts, t->caller);
	else
		m = gmm_em_drive(&src, start, opts, k_max, t->caller);
	gmm_fit_warning_count(m, opts, t->caller);
	if (opts->missing == GMM_MISSING_MARGINALIZE)
		m = gmm_with_observed(m, (double) t->rows_seen, (double) t->rows_skipped,
							  (double) t->values_missing);
	return m;
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

/* Does the jsonb object give this key a value other than null (the default)? */
static bool
has_key(Jsonb *jb, const char *key)
{
	JsonbValue *v;

	if (jb == NULL || !JB_ROOT_IS_OBJECT(jb))
		return false;
	v = getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL);
	return v != NULL && v->type != jbvNull;
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
	gmm_check_shrinkage(t.caller, t.opts.shrinkage, start->cov_type);
	gmm_fit_options_set_k(&t.opts, start->k, t.caller);
	return train_and_return(&t, fcinfo, start);
}
