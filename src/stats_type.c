/*
 * stats_type.c
 *	  The gmm_stats type (see stats_type.h): layout helpers, validation, merging,
 *	  JSON text I/O, jsonb casts, binary I/O and accessors.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/int.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "gmm_io.h"
#include "kernel/estep.h"
#include "json.h"
#include "stats_type.h"

/* |sum_j nk_j - sum_w| may not exceed this fraction of sum_w */
#define GMM_STATS_MASS_TOL	1e-6

/* Number of float8 statistics after the embedded model */
static Size
gmm_stats_value_count(int cov_type, int k, int d)
{
	return add_size(add_size(k, mul_size(k, d)),
					mul_size(k, gmm_s2_count(cov_type, d)));
}

/* Total varlena size of statistics for model m, erroring out beyond 1 GB */
Size
gmm_stats_size(const Gmm *m)
{
	Size		sz;

	sz = add_size(add_size(GMM_STATS_HEADER_SIZE, VARSIZE(m)),
				  mul_size(sizeof(float8),
						   gmm_stats_value_count(m->cov_type, m->k, m->d)));
	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gmm_stats for %d components of dimension %d are too large", m->k, m->d),
				 errdetail("The statistics would take %zu bytes; the limit is %zu.",
						   sz, (Size) MaxAllocSize)));
	return sz;
}

/* gmm_fingerprint of the canonical form of m (see above) */
uint64
gmm_stats_fingerprint(const Gmm *m)
{
	Gmm		   *c = palloc(VARSIZE(m));
	uint64		fp;

	memcpy(c, m, VARSIZE(m));
	gmm_canonicalize(c);
	fp = gmm_fingerprint(c);
	pfree(c);
	return fp;
}

/*
 * Zeroed statistics for model m in CurrentMemoryContext; the embedded copy
 * of m is canonical, and fingerprint must be gmm_stats_fingerprint(m)
 */
GmmStats *
gmm_stats_alloc(const Gmm *m, uint64 fingerprint)
{
	Size		sz = gmm_stats_size(m);
	GmmStats   *s = (GmmStats *) palloc0(sz);

	SET_VARSIZE(s, sz);
	s->version = GMM_STATS_FORMAT_VERSION;
	s->cov_type = m->cov_type;
	s->k = m->k;
	s->d = m->d;
	s->model_size = VARSIZE(m);
	s->fingerprint = fingerprint;
	memcpy(s->data, m, VARSIZE(m));
	gmm_canonicalize(GMM_STATS_MODEL(s));
	return s;
}

/* A copy of s in CurrentMemoryContext */
GmmStats *
gmm_stats_copy(const GmmStats *s)
{
	GmmStats   *c = (GmmStats *) palloc(VARSIZE(s));

	memcpy(c, s, VARSIZE(s));
	return c;
}

/* Size of s without room for pending rows */
Size
gmm_stats_base_size(const GmmStats *s)
{
	return GMM_STATS_HEADER_SIZE + s->model_size +
		sizeof(float8) * gmm_stats_value_count(s->cov_type, s->k, s->d);
}

/* Pending rows s has room for (0 unless it is an aggregate's state) */
int
gmm_stats_capacity(const GmmStats *s)
{
	if (!(s->flags & GMM_STATS_FLAG_PENDING))
		return 0;
	return (int) ((VARSIZE(s) - gmm_stats_base_size(s) - GMM_STATS_OBS_BYTES(s)) /
				  (sizeof(float8) * ((Size) s->d + 1)));
}

/*
 * A copy of s in CurrentMemoryContext with room for "capacity" pending
 * rows (0: none, the form stored and sent), keeping its pending rows,
 * which must fit
 */
