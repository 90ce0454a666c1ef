/*
 * stats_agg.c
 *	  The aggregates over gmm_stats: gmm_em_step (one EM iteration over the
 *	  rows) and gmm_stats_agg share the transition function that buffers
 *	  rows in the state and hands them to the blocked E-step a block at a
 *	  time; gmm_stats_merge and the combine function add statistics
 *	  together; gmm_stats_agg's final function settles the buffered rows;
 *	  gmm_stats_to_model and gmm_em_step's final function run the M-step.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "catalog/pg_type.h"
#include "nodes/execnodes.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "kernel/estep.h"
#include "kernel/mstep.h"
#include "observed.h"
#include "options.h"
#include "score_cache.h"
#include "stats_type.h"

/*
 * Rows an aggregate state buffers for the blocked E-step: up to
 * EMSTEP_BLOCK_ROWS, fewer when the points are so long that the buffer
 * would exceed EMSTEP_BUFFER_BYTES; a state starts with room for
 * EMSTEP_FIRST_ROWS and doubles it as it fills, so that a group of a few
 * rows stays small.
 */
#define EMSTEP_BLOCK_ROWS	256
#define EMSTEP_FIRST_ROWS	16
#define EMSTEP_BUFFER_BYTES (1024 * 1024)
/*
 * The single state of an aggregate without GROUP BY (gmm_train's query)
 * buffers up to EMSTEP_PLAIN_ROWS, a multiple of EMSTEP_BLOCK_ROWS, so that
 * the E-step of a flush is long enough to run on several threads while the
 * scan waits; the E-step adds blocks of 256 rows in order, so only the
 * last rows of the scan may be summed differently than with 256-row
 * flushes.
 */
#define EMSTEP_PLAIN_ROWS	4096

/*
 * Per prepared model: its fingerprint, a buffer for one point, the block
 * size, where the pending rows of its states start, and the capacity of
 * states of one size (the last seen), so that a row costs no division
 */
typedef struct EmStepCache
{
	uint64		fingerprint;
	double	   *x;				/* d values */
	int			block_rows;		/* rows a state buffers at most; 0: none */
	Size		base;			/* offset of the pending rows in a state */
	Size		cap_size;		/* VARSIZE of a state with cap rows of room */
	uint16		cap_obs;		/* ... and its GMM_STATS_FLAG_OBSERVED */
	int			cap;
	struct varlena *arr;		/* a short point array, unpacked */
} EmStepCache;

/* room in EmStepCache.arr: any short varlena with a 4-byte header */
#define EMSTEP_ARR_SIZE		(VARATT_SHORT_MAX - VARHDRSZ_SHORT + VARHDRSZ)

/*
 * Rows to buffer for a model of dimension d whose statistics (without
 * buffer) take base bytes: 0 where blocks would be too short for the
 * blocked kernel to pay off, or the value too large
 */
static int
emstep_block_rows(int d, Size base, bool plain)
{
	Size		per_row = sizeof(float8) * ((Size) d + 1);
	Size		rows = Min(EMSTEP_BUFFER_BYTES / per_row, EMSTEP_BLOCK_ROWS);

	if (plain && EMSTEP_BUFFER_BYTES / per_row >= 2 * EMSTEP_BLOCK_ROWS)
		rows = Min(EMSTEP_BUFFER_BYTES / per_row / EMSTEP_BLOCK_ROWS * EMSTEP_BLOCK_ROWS,
				   EMSTEP_PLAIN_ROWS);
	if (rows < GMM_BLOCK_MIN_ROWS || base + rows * per_row > MaxAllocSize)
		return 0;
	return (int) rows;
}

/* Is this call the transition of an aggregate without GROUP BY? */
static bool
plain_aggregate(FunctionCallInfo fcinfo)
{
	return fcinfo->context && IsA(fcinfo->context, AggState) &&
		((AggState *) fcinfo->context)->aggstrategy == AGG_PLAIN;
}

