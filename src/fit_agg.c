/*
 * fit_agg.c
 *	  The gmm_fit aggregates: transition functions that buffer the rows
 *	  compactly (one contiguous row-major float8 array, or float4 with the
 *	  option "storage": "float4", grown geometrically in the aggregate
 *	  context, plus an optional weight array) up to gmm.fit_memory_limit
 *	  (gmm.c), past which the rows go to a temporary file in blocks
 *	  (fit_spill.c), and the final function that runs EM over them, in
 *	  memory or streaming the file (kernel/driver.c, kernel/rowsrc.h).
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "fmgr.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "fit_spill.h"
#include "fit_warning.h"
#include "gmm.h"
#include "kernel/driver.h"
#include "kernel/vb.h"
#include "kernel/init.h"
#include "observed.h"
#include "options.h"

/* rows allocated at first; doubled as needed */
#define FIT_INITIAL_ROWS		16

/* The aggregate's transition state: the buffered rows and the options */
typedef struct GmmFitState
{
	MemoryContext cxt;			/* the aggregate context */
	GmmFitOptions opts;			/* parsed options with the k range */
	bool		weighted;
	int			k;				/* as passed, to check it does not change */
	Jsonb	   *options;		/* a copy of the options, or NULL */
	bool		options_const;	/* the options argument is a constant */
	int			d;				/* dimension, 0 before the first row */
	int64		rows_seen;		/* non-NULL rows seen, for messages */
	int64		n;				/* rows buffered */
	int64		cap;			/* rows allocated */
	double	   *X;				/* n x d, row-major (float8 storage) */
	float	   *Xf;				/* n x d, row-major (float4 storage) */
	double	   *w;				/* n weights when weighted */
	double		sum_w;
	bool		f4;				/* option "storage": "float4" */
	bool		can_spill;		/* a plain aggregate, not a window */
	GmmSpill   *spill;			/* the rows once past the limit, or NULL */
	double	   *row;			/* d values: a float4 row being read */
	int64		rows_skipped;	/* "missing": rows with every value missing */
	int64		values_missing; /* "missing": missing values buffered */
} GmmFitState;

/* the aggregate's name, for messages */
#define FIT_NAME(st)	((st)->weighted ? "gmm_fit_weighted" : "gmm_fit")

/* Bytes per row held in memory that gmm.fit_memory_limit charges */
static Size
fit_row_bytes(const GmmFitState *st)
{
	Size		b = gmm_fit_row_bytes(st->d, st->weighted);

	return st->f4 ? b - (sizeof(double) - sizeof(float)) * st->d : b;
}

/*
 * The rows reached gmm.fit_memory_limit: move them to a temporary file and
 * free the buffers; later rows go to the file
 */
static void
start_spill(GmmSpill **spill, GmmFitState *st, FunctionCallInfo fcinfo)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);
	Size		rowbytes = (Size) st->d * (st->f4 ? sizeof(float) : sizeof(double));
	GmmSpill   *sp = gmm_spill_create(fcinfo, st->d, st->weighted, st->f4,
									  (Size) gmm_fit_memory_limit_kb * 1024);

	for (int64 r = 0; r < st->n; r++)
	{
		double	   *w;
		void	   *x = gmm_spill_slot(sp, &w);

		memcpy(x, (st->f4 ? (char *) st->Xf : (char *) st->X) + (Size) r * rowbytes,
			   rowbytes);
		if (w)
			*w = st->w[r];
	}
	if (st->X)
		pfree(st->X);
	if (st->Xf)
		pfree(st->Xf);
	if (st->w)
		pfree(st->w);
	st->X = NULL, st->Xf = NULL, st->w = NULL;
	st->cap = 0;
	MemoryContextSwitchTo(old);
	*spill = sp;
}

/*
 * Make room for one more row: grow the buffers within gmm.fit_memory_limit,
 * or past it spill the rows to a temporary file.  The buffers are huge
 * allocations, so that a limit above 1 GB works.
 */