GmmStats *
gmm_stats_resize(const GmmStats *s, int capacity)
{
	Size		base = gmm_stats_base_size(s);
	Size		sz = add_size(add_size(base, mul_size(mul_size(sizeof(float8), capacity),
													  (Size) s->d + 1)),
							  GMM_STATS_OBS_BYTES(s));
	GmmStats   *c;

	Assert(s->n_pending <= capacity);
	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gmm_stats for %d components of dimension %d are too large to buffer %d rows",
						s->k, s->d, capacity)));
	c = (GmmStats *) palloc(sz);
	memcpy(c, s, base);
	SET_VARSIZE(c, sz);
	if (c->flags & GMM_STATS_FLAG_OBSERVED)
		memcpy(GMM_STATS_OBS(c), GMM_STATS_OBS(s), 2 * sizeof(int64));
	if (capacity == 0)
	{
		c->flags &= GMM_STATS_FLAG_OBSERVED;
		c->n_pending = 0;
		return c;
	}
	c->flags |= GMM_STATS_FLAG_PENDING;
	if (s->n_pending > 0)
	{
		memcpy(GMM_STATS_PENDING_X(c), GMM_STATS_PENDING_X(s),
			   sizeof(float8) * s->n_pending * s->d);
		memcpy(GMM_STATS_PENDING_W(c), GMM_STATS_PENDING_W(s),
			   sizeof(float8) * s->n_pending);
	}
	return c;
}

/*
 * Add the E-step of src's pending rows under p (the model of both dst and
 * src) to dst's sums.  When dst is src its pending rows are then gone;
 * otherwise src is left as it was.
 */
void
gmm_stats_flush(GmmStats *dst, const GmmStats *src, const GmmPrepared *p)
{
	GmmSuff		view;
	int			n = src->n_pending;

	if (n == 0)
		return;
	gmm_stats_view(dst, &view);
	if (src->flags & GMM_STATS_FLAG_HOLES)
		gmm_estep_missing(gmm_miss_cache_of(p), GMM_STATS_PENDING_X(src),
						  (src->flags & GMM_STATS_FLAG_WEIGHTED) ? GMM_STATS_PENDING_W(src) : NULL,
						  n, &view, NULL);
	else
		gmm_estep_accum(p, GMM_STATS_PENDING_X(src),
						(src->flags & GMM_STATS_FLAG_WEIGHTED) ? GMM_STATS_PENDING_W(src) : NULL,
						n, &view);
	dst->sum_w = view.sum_w;
	dst->sum_ll = view.sum_ll;
	gmm_stats_add_rows(dst, n);
	gmm_stats_check_range(dst);
	if (dst == src)
	{
		dst->n_pending = 0;
		dst->flags &= ~(GMM_STATS_FLAG_WEIGHTED | GMM_STATS_FLAG_HOLES);
	}
}

/* gmm_stats_flush(dst, src) under src's embedded model, prepared for this */
static void
flush_embedded(GmmStats *dst, const GmmStats *src)
{
	MemoryContext cxt;
	GmmPrepared *p;

	if (src->n_pending == 0)
		return;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "gmm_stats flush",
								ALLOCSET_DEFAULT_SIZES);
	p = gmm_prepare(GMM_STATS_MODEL(src), cxt);
	gmm_stats_flush(dst, src, p);
	MemoryContextDelete(cxt);
}

/* Put the pending rows of s through the E-step, in place */
void
gmm_stats_settle(GmmStats *s)
{
	flush_embedded(s, s);
}

/*
 * s itself if it has no room for pending rows, else a copy without that
 * room whose sums include the pending rows; s is not modified
 */
GmmStats *
gmm_stats_settled(GmmStats *s)
{
	GmmStats   *c;

	if (!(s->flags & GMM_STATS_FLAG_PENDING))
		return s;
	c = (GmmStats *) palloc(gmm_stats_base_size(s) + GMM_STATS_OBS_BYTES(s));
	memcpy(c, s, gmm_stats_base_size(s));
	SET_VARSIZE(c, gmm_stats_base_size(s) + GMM_STATS_OBS_BYTES(s));
	c->flags &= GMM_STATS_FLAG_OBSERVED;
	c->n_pending = 0;
	if (c->flags & GMM_STATS_FLAG_OBSERVED)
		memcpy(GMM_STATS_OBS(c), GMM_STATS_OBS(s), 2 * sizeof(int64));
	flush_embedded(c, s);
	return c;
}