/* The cache hanging off a prepared model, created on first use */
static EmStepCache *
emstep_cache(GmmPrepared *p, FunctionCallInfo fcinfo)
{
	EmStepCache *c = (EmStepCache *) p->extra;

	if (c == NULL)
	{
		c = MemoryContextAlloc(p->cxt, sizeof(EmStepCache));
		c->fingerprint = gmm_stats_fingerprint(p->model);
		c->x = MemoryContextAlloc(p->cxt, sizeof(double) * p->d);
		c->base = gmm_stats_size(p->model);
		c->block_rows = emstep_block_rows(p->d, c->base, plain_aggregate(fcinfo));
		c->cap_size = c->base;
		c->cap_obs = 0;
		c->cap = 0;
		c->arr = MemoryContextAlloc(p->cxt, EMSTEP_ARR_SIZE);
		p->extra = c;
	}
	return c;
}

/* Error for a row whose model differs from the one the group started with */
static void
model_changed_error(const GmmStats *s, const GmmPrepared *p, uint64 fp)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("model argument changed within one group"),
			 errdetail("The group started with a model of %d components of dimension %d (fingerprint %016llx); this row has a model of %d components of dimension %d (fingerprint %016llx).",
					   s->k, s->d, (unsigned long long) s->fingerprint,
					   p->k, p->d, (unsigned long long) fp),
			 errhint("Pass the same model to every row of a group, e.g. as a constant or a query parameter.")));
}

/*
 * Is state s one of the model p?  The fingerprint alone could collide
 * between models of different shapes, and the offsets of the cache (the
 * pending rows) would then be wrong for s: compare the shape too.  (Equal
 * shapes make a collision harmless to memory; merges compare the models
 * byte for byte.)
 */
static inline bool
same_model_shape(const GmmStats *s, const GmmPrepared *p, const EmStepCache *c)
{
	return s->fingerprint == c->fingerprint &&
		s->k == p->k && s->d == p->d &&
		s->cov_type == p->model->cov_type &&
		(Size) s->model_size == VARSIZE(p->model) &&
		gmm_stats_base_size(s) == c->base;
}

/* Rows of pending room in aggregate state s, remembered per state size */
static inline int
state_capacity(EmStepCache *c, const GmmStats *s)
{
	if (VARSIZE(s) != c->cap_size ||
		(s->flags & GMM_STATS_FLAG_OBSERVED) != c->cap_obs)
	{
		c->cap_size = VARSIZE(s);
		c->cap_obs = s->flags & GMM_STATS_FLAG_OBSERVED;
		c->cap = gmm_stats_capacity(s);
	}
	return c->cap;
}

/*
 * The point array of argument n.  A short inline array (as small points
 * are stored in a table) is unpacked into the cache's buffer rather than
 * into a new palloc'd copy for every row.  Every other form (4-byte
 * header, compressed, out of line, expanded) goes through the ordinary
 * detoasting: a TOAST pointer or an expanded object also has a one-byte
 * header, so VARATT_IS_SHORT alone does not identify a short value.
 */
static inline ArrayType *
point_arg(FunctionCallInfo fcinfo, int n, EmStepCache *c)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(n));

	if (VARATT_IS_SHORT(raw) && !VARATT_IS_EXTERNAL(raw))
	{
		Size		len = VARSIZE_SHORT(raw) - VARHDRSZ_SHORT;

		SET_VARSIZE(c->arr, len + VARHDRSZ);
		memcpy(VARDATA(c->arr), VARDATA_SHORT(raw), len);
		return (ArrayType *) c->arr;
	}
	return PG_GETARG_ARRAYTYPE_P(n);
}

/*
 * A float8[] point of dimension d stored inline with a short header (as
 * small points are stored in a table) read straight into out, without
 * unpacking the array first; false for any other form or shape, or a
 * non-finite element, which the general path reads (or reports).  The
 * bytes after the 1-byte header are those of the array after its 4-byte
 * length word: ndim, dataoffset, element type, dims[1], lbound[1], then the
 * elements at the offset they have in an unpacked array.
 */