static void
grow_buffer(GmmFitState *st, FunctionCallInfo fcinfo)
{
	Size		per_row = fit_row_bytes(st);
	Size		esize = st->f4 ? sizeof(float) : sizeof(double);
	int64		limit = gmm_fit_memory_limit_rows(per_row);
	int64		cap;
	void	   *X;

	if (st->n >= limit)
	{
		if (st->can_spill)
		{
			start_spill(&st->spill, st, fcinfo);
			return;
		}
		gmm_fit_memory_limit_error("gmm_fit", st->n, st->d, per_row,
								   "Used as a window function, gmm_fit holds the rows in memory. Raise the limit, e.g. SET gmm.fit_memory_limit = '4GB', or call it as a plain aggregate.");
	}
	cap = (st->cap == 0) ? FIT_INITIAL_ROWS : st->cap * 2;
	cap = Min(cap, limit);
	X = st->f4 ? (void *) st->Xf : (void *) st->X;
	if (X == NULL)
	{
		X = MemoryContextAllocHuge(st->cxt, mul_size(mul_size(esize, st->d), cap));
		if (st->weighted)
			st->w = MemoryContextAllocHuge(st->cxt, mul_size(sizeof(double), cap));
	}
	else
	{
		X = repalloc_huge(X, mul_size(mul_size(esize, st->d), cap));
		if (st->weighted)
			st->w = repalloc_huge(st->w, mul_size(sizeof(double), cap));
	}
	if (st->f4)
		st->Xf = X;
	else
		st->X = X;
	st->cap = cap;
}

/* The option "storage" of gmm_fit: a GmmOptionHook */
static bool
storage_option(const char *key, const JsonbValue *value, void *arg)
{
	GmmFitState *st = (GmmFitState *) arg;
	char	   *s;

	if (strcmp(key, "storage") != 0)
		return false;
	s = gmm_option_string(FIT_NAME(st), key, value);
	if (strcmp(s, "float4") == 0)
		st->f4 = true;
	else if (strcmp(s, "float8") == 0)
		st->f4 = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"storage\" is \"%s\", which is not a storage type",
						FIT_NAME(st), s),
				 errhint("Use \"float8\" (the default) or \"float4\", which holds rows in half the memory, for data that is float4 (real[]).")));
	return true;
}

/* The options argument as a Jsonb, or NULL when absent or SQL NULL */
static Jsonb *
options_arg(FunctionCallInfo fcinfo, int argno)
{
	if (argno >= PG_NARGS() || PG_ARGISNULL(argno))
		return NULL;
	return PG_GETARG_JSONB_P(argno);
}

/* A new state in the aggregate context, with the options read */
static GmmFitState *
new_state(MemoryContext aggcxt, bool weighted, int k, Jsonb *options)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	GmmFitState *st = palloc0(sizeof(GmmFitState));

	st->cxt = aggcxt;
	st->weighted = weighted;
	st->k = k;
	gmm_fit_options_init(&st->opts);
	if (options)
	{
		st->options = palloc(VARSIZE(options));
		memcpy(st->options, options, VARSIZE(options));
		gmm_fit_options_parse(st->options, &st->opts, FIT_NAME(st),
							  storage_option, st, "storage");
	}
	gmm_fit_options_set_k(&st->opts, k, FIT_NAME(st));
	MemoryContextSwitchTo(old);
	return st;
}

/* Error unless k and the options are those of the group's first row */
static void
check_same_arguments(GmmFitState *st, int k, Jsonb *options)
{
	if (k != st->k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gmm_fit number of components changed from %d to %d within a group",
						st->k, k),
				 errdetail("k must be the same for every row of a group.")));
	if (st->options_const)
		return;
	if ((options == NULL) != (st->options == NULL) ||
		(options && (VARSIZE(options) != VARSIZE(st->options) ||
					 memcmp(options, st->options, VARSIZE(options)) != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gmm_fit options changed within a group"),
				 errdetail("The options must be the same for every row of a group.")));
}

/* Is aggregated argument argno (0-based, after the state) a constant? */
static bool
arg_is_const(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	TargetEntry *tle;

	if (aggref == NULL || argno >= list_length(aggref->args))
		return false;
	tle = (TargetEntry *) list_nth(aggref->args, argno);
	return tle->expr != NULL && IsA(tle->expr, Const);
}

/* Error context: which input row was being read */
static void
row_error_context(void *arg)
{
	GmmFitState *st = (GmmFitState *) arg;

	errcontext("row " INT64_FORMAT " of the gmm_fit input", st->rows_seen);
}

/*
 * Store the d values of st->row into x as float4 (NaN, a missing value,
 * stays NaN)
 */