/*
 * Point "view" at the sums inside s, so that the EM kernels of kernel/suff.h read and
 * update them in place.  The scalar sums are copied: write them back with
 * s->sum_w = view->sum_w etc. after an update.
 */
void
gmm_stats_view(GmmStats *s, GmmSuff *view)
{
	view->k = s->k;
	view->d = s->d;
	view->cov_type = s->cov_type;
	view->sum_w = s->sum_w;
	view->sum_ll = s->sum_ll;
	view->nk = GMM_STATS_NK(s);
	view->s1 = GMM_STATS_S1(s);
	view->s2 = GMM_STATS_S2(s);
	view->shift = GMM_MEANS(GMM_STATS_MODEL(s));
}

/* Error unless a and b hold statistics of the same model */
static void
gmm_stats_check_same_model(const GmmStats *a, const GmmStats *b)
{
	if (a->cov_type != b->cov_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge gmm_stats of covariance type \"%s\" with gmm_stats of covariance type \"%s\"",
						gmm_cov_type_name(a->cov_type), gmm_cov_type_name(b->cov_type)),
				 errhint("Only statistics collected under the same model can be merged.")));
	if (a->k != b->k)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge gmm_stats with %d components with gmm_stats with %d components",
						a->k, b->k),
				 errhint("Only statistics collected under the same model can be merged.")));
	if (a->d != b->d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge gmm_stats of dimension %d with gmm_stats of dimension %d",
						a->d, b->d),
				 errhint("Only statistics collected under the same model can be merged.")));
	if (a->fingerprint != b->fingerprint || a->model_size != b->model_size ||
		memcmp(GMM_STATS_MODEL(a), GMM_STATS_MODEL(b), a->model_size) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge gmm_stats of different models"),
				 errdetail("The statistics were collected under models with fingerprints %016llx and %016llx.",
						   (unsigned long long) a->fingerprint,
						   (unsigned long long) b->fingerprint),
				 errhint("Collect every part with the same model argument.")));
}

/*
 * a += b, after checking that they belong to the same model; b's pending
 * rows go through the E-step into a (b is not modified).  Returns a, or a
 * longer copy of it when b has observed-data counts and a had none.
 */
GmmStats *
gmm_stats_merge_into(GmmStats *a, const GmmStats *b)
{
	GmmSuff		va,
				vb;

	gmm_stats_check_same_model(a, b);
	if (b->flags & GMM_STATS_FLAG_OBSERVED)
	{
		a = gmm_stats_make_observed(a);
		gmm_stats_add_observed(a, GMM_STATS_OBS(b)[0], GMM_STATS_OBS(b)[1]);
	}
	gmm_stats_view(a, &va);
	gmm_stats_view((GmmStats *) b, &vb);
	gmm_suff_merge(&va, &vb);
	a->sum_w = va.sum_w;
	a->sum_ll = va.sum_ll;
	gmm_stats_add_rows(a, b->n_rows);
	gmm_stats_check_range(a);
	flush_embedded(a, b);
	return a;
}

/*
 * s->n_rows += n, with an error beyond GMM_STATS_MAX_ROWS (the most that
 * the text form reads back)
 */
void
gmm_stats_add_rows(GmmStats *s, int64 n)
{
	int64		sum;

	if (unlikely(pg_add_s64_overflow(s->n_rows, n, &sum) || sum > GMM_STATS_MAX_ROWS))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("gmm_stats row count overflows: " INT64_FORMAT " + " INT64_FORMAT " rows",
						s->n_rows, n),
				 errdetail("A gmm_stats value counts at most " INT64_FORMAT " rows.",
						   (int64) GMM_STATS_MAX_ROWS)));
	s->n_rows = sum;
}

/*
 * Error unless every sum of s is a finite number, naming the cause: the
 * statistics of valid rows can overflow float8 (weights summing past
 * 1.8e308, values about 1e154 or more from the means, whose squares
 * overflow, or rows so far from every component that their log-density
 * does), and such statistics could neither be read back nor give a model.
 */