static inline bool
read_short_point(Datum datum, int d, double *out)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(datum);
	const char *p;
	int32		h[5];
	Size		off = ARR_OVERHEAD_NONULLS(1) - VARHDRSZ;
	bool		bad = false;

	if (!VARATT_IS_SHORT(raw) || VARATT_IS_EXTERNAL(raw) ||
		VARSIZE_SHORT(raw) - VARHDRSZ_SHORT != off + sizeof(double) * d)
		return false;
	p = VARDATA_SHORT(raw);
	memcpy(h, p, sizeof(h));
	if (h[0] != 1 || h[1] != 0 || (Oid) h[2] != FLOAT8OID || h[3] != d)
		return false;
	memcpy(out, p + off, sizeof(double) * d);
	for (int i = 0; i < d; i++)
		bad |= !isfinite(out[i]);
	return !bad;
}

/*
 * Make room in aggregate state s for one more pending row: a state with
 * room left is returned as is; a full one grows (a new value in
 * CurrentMemoryContext, which the executor copies into the aggregate
 * context, freeing the old one) or, at the block size, has its rows put
 * through the E-step under p.
 */
static GmmStats *
make_room(GmmStats *s, const GmmPrepared *p, EmStepCache *c)
{
	int			cap = state_capacity(c, s);

	if (s->n_pending < cap)
		return s;
	if (cap < c->block_rows)
		return gmm_stats_resize(s, cap == 0 ? Min(EMSTEP_FIRST_ROWS, c->block_rows)
								: Min(2 * cap, c->block_rows));
	gmm_stats_flush(s, s, p);
	return s;
}

/*
 * Set by stats_missing.c around its call of gmm_stats_accum for a row of
 * "missing": "marginalize" (with at least one observed element): NULL and
 * NaN elements are then missing values (NaN), and a state holding pending
 * rows with missing values is flagged GMM_STATS_FLAG_HOLES, so that
 * gmm_stats_flush puts them through the E-step of kernel/missing.c
 */
bool		gmm_stats_accum_marginalize = false;

/* Read an incomplete point into out: GMM_STATS_FLAG_HOLES if a value is missing, else 0 */
static int
read_incomplete(FunctionCallInfo fcinfo, EmStepCache *c, int d, double *out)
{
	return gmm_point_read_missing(point_arg(fcinfo, 2, c), d, out) > 0 ? GMM_STATS_FLAG_HOLES : 0;
}

PG_FUNCTION_INFO_V1(gmm_stats_accum);
/*
 * Transition function of gmm_em_step and gmm_stats_agg:
 * (state gmm_stats, m gmm, x float8[] | real[] [, weight float8]).
 * In an aggregate the row is buffered in the state, which is updated in
 * place, and the buffered rows go through the blocked E-step under m when
 * the buffer is full or the state is read (see stats_type.h); called as a plain
 * function, the E-step of the row is added to a copy of the state at once.
 * Rows with a NULL model, point or weight, and rows of weight 0, are
 * skipped.
 */