static void
store_float4(GmmFitState *st, void *x)
{
	for (int i = 0; i < st->d; i++)
	{
		float		f = (float) st->row[i];

		if (unlikely(isinf(f)))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: value %g is out of range for \"storage\": \"float4\"",
							FIT_NAME(st), st->row[i]),
					 errdetail("Element %d of the row.", i + 1),
					 errhint("Use \"storage\": \"float8\" for data beyond float4.")));
		((float *) x)[i] = (f == 0.0f) ? 0.0f : f;
	}
}

/*
 * Read point a (of dimension st->d) into x, as float4 when st->f4; -0.0
 * becomes 0.0 (as in gmm_train's sample)
 */
static void
read_row(GmmFitState *st, ArrayType *a, void *x)
{
	int			d = st->d;

	if (!st->f4)
	{
		gmm_point_read(a, d, (double *) x);
		gmm_row_canonical_zeros((double *) x, d);
		return;
	}
	gmm_point_read(a, d, st->row);
	store_float4(st, x);
}

/*
 * "missing": "marginalize": read point a into st->row, NULL and NaN
 * elements as NaN; a row with every element missing is counted and not
 * kept (false).  The row is then stored like complete rows (float8 or
 * float4, in memory or spilled), with NaN for its missing values.
 */
static bool
read_row_missing(GmmFitState *st, ArrayType *a)
{
	int			d = st->d,
				nmiss = gmm_point_read_missing(a, d, st->row);

	if (nmiss == d)
	{
		st->rows_skipped++;
		return false;
	}
	st->values_missing += nmiss;
	gmm_row_canonical_zeros(st->row, d);
	return true;
}

/* Append one point to the buffer or the spill file */
static void
add_row(GmmFitState *st, ArrayType *a, double weight, FunctionCallInfo fcinfo)
{
	ErrorContextCallback errcb;
	int			d;

	errcb.callback = row_error_context;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	d = (st->opts.missing == GMM_MISSING_MARGINALIZE) ?
		gmm_point_length_missing(a) : gmm_point_length(a);
	if (st->d == 0)
	{
		if (d > GMM_MAX_D)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("gmm_fit rows have %d dimensions, more than the limit of %d",
							d, GMM_MAX_D)));
		st->d = d;
		gmm_fit_options_check_dimension(&st->opts, d, FIT_NAME(st));
		st->row = MemoryContextAlloc(st->cxt, sizeof(double) * d);
	}
	else if (d != st->d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm_fit rows have different lengths: %d and %d", st->d, d),
				 errdetail("Row " INT64_FORMAT " has %d elements but the first row has %d.",
						   st->rows_seen, d, st->d),
				 errhint("Every row must be a point of the same dimension.")));
	if (weight > 0.0)
	{
		void	   *x;
		double	   *wslot = NULL;

		if (st->opts.missing == GMM_MISSING_MARGINALIZE)
		{
			/* an all-missing row is counted, not kept */
			if (!read_row_missing(st, a))
			{
				error_context_stack = errcb.previous;
				return;
			}
		}
		if (st->spill == NULL && st->n == st->cap)
			grow_buffer(st, fcinfo);
		if (st->spill)
			x = gmm_spill_slot(st->spill, &wslot);
		else
		{
			x = st->f4 ? (void *) (st->Xf + (Size) st->n * d) :
				(void *) (st->X + (Size) st->n * d);
			wslot = st->weighted ? st->w + st->n : NULL;
		}
		if (st->opts.missing == GMM_MISSING_MARGINALIZE && st->f4)
			store_float4(st, x);
		else if (st->opts.missing == GMM_MISSING_MARGINALIZE)
			memcpy(x, st->row, sizeof(double) * d);
		else
			read_row(st, a, x);
		if (wslot)
			*wslot = weight;
		st->n++;
		st->sum_w += weight;
	}
	else
	{
		/* a zero-weight row is ignored, but must still be a valid point */
		if (st->opts.missing == GMM_MISSING_MARGINALIZE)
			gmm_point_read_missing(a, d, st->row);
		else
			gmm_point_read(a, d, st->row);
	}
	error_context_stack = errcb.previous;
}

/*
 * The shared transition function.  Arguments after the state: x, then the
 * weight when weighted, then k, then the optional options.
 */