void
gmm_stats_check_range(const GmmStats *s)
{
	int			k = s->k,
				d = s->d;
	Size		s2n = gmm_s2_count(s->cov_type, d);
	const double *nk = GMM_STATS_NK(s);

	if (unlikely(!isfinite(s->sum_w)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("row weights sum to infinity"),
				 errdetail("The weights of the rows add up to more than %g, the largest float8.", DBL_MAX),
				 errhint("Scale the weights down, e.g. divide them by their largest value: the fitted parameters depend only on their ratios.")));
	for (int j = 0; j < k; j++)
	{
		const double *s1 = GMM_STATS_S1(s) + (Size) j * d;
		const double *s2 = GMM_STATS_S2(s) + (Size) j * s2n;
		bool		bad = !isfinite(nk[j]);

		for (int i = 0; i < d; i++)
			bad |= !isfinite(s1[i]);
		for (Size i = 0; i < s2n; i++)
			bad |= !isfinite(s2[i]);
		if (unlikely(bad))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("values too large: the moments of component %d overflow float8", j + 1),
					 errdetail("The weighted sums of (x - mean)^2 exceed %g: values about 1e154 or more away from the means cannot be squared in float8.", DBL_MAX),
					 errhint("Rescale the data to moderate values, e.g. divide every value by the largest absolute value.")));
	}
	if (unlikely(!isfinite(s->sum_ll)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("values too large: the log-likelihood of the rows overflows float8"),
				 errdetail("A row lies so far from every component of the model that its log-density is below -%g.", DBL_MAX),
				 errhint("Rescale the data to moderate values, e.g. divide every value by the largest absolute value.")));
}

/* ---------------------------------------------------------------------
 * Validation of untrusted values (text and binary input)
 * ---------------------------------------------------------------------
 */

/* Error for a statistic that is not a finite number */
static inline void
check_finite(double x, const char *what)
{
	if (unlikely(!isfinite(x)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm_stats %s is %s", what, isnan(x) ? "NaN" : "infinite"),
				 errdetail("Every statistic must be a finite number.")));
}

/*
 * Check the sums of s against each other and against its header; the
 * embedded model has been validated already.  Replaces -0.0 by 0.0.
 */
static void
check_stats_values(GmmStats *s)
{
	const Gmm  *m = GMM_STATS_MODEL(s);
	int			k = s->k,
				d = s->d;
	Size		s2n = gmm_s2_count(s->cov_type, d);
	bool		packed = (s->cov_type == GMM_COV_FULL || s->cov_type == GMM_COV_TIED);
	double	   *v = GMM_STATS_NK(s);
	Size		n = gmm_stats_value_count(s->cov_type, k, d);
	double		mass = 0.0;

	if (m->k != k || m->d != d || m->cov_type != s->cov_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm_stats for %d components of dimension %d (%s) carry a model with %d components of dimension %d (%s)",
						k, d, gmm_cov_type_name(s->cov_type),
						m->k, m->d, gmm_cov_type_name(m->cov_type))));
	check_finite(s->sum_w, "sum of weights");
	check_finite(s->sum_ll, "sum of log-likelihoods");
	for (Size i = 0; i < n; i++)
	{
		check_finite(v[i], i < (Size) k ? "component weight" : "moment");
		if (v[i] == 0.0)
			v[i] = 0.0;
	}
	if (s->sum_ll == 0.0)
		s->sum_ll = 0.0;
	if (s->n_rows > GMM_STATS_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("gmm_stats row count " INT64_FORMAT " is out of range", s->n_rows),
				 errdetail("A gmm_stats value counts at most " INT64_FORMAT " rows.",
						   (int64) GMM_STATS_MAX_ROWS)));
	if (s->n_rows < 0 || s->sum_w < 0.0 || (s->n_rows == 0) != (s->sum_w == 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm_stats row count " INT64_FORMAT " and sum of weights %.17g are inconsistent",
						s->n_rows, s->sum_w),
				 errdetail("Both must be non-negative, and zero only together.")));
	for (int j = 0; j < k; j++)
	{
		const double *s2 = GMM_STATS_S2(s) + (Size) j * s2n;

		if (GMM_STATS_NK(s)[j] < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("gmm_stats weight %.17g of component %d is negative",
							GMM_STATS_NK(s)[j], j + 1)));
		mass += GMM_STATS_NK(s)[j];
		for (int i = 0; i < d; i++)
		{
			double		sii = packed ? s2[(Size) i * (i + 1) / 2 + i] : s2[i];

			if (sii < 0.0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("gmm_stats second moment %.17g of dimension %d of component %d is negative",
								sii, i + 1, j + 1),
						 errdetail("Second moments about the mean are sums of squares.")));
		}
	}
	if (fabs(mass - s->sum_w) > GMM_STATS_MASS_TOL * s->sum_w)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm_stats component weights sum to %.17g but the sum of row weights is %.17g",
						mass, s->sum_w),
				 errdetail("Responsibilities sum to one for every row, so the two sums must agree.")));
	if (s->sum_w == 0.0 && s->sum_ll != 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm_stats without rows have a non-zero sum of log-likelihoods")));
	if (s->flags & GMM_STATS_FLAG_OBSERVED)
	{
		int64		skipped = GMM_STATS_OBS(s)[0],
					missing = GMM_STATS_OBS(s)[1];

		if (skipped < 0 || skipped > GMM_STATS_MAX_ROWS || missing < 0 ||
			(double) missing > (double) s->n_rows * (s->d - 1))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("gmm_stats observed-data counts are out of range: " INT64_FORMAT " rows skipped, " INT64_FORMAT " values missing",
							skipped, missing),
					 errdetail("Both must be non-negative; each of the " INT64_FORMAT " rows accumulated has at most %d missing values.",
							   s->n_rows, s->d - 1)));
	}
}