Datum
gmm_stats_accum(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_ARGISNULL(0) ? NULL : (GmmStats *) PG_GETARG_POINTER(0);
	bool		in_agg;
	GmmPrepared *p;
	EmStepCache *c;
	double		w = 1.0;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (PG_NARGS() > 3 && PG_ARGISNULL(3)))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (PG_NARGS() > 3)
	{
		w = PG_GETARG_FLOAT8(3);
		gmm_check_row_weight(w, NULL, 0);
		if (w == 0.0)
		{
			if (s == NULL)
				PG_RETURN_NULL();
			PG_RETURN_POINTER(s);
		}
	}
	in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
	if (!in_agg && s != NULL)
	{
		/* called as a plain function: never scribble on the argument */
		GmmStats   *arg = DatumGetGmmStatsP(PG_GETARG_DATUM(0));

		s = gmm_stats_settled(arg);
		if (s == arg)
			s = gmm_stats_copy(arg);
	}

	p = gmm_prepared_from_arg(fcinfo, 1);
	c = emstep_cache(p, fcinfo);
	if (s == NULL)
		s = gmm_stats_alloc(p->model, c->fingerprint);
	else if (!same_model_shape(s, p, c))
		model_changed_error(s, p, c->fingerprint);

	if (in_agg && c->block_rows > 0)
	{
		int			i;
		double	   *X;

		s = make_room(s, p, c);
		i = s->n_pending;
		X = (double *) ((char *) s + c->base);
		Assert(X == GMM_STATS_PENDING_X(s));
		if (unlikely(gmm_stats_accum_marginalize))
			s->flags |= read_incomplete(fcinfo, c, p->d, X + (Size) i * p->d);
		else if (!read_short_point(PG_GETARG_DATUM(2), p->d, X + (Size) i * p->d))
			gmm_point_read(point_arg(fcinfo, 2, c), p->d, X + (Size) i * p->d);
		X[(Size) state_capacity(c, s) * p->d + i] = w;	/* the weights */
		if (w != 1.0)
			s->flags |= GMM_STATS_FLAG_WEIGHTED;
		s->n_pending = i + 1;
	}
	else
	{
		GmmSuff		view;

		gmm_stats_view(s, &view);
		if (unlikely(gmm_stats_accum_marginalize) && read_incomplete(fcinfo, c, p->d, c->x))
			gmm_estep_missing(gmm_miss_cache_of(p), c->x, PG_NARGS() > 3 ? &w : NULL, 1,
							  &view, NULL);
		else
		{
			if (!gmm_stats_accum_marginalize)
				gmm_point_read(point_arg(fcinfo, 2, c), p->d, c->x);
			gmm_estep_accum(p, c->x, PG_NARGS() > 3 ? &w : NULL, 1, &view);
		}
		s->sum_w = view.sum_w;
		s->sum_ll = view.sum_ll;
		gmm_stats_add_rows(s, 1);
		gmm_stats_check_range(s);
	}
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(gmm_stats_combine);
/*
 * gmm_stats_merge(a, b): the sum of two sets of statistics of the same
 * model; NULL counts as no rows.  Also the combine function of the
 * aggregates and the transition function of the gmm_stats_merge aggregate:
 * in an aggregate the first argument is the state and is updated in place
 * (a NULL state becomes a copy of b).  Pending rows of b (a worker's
 * partial state) go through the E-step into the result; b is never
 * modified.
 */
Datum
gmm_stats_combine(PG_FUNCTION_ARGS)
{
	GmmStats   *a,
			   *b;
	bool		in_agg = AggCheckCallContext(fcinfo, NULL) != 0;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		if (in_agg)
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		PG_RETURN_GMM_STATS_P(PG_GETARG_GMM_STATS_SETTLED(0));
	}
	b = PG_GETARG_GMM_STATS_P(1);
	if (PG_ARGISNULL(0))
	{
		a = gmm_stats_settled(b);
		PG_RETURN_POINTER(a == b ? gmm_stats_copy(b) : a);
	}
	if (in_agg)
		a = (GmmStats *) PG_GETARG_POINTER(0);
	else
	{
		GmmStats   *arg = PG_GETARG_GMM_STATS_P(0);

		a = gmm_stats_settled(arg);
		if (a == arg)
			a = gmm_stats_copy(arg);
	}
	a = gmm_stats_merge_into(a, b);
	PG_RETURN_POINTER(a);
}

/*
 * The M-step: the next model from the statistics, with reg_covar added to
 * the variances, validated, and carrying as fit metadata the statistics'
 * weight, the mean log-likelihood of the embedded model on the rows, and
 * its iteration count plus one.  *n_empty (if not NULL) receives the
 * number of components that lost their mass (see gmm_mstep).  With oas,
 * Oracle Approximating Shrinkage of full and tied covariances.
 */