static Datum
fit_transition(FunctionCallInfo fcinfo, bool weighted)
{
	MemoryContext aggcxt;
	GmmFitState *st;
	int			karg = weighted ? 3 : 2;
	int			aggkind;
	int			k;
	Jsonb	   *options;
	double		weight = 1.0;

	aggkind = AggCheckCallContext(fcinfo, &aggcxt);
	if (!aggkind)
		elog(ERROR, "gmm_fit transition function called in non-aggregate context");

	if (PG_ARGISNULL(karg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("gmm_fit number of components must not be NULL")));
	k = PG_GETARG_INT32(karg);
	options = options_arg(fcinfo, karg + 1);

	if (PG_ARGISNULL(0))
	{
		st = new_state(aggcxt, weighted, k, options);
		/* a constant needs no check on later rows */
		st->options_const = arg_is_const(fcinfo, karg);
		st->can_spill = (aggkind == AGG_CONTEXT_AGGREGATE);
	}
	else
	{
		st = (GmmFitState *) PG_GETARG_POINTER(0);
		check_same_arguments(st, k, options);
	}

	/* NULL rows, and rows with a NULL weight, are skipped */
	if (PG_ARGISNULL(1) || (weighted && PG_ARGISNULL(2)))
		PG_RETURN_POINTER(st);
	st->rows_seen++;
	if (weighted)
	{
		weight = PG_GETARG_FLOAT8(2);
		gmm_check_row_weight(weight, FIT_NAME(st), st->rows_seen);
	}
	add_row(st, PG_GETARG_ARRAYTYPE_P(1), weight, fcinfo);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(gmm_fit_transfn);
/* gmm_fit(x, k [, options]) transition */
Datum
gmm_fit_transfn(PG_FUNCTION_ARGS)
{
	return fit_transition(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gmm_fit_weighted_transfn);
/* gmm_fit_weighted(x, weight, k [, options]) transition */
Datum
gmm_fit_weighted_transfn(PG_FUNCTION_ARGS)
{
	return fit_transition(fcinfo, true);
}

/*
 * The fit with "missing": "marginalize": EM on the observed values when
 * some are missing (the ordinary fit otherwise), with the observed-data
 * section (rows used, rows skipped, values missing)
 */
static Gmm *
fit_observed(GmmFitState *st, GmmRowSource *rows)
{
	Gmm		   *m;

	if (st->values_missing > 0)
		m = gmm_em_fit_observed(rows, &st->opts, FIT_NAME(st));
	else
		m = gmm_em_fit_source(rows, NULL, NULL, &st->opts, FIT_NAME(st));
	return gmm_with_observed(m, (double) st->n, (double) st->rows_skipped,
							 (double) st->values_missing);
}

PG_FUNCTION_INFO_V1(gmm_fit_finalfn);
/*
 * Final function: EM over the buffered rows.  The state is only read, so
 * calling it again on the same state gives the same model.
 */
Datum
gmm_fit_finalfn(PG_FUNCTION_ARGS)
{
	GmmFitState *st;
	GmmRowSource *rows;
	MemoryContext fitcxt,
				old;
	Gmm		   *m,
			   *result;
	double		sum_w;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "gmm_fit final function called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (GmmFitState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
		PG_RETURN_NULL();
	sum_w = st->weighted ? st->sum_w : (double) st->n;

	fitcxt = AllocSetContextCreate(CurrentMemoryContext, "gmm_fit",
								   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(fitcxt);
	if (st->spill)
		rows = gmm_spill_source(st->spill, sum_w);
	else
		rows = gmm_memory_source(st->f4 ? NULL : st->X, st->Xf,
								 st->weighted ? st->w : NULL, st->n, st->d,
								 sum_w);
	if (st->opts.missing == GMM_MISSING_MARGINALIZE)
		m = fit_observed(st, rows);
	else if (st->opts.prior)
		m = gmm_vb_fit_source(rows, &st->opts, FIT_NAME(st));
	else
		m = gmm_em_fit_source(rows, NULL, NULL, &st->opts, FIT_NAME(st));
	gmm_fit_warning_count(m, &st->opts, FIT_NAME(st));
	MemoryContextSwitchTo(old);
	result = palloc(VARSIZE(m));
	memcpy(result, m, VARSIZE(m));
	MemoryContextDelete(fitcxt);
	PG_RETURN_GMM_P(result);
}