/* ---------------------------------------------------------------------
 * JSON text form
 * ---------------------------------------------------------------------
 */

/* The JSON text of statistics */
static char *
gmm_stats_to_cstring(GmmStats *s)
{
	StringInfoData buf;
	int			k = s->k,
				d = s->d;
	Size		n;

	/* the same bound on the text and jsonb forms as a model's (gmm_size) */
	n = add_size(gmm_stats_value_count(s->cov_type, k, d), gmm_value_count(s->cov_type, k, d));
	if (n > GMM_MAX_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gmm_stats of %d component%s of dimension %d (%s) is too large for its text and jsonb forms",
						k, k == 1 ? "" : "s", d, gmm_cov_type_name(s->cov_type)),
				 errdetail("It holds %zu float8 values with its model; the text and jsonb forms fit PostgreSQL's limits (1 GB for text, 256 MB for jsonb) only up to about %d values.",
						   n, GMM_MAX_VALUES),
				 errhint("Turn the statistics into a model with gmm_stats_to_model, or keep them in binary form (COPY ... (FORMAT binary)).")));
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"covariance_type\":\"%s\",\"n_components\":%d,\"dimension\":%d,\"n_rows\":" INT64_FORMAT ",\"sum_weights\":",
					 gmm_cov_type_name(s->cov_type), k, d, s->n_rows);
	gmm_json_append_double(&buf, s->sum_w);
	if (s->flags & GMM_STATS_FLAG_OBSERVED)
		appendStringInfo(&buf, ",\"n_rows_skipped\":" INT64_FORMAT ",\"n_values_missing\":" INT64_FORMAT,
						 GMM_STATS_OBS(s)[0], GMM_STATS_OBS(s)[1]);
	appendStringInfoString(&buf, ",\"sum_log_likelihood\":");
	gmm_json_append_double(&buf, s->sum_ll);
	appendStringInfoString(&buf, ",\"nk\":");
	gmm_json_append_vector(&buf, GMM_STATS_NK(s), k);
	appendStringInfoString(&buf, ",\"s1\":");
	gmm_json_append_matrix(&buf, GMM_STATS_S1(s), k, d);
	appendStringInfoString(&buf, ",\"s2\":");
	gmm_json_append_matrix(&buf, GMM_STATS_S2(s), k, (int) gmm_s2_count(s->cov_type, d));
	appendStringInfoString(&buf, ",\"model\":");
	appendStringInfoString(&buf, gmm_to_cstring(GMM_STATS_MODEL(s)));
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Errors of the text form */
static const GmmJsonContext stats_json = {
	"gmm_stats",
	"A gmm_stats value is a JSON object with keys \"n_rows\", \"sum_weights\", \"sum_log_likelihood\", \"nk\", \"s1\", \"s2\" and \"model\"."
};