static Gmm *
gmm_stats_mstep(const GmmStats *s, double reg_covar, bool oas, int *n_empty)
{
	const Gmm  *prev = GMM_STATS_MODEL(s);
	GmmSuff		view;
	Gmm		   *m;

	if (!(s->sum_w > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot compute a model from gmm_stats without rows")));
	gmm_stats_view((GmmStats *) s, &view);
	m = gmm_mstep(&view, prev, reg_covar, oas, n_empty);
	gmm_canonicalize(m);
	m->flags = GMM_FLAG_FITTED;
	m->n_seen = s->sum_w;
	m->log_likelihood = s->sum_ll / s->sum_w;
	m->n_iter = (GMM_IS_FITTED(prev) && prev->n_iter < PG_INT32_MAX) ? prev->n_iter + 1 : 1;
	gmm_validate(m);
	/* statistics of "missing": "marginalize": the observed-data section, as gmm_fit's */
	if (s->flags & GMM_STATS_FLAG_OBSERVED)
		m = gmm_with_observed(m, (double) s->n_rows, (double) GMM_STATS_OBS(s)[0],
							  (double) GMM_STATS_OBS(s)[1]);
	return m;
}

/*
 * The state argument of a final function with its pending rows through
 * the E-step.  Inside an aggregate that happens in place: the state's
 * value does not change, only its form, so that a window aggregate can go
 * on adding rows to it and another final function sharing it sees the
 * same.  Outside one, the argument is left alone.
 */
static GmmStats *
settle_arg(FunctionCallInfo fcinfo)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_P(0);

	if (AggCheckCallContext(fcinfo, NULL) == 0)
		return gmm_stats_settled(s);
	gmm_stats_settle(s);
	return s;
}

PG_FUNCTION_INFO_V1(gmm_em_step_final);
/* Final function of gmm_em_step: the M-step with the default reg_covar; NULL without rows */
Datum
gmm_em_step_final(PG_FUNCTION_ARGS)
{
	GmmStats   *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = settle_arg(fcinfo);
	if (!(s->sum_w > 0.0))
		PG_RETURN_NULL();
	PG_RETURN_GMM_P(gmm_stats_mstep(s, GMM_DEFAULT_REG_COVAR, false, NULL));
}

PG_FUNCTION_INFO_V1(gmm_stats_agg_final);
/*
 * Final function of gmm_stats_agg: the statistics with every row through
 * the E-step, without room for pending rows, as stored and sent
 */
Datum
gmm_stats_agg_final(PG_FUNCTION_ARGS)
{
	GmmStats   *s = settle_arg(fcinfo);

	if (s->flags & GMM_STATS_FLAG_PENDING)
		s = gmm_stats_resize(s, 0);
	PG_RETURN_GMM_STATS_P(s);
}

PG_FUNCTION_INFO_V1(gmm_stats_to_model);
/* gmm_stats_to_model(stats): the M-step with the default reg_covar */
Datum
gmm_stats_to_model(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_SETTLED(0);

	PG_RETURN_GMM_P(gmm_stats_mstep(s, GMM_DEFAULT_REG_COVAR, false, NULL));
}

PG_FUNCTION_INFO_V1(gmm_stats_to_model_options);
/*
 * gmm_stats_to_model(stats, options): the M-step with gmm_fit's options.
 * Only reg_covar and shrinkage apply; covariance_type, when given, must be
 * that of the statistics; the other options are accepted so that one
 * options object serves gmm_fit, gmm_train and this function.
 */
Datum
gmm_stats_to_model_options(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_SETTLED(0);
	Jsonb	   *jb = PG_GETARG_JSONB_P(1);
	GmmFitOptions opts;
	const char *key = "covariance_type";
	JsonbValue *given;

	gmm_fit_options_init(&opts);
	gmm_fit_options_parse(jb, &opts, "gmm_stats_to_model", NULL, NULL, NULL);
	/* a JSON null, like no key, means the default: the statistics' own */
	given = getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL);
	if (given != NULL && given->type != jbvNull && opts.cov_type != s->cov_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gmm_stats_to_model option \"covariance_type\" is \"%s\" but the statistics are of a \"%s\" model",
						gmm_cov_type_name(opts.cov_type), gmm_cov_type_name(s->cov_type)),
				 errhint("The covariance type is fixed by the model the statistics were collected under.")));
	gmm_check_shrinkage("gmm_stats_to_model", opts.shrinkage, s->cov_type);
	PG_RETURN_GMM_P(gmm_stats_mstep(s, opts.reg_covar,
										   opts.shrinkage == GMM_SHRINK_OAS, NULL));
}