/* Error context while the embedded model is read */
static void
model_error_context(void *arg pg_attribute_unused())
{
	errcontext("in the \"model\" of a gmm_stats value");
}

/* The embedded model, read and validated by the gmm type's own jsonb cast */
static Gmm *
read_model(const JsonbValue *v)
{
	ErrorContextCallback cb;
	Gmm		   *m;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		gmm_json_error(&stats_json, "\"model\" must be a JSON object");
	cb.callback = model_error_context;
	cb.arg = NULL;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	m = gmm_from_jsonb(JsonbValueToJsonb((JsonbValue *) v));
	error_context_stack = cb.previous;
	return m;
}

/* Build and validate statistics from a jsonb object */
static GmmStats *
gmm_stats_from_jsonb(Jsonb *jb)
{
	static const char *const keys[] = {
		"n_rows", "sum_weights", "sum_log_likelihood", "nk", "s1", "s2", "model",
		"n_rows_skipped", "n_values_missing"
	};
	const int	nrequired = 7;	/* the two counts are optional, but go together */
	static const char *const nkw[] = {"component weights"};
	static const char *const s1w[] = {"components", "first moments"};
	static const char *const s2w[] = {"components", "second moments"};
	JsonbValue *vals[lengthof(keys)] = {0};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	char	   *type_name = NULL;
	int			nk = -1,
				nd = -1;
	int			dims[2];
	Gmm		   *m;
	GmmStats   *s;

	gmm_json_check_object(&stats_json, jb);
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int			i;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (strcmp(key, "covariance_type") == 0)
		{
			if (v.type != jbvString)
				gmm_json_error(&stats_json, "\"covariance_type\" must be a string");
			type_name = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (strcmp(key, "n_components") == 0)
		{
			nk = (int) gmm_json_integer(&stats_json, &v, key, PG_INT32_MAX);
			continue;
		}
		if (strcmp(key, "dimension") == 0)
		{
			nd = (int) gmm_json_integer(&stats_json, &v, key, PG_INT32_MAX);
			continue;
		}
		for (i = 0; i < (int) lengthof(keys); i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (i == (int) lengthof(keys))
			gmm_json_error(&stats_json, "unknown key \"%s\"", key);
		vals[i] = gmm_json_copy(&v);
	}
	for (int i = 0; i < (int) lengthof(keys); i++)
		if (vals[i] == NULL && (i < nrequired || vals[7] || vals[8]))
			gmm_json_error(&stats_json, "missing key \"%s\"", keys[i]);

	m = read_model(vals[6]);
	if (type_name != NULL && gmm_parse_cov_type(type_name) != m->cov_type)
		gmm_json_error(&stats_json, "\"covariance_type\" is \"%s\" but the model's is \"%s\"",
				   type_name, gmm_cov_type_name(m->cov_type));
	if (nk >= 0 && nk != m->k)
		gmm_json_error(&stats_json, "\"n_components\" is %d but the model has %d components", nk, m->k);
	if (nd >= 0 && nd != m->d)
		gmm_json_error(&stats_json, "\"dimension\" is %d but the model has dimension %d", nd, m->d);

	s = gmm_stats_alloc(m, gmm_stats_fingerprint(m));
	s->n_rows = gmm_json_integer(&stats_json, vals[0], "n_rows", GMM_STATS_MAX_ROWS);
	s->sum_w = gmm_json_number(&stats_json, vals[1], "sum_weights");
	s->sum_ll = gmm_json_number(&stats_json, vals[2], "sum_log_likelihood");
	if (vals[7])
	{
		s = gmm_stats_make_observed(s);
		GMM_STATS_OBS(s)[0] = gmm_json_integer(&stats_json, vals[7], "n_rows_skipped",
											   GMM_STATS_MAX_ROWS);
		GMM_STATS_OBS(s)[1] = gmm_json_integer(&stats_json, vals[8], "n_values_missing",
											   GMM_STATS_MAX_ROWS);
	}
	dims[0] = s->k;
	dims[1] = s->d;
	gmm_json_read(&stats_json, vals[3], dims, 1, "nk", nkw, GMM_STATS_NK(s));
	gmm_json_read(&stats_json, vals[4], dims, 2, "s1", s1w, GMM_STATS_S1(s));
	dims[1] = (int) gmm_s2_count(s->cov_type, s->d);
	gmm_json_read(&stats_json, vals[5], dims, 2, "s2", s2w, GMM_STATS_S2(s));
	check_stats_values(s);
	return s;
}

PG_FUNCTION_INFO_V1(gmm_stats_in);
/* Text input: a JSON object */
Datum
gmm_stats_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Jsonb	   *jb;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	PG_RETURN_GMM_STATS_P(gmm_stats_from_jsonb(jb));
}

PG_FUNCTION_INFO_V1(gmm_stats_out);
/* Text output: a JSON object with shortest exact floats */
Datum
gmm_stats_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(gmm_stats_to_cstring(PG_GETARG_GMM_STATS_SETTLED(0)));
}

PG_FUNCTION_INFO_V1(gmm_stats_to_jsonb);
/* Cast gmm_stats to jsonb */
Datum
gmm_stats_to_jsonb(PG_FUNCTION_ARGS)
{
	char	   *str = gmm_stats_to_cstring(PG_GETARG_GMM_STATS_SETTLED(0));

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(str));
}

PG_FUNCTION_INFO_V1(gmm_stats_from_jsonb_cast);
/* Cast jsonb to gmm_stats */
Datum
gmm_stats_from_jsonb_cast(PG_FUNCTION_ARGS)
{
	PG_RETURN_GMM_STATS_P(gmm_stats_from_jsonb(PG_GETARG_JSONB_P(0)));
}

/* ---------------------------------------------------------------------
 * Binary form: header fields, the model in the gmm type's binary form
 * (length first), then the sums, all in network order
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(gmm_stats_send);
/* Binary output */
Datum
gmm_stats_send(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_SETTLED(0);
	bytea	   *model;
	StringInfoData buf;
	Size		n = gmm_stats_value_count(s->cov_type, s->k, s->d);
	const double *v = GMM_STATS_NK(s);

	model = gmm_to_binary(GMM_STATS_MODEL(s));
	pq_begintypsend(&buf);
	pq_sendint8(&buf, s->version);
	pq_sendint8(&buf, s->cov_type);
	pq_sendint16(&buf, s->flags);
	pq_sendint32(&buf, s->k);
	pq_sendint32(&buf, s->d);
	pq_sendint64(&buf, s->n_rows);
	pq_sendfloat8(&buf, s->sum_w);
	pq_sendfloat8(&buf, s->sum_ll);
	pq_sendint32(&buf, VARSIZE_ANY_EXHDR(model));
	pq_sendbytes(&buf, VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model));
	for (Size i = 0; i < n; i++)
		pq_sendfloat8(&buf, v[i]);
	if (s->flags & GMM_STATS_FLAG_OBSERVED)
	{
		pq_sendint64(&buf, GMM_STATS_OBS(s)[0]);
		pq_sendint64(&buf, GMM_STATS_OBS(s)[1]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Error for a malformed binary value */
#define binary_error(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), \
			 errmsg(__VA_ARGS__)))

PG_FUNCTION_INFO_V1(gmm_stats_recv);
/* Binary input, validated exactly like the text form */
Datum
gmm_stats_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version,
				cov_type,
				flags,
				k,
				d,
				model_len;
	int64		n_rows;
	double		sum_w,
				sum_ll;
	StringInfoData mbuf;
	Gmm		   *m;
	GmmStats   *s;
	Size		n;
	double	   *v;

	version = pq_getmsgint(buf, 1);
	cov_type = pq_getmsgint(buf, 1);
	flags = pq_getmsgint(buf, 2);
	k = pq_getmsgint(buf, 4);
	d = pq_getmsgint(buf, 4);
	if (version != GMM_STATS_FORMAT_VERSION)
		binary_error("unsupported gmm_stats binary format version %d", version);
	if (cov_type < 0 || cov_type >= GMM_NUM_COV_TYPES)
		binary_error("invalid gmm_stats covariance type code %d", cov_type);
	if (flags != 0 && flags != GMM_STATS_FLAG_OBSERVED)
		binary_error("invalid gmm_stats flags %d", flags);
	gmm_check_shape(k, d);
	n_rows = pq_getmsgint64(buf);
	sum_w = pq_getmsgfloat8(buf);
	sum_ll = pq_getmsgfloat8(buf);
	model_len = pq_getmsgint(buf, 4);
	if (model_len < 0 || model_len > buf->len - buf->cursor)
		binary_error("gmm_stats binary value announces a model of %d bytes but has %d bytes left",
					 model_len, buf->len - buf->cursor);

	/* the model, read and validated by the gmm type's receive function */
	initStringInfo(&mbuf);
	appendBinaryStringInfo(&mbuf, buf->data + buf->cursor, model_len);
	buf->cursor += model_len;
	m = gmm_from_binary(&mbuf);
	if (m->k != k || m->d != d || m->cov_type != cov_type)
		binary_error("gmm_stats binary value for %d components of dimension %d (%s) carries a model with %d components of dimension %d (%s)",
					 k, d, gmm_cov_type_name(cov_type),
					 m->k, m->d, gmm_cov_type_name(m->cov_type));

	n = gmm_stats_value_count(cov_type, k, d);
	if ((Size) (buf->len - buf->cursor) != n * sizeof(float8) +
		(flags ? 2 * sizeof(int64) : 0))
		binary_error("gmm_stats binary value has %d bytes of statistics where %zu were expected",
					 buf->len - buf->cursor, n * sizeof(float8) + (flags ? 2 * sizeof(int64) : 0));
	s = gmm_stats_alloc(m, gmm_stats_fingerprint(m));
	s->n_rows = n_rows;
	s->sum_w = sum_w;
	s->sum_ll = sum_ll;
	v = GMM_STATS_NK(s);
	for (Size i = 0; i < n; i++)
		v[i] = pq_getmsgfloat8(buf);
	if (flags)
	{
		s = gmm_stats_make_observed(s);
		GMM_STATS_OBS(s)[0] = pq_getmsgint64(buf);
		GMM_STATS_OBS(s)[1] = pq_getmsgint64(buf);
	}
	check_stats_values(s);
	PG_RETURN_GMM_STATS_P(s);
}

/* ---------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(gmm_stats_model);
/* the model the statistics were collected under */
Datum
gmm_stats_model(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_P(0);
	Gmm		   *m = palloc(s->model_size);

	memcpy(m, GMM_STATS_MODEL(s), s->model_size);
	PG_RETURN_GMM_P(m);
}

PG_FUNCTION_INFO_V1(gmm_stats_n_rows);
/* rows accumulated */
Datum
gmm_stats_n_rows(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_P(0);

	PG_RETURN_INT64(s->n_rows + s->n_pending);
}

PG_FUNCTION_INFO_V1(gmm_stats_weight);
/* total row weight accumulated */
Datum
gmm_stats_weight(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(PG_GETARG_GMM_STATS_SETTLED(0)->sum_w);
}

PG_FUNCTION_INFO_V1(gmm_stats_log_likelihood);
/* mean log-likelihood per row (unit of weight) under the model; NULL without rows */
Datum
gmm_stats_log_likelihood(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_SETTLED(0);

	if (s->sum_w <= 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->sum_ll / s->sum_w);
}

PG_FUNCTION_INFO_V1(gmm_stats_counts);
/* soft counts: the sum of each component's responsibilities, float8[k] */
Datum
gmm_stats_counts(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_SETTLED(0);

	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(GMM_STATS_NK(s), s->k));
}
