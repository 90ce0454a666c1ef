/*
 * kernel/model.c
 *	  The gmm model over plain memory: layout sizes and limits, covariance-type
 *	  names, parameter counts, the information criteria, validation and the
 *	  canonical form.  The SQL functions of the type are in gmm_type.c, its
 *	  I/O in gmm_io.c.
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "kernel/fitopts.h"
#include "kernel/linalg.h"
#include "kernel/model.h"
#include "kernel/vb.h"
#include "kernel/missing.h"

static const char *const cov_type_names[GMM_NUM_COV_TYPES] = {
	"full", "diag", "spherical", "tied"
};

/* Number of covariance values stored for a model of this shape */
Size
gmm_cov_count(int cov_type, int k, int d)
{
	switch (cov_type)
	{
		case GMM_COV_FULL:
			return mul_size(mul_size(k, d), d);
		case GMM_COV_DIAG:
			return mul_size(k, d);
		case GMM_COV_SPHERICAL:
			return (Size) k;
		case GMM_COV_TIED:
			return mul_size(d, d);
	}
	elog(ERROR, "unknown covariance type %d", cov_type);
	return 0;
}

/* Number of float8 values after the header */
Size
gmm_value_count(int cov_type, int k, int d)
{
	return add_size(add_size(k, mul_size(k, d)), gmm_cov_count(cov_type, k, d));
}

/*
 * Do the text form (at most 24 characters and a separator per float, as
 * json.c prints them, and 2 brackets per array) and the jsonb form (at most
 * a 20-byte numeric and its 4-byte entry per float, 8 bytes per array;
 * jsonb containers are limited to 256 MB) of a value holding n floats in
 * n_arrays JSON arrays fit PostgreSQL's limits?  1024 bytes cover the keys.
 */
static bool
gmm_forms_fit(Size n, Size n_arrays)
{
	double		text = 1024.0 + 25.0 * n + 2.0 * n_arrays,
				jsonb = 1024.0 + 24.0 * n + 8.0 * n_arrays;

	return text <= (double) (MaxAllocSize - 1) && jsonb <= (double) GMM_JSONB_MAX_BYTES;
}

/* JSON arrays in the text form of a model of this shape */
static Size
gmm_array_count(int cov_type, int k, int d)
{
	Size		n = 2 + (Size) k;	/* weights, means and its rows */

	switch (cov_type)
	{
		case GMM_COV_FULL:
			return n + 1 + (Size) k + (Size) k * d;
		case GMM_COV_DIAG:
			return n + 1 + (Size) k;
		case GMM_COV_TIED:
			return n + 1 + (Size) d;
		default:
			return n + 1;
	}
}

/*
 * Total varlena size, erroring out for a model whose binary form would pass
 * the 1 GB varlena limit or whose text or jsonb form could pass theirs
 * (so that every model that exists can be printed, dumped and cast)
 */
static Size
gmm_size(int cov_type, int k, int d)
{
	Size		sz,
				n = gmm_value_count(cov_type, k, d);

	sz = add_size(GMM_HEADER_SIZE, mul_size(sizeof(float8), n));
	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gmm with %d components of dimension %d is too large", k, d),
				 errdetail("The model would take %zu bytes; the limit is %zu.",
						   sz, (Size) MaxAllocSize)));
	if (!gmm_forms_fit(n, gmm_array_count(cov_type, k, d)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gmm with %d component%s of dimension %d (%s) is too large",
						k, k == 1 ? "" : "s", d, gmm_cov_type_name(cov_type)),
				 errdetail("The model would hold %zu float8 values; its text and jsonb forms fit PostgreSQL's limits (1 GB for text, 256 MB for jsonb) only up to about %d values.",
						   n, GMM_MAX_VALUES),
				 (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED) ?
				 errhint("Use fewer components or dimensions, or a covariance_type with fewer parameters such as \"diag\".") :
				 errhint("Use fewer components or dimensions.")));
	return sz;
}

/* Check k and d against their limits */
void
gmm_check_shape(int k, int d)
{
	if (k < 1 || k > GMM_MAX_K)
		ereport(ERROR,
				(errcode(k < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("number of components %d is out of range", k),
				 errdetail("A gmm has between 1 and %d components.", GMM_MAX_K)));
	if (d < 1 || d > GMM_MAX_D)
		ereport(ERROR,
				(errcode(d < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("dimension %d is out of range", d),
				 errdetail("A gmm has between 1 and %d dimensions.", GMM_MAX_D)));
}

/* Allocate a zeroed model of the given shape (no validation of values) */
Gmm *
gmm_alloc(int cov_type, int k, int d)
{
	Size		sz;
	Gmm		   *m;

	gmm_check_shape(k, d);
	sz = gmm_size(cov_type, k, d);
	m = (Gmm *) palloc0(sz);
	SET_VARSIZE(m, sz);
	m->version = GMM_FORMAT_VERSION;
	m->cov_type = (uint8) cov_type;
	m->k = k;
	m->d = d;
	return m;
}

/* The covariance type named name, or -1 */
int
gmm_cov_type_from_name(const char *name)
{
	for (int i = 0; i < GMM_NUM_COV_TYPES; i++)
		if (strcmp(name, cov_type_names[i]) == 0)
			return i;
	return -1;
}

/* Parse a covariance type name: an error unless it names one */
int
gmm_parse_cov_type(const char *name)
{
	int			t = gmm_cov_type_from_name(name);

	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid covariance type \"%s\"", name),
				 errhint(GMM_COV_TYPE_HINT)));
	return t;
}

/* Name of a covariance type */
const char *
gmm_cov_type_name(int cov_type)
{
	if (cov_type < 0 || cov_type >= GMM_NUM_COV_TYPES)
		elog(ERROR, "unknown covariance type %d", cov_type);
	return cov_type_names[cov_type];
}

/* Free parameters of the model, as scikit-learn counts them for BIC/AIC */
double
gmm_n_parameters(const Gmm *m)
{
	return gmm_n_parameters_kd(m->cov_type, m->k, m->d);
}

/* Free parameters of a model of this shape */
double
gmm_n_parameters_kd(int cov_type, int k_, int d_)
{
	double		k = k_,
				d = d_,
				cov;

	switch (cov_type)
	{
		case GMM_COV_FULL:
			cov = k * d * (d + 1) / 2.0;
			break;
		case GMM_COV_DIAG:
			cov = k * d;
			break;
		case GMM_COV_TIED:
			cov = d * (d + 1) / 2.0;
			break;
		default:
			cov = k;
			break;
	}
	return cov + k * d + k - 1;
}

/*
 * The information criterion of a fit: -2 sum_ll + n_params ln n (BIC) or
 * -2 sum_ll + 2 n_params (AIC), sum_ll the total log-likelihood of n rows
 * (or units of weight)
 */
double
gmm_information_criterion(int criterion, double sum_ll, double n, double n_params)
{
	return -2.0 * sum_ll + (criterion == GMM_CRITERION_AIC ? 2.0 * n_params : n_params * log(n));
}

/* The full d x d covariance matrix of component j (0-based) */
void
gmm_full_covariance(const Gmm *m, int j, double *out)
{
	int			d = m->d;
	const double *c = GMM_COVS(m);

	switch (m->cov_type)
	{
		case GMM_COV_FULL:
			memcpy(out, c + (Size) j * d * d, sizeof(double) * d * d);
			break;
		case GMM_COV_TIED:
			memcpy(out, c, sizeof(double) * d * d);
			break;
		case GMM_COV_DIAG:
			memset(out, 0, sizeof(double) * d * d);
			for (int i = 0; i < d; i++)
				out[(Size) i * d + i] = c[(Size) j * d + i];
			break;
		case GMM_COV_SPHERICAL:
			memset(out, 0, sizeof(double) * d * d);
			for (int i = 0; i < d; i++)
				out[(Size) i * d + i] = c[j];
			break;
	}
}

/* float8 values of the selection table */
static Size
selection_count(const Gmm *m)
{
	return (Size) m->n_selection * GMM_SEL_FIELDS;
}

/*
 * The float8 values of the sections (length words included), walking them
 * within "avail" values; -1 when they do not fit (a malformed value)
 */
static int64
sections_count(const Gmm *m, Size avail)
{
	const double *p = GMM_SELECTION(m) + selection_count(m);
	Size		used = 0;

	for (int flag = 1; flag <= GMM_FLAG_MASK; flag <<= 1)
	{
		double		len;

		if (!(flag & GMM_SECTION_FLAGS) || !(m->flags & flag))
			continue;
		if (used + 1 > avail)
			return -1;
		len = p[used];
		if (!(len >= 0 && len <= GMM_MAX_SECTION && len == floor(len)) ||
			used + 1 + (Size) len > avail)
			return -1;
		used += 1 + (Size) len;
	}
	return (int64) used;
}

Size
gmm_trailer_count(const Gmm *m)
{
	int64		n = sections_count(m, (Size) GMM_MAX_SECTION * 8);

	Assert(n >= 0);
	return selection_count(m) + (Size) n;
}

const double *
gmm_section(const Gmm *m, int flag, int *n)
{
	const double *p = GMM_SELECTION(m) + selection_count(m);

	Assert(flag & GMM_SECTION_FLAGS);
	if (!(m->flags & flag))
	{
		*n = 0;
		return NULL;
	}
	for (int f = 1; f < flag; f <<= 1)
		if ((f & GMM_SECTION_FLAGS) && (m->flags & f))
			p += 1 + (Size) p[0];
	*n = (int) p[0];
	return p + 1;
}

/*
 * A copy of m with the given selection table (n rows, or none when n = 0)
 * and sections: section "flag" becomes vals[nv] (flag 0: sections kept)
 */
static Gmm *
gmm_rebuild(const Gmm *m, const double *rows, int n, int flag,
			const double *vals, int nv)
{
	Size		base = gmm_size(m->cov_type, m->k, m->d);
	Size		count = mul_size(n, GMM_SEL_FIELDS);
	Size		sz;
	Gmm		   *c;
	double	   *p;

	for (int f = 1; f <= GMM_FLAG_MASK; f <<= 1)
	{
		int			len;

		if (!(f & GMM_SECTION_FLAGS))
			continue;
		if (f == flag)
			count = add_size(count, 1 + (Size) nv);
		else if (gmm_section(m, f, &len) != NULL)
			count = add_size(count, 1 + (Size) len);
	}
	sz = add_size(base, mul_size(sizeof(float8), count));
	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gmm with a selection table of %d rows is too large", n)));
	c = (Gmm *) palloc(sz);
	memcpy(c, m, base);
	SET_VARSIZE(c, sz);
	c->n_selection = n;
	c->flags = (m->flags & ~(GMM_FLAG_SELECTION | GMM_SECTION_FLAGS)) |
		(n > 0 ? GMM_FLAG_SELECTION : 0) | flag;
	if (n > 0)
		memcpy(GMM_SELECTION(c), rows, sizeof(float8) * n * GMM_SEL_FIELDS);
	p = GMM_SELECTION(c) + (Size) n * GMM_SEL_FIELDS;
	for (int f = 1; f <= GMM_FLAG_MASK; f <<= 1)
	{
		const double *src;
		int			len;

		if (!(f & GMM_SECTION_FLAGS))
			continue;
		if (f == flag)
			src = vals, len = nv;
		else if ((src = gmm_section(m, f, &len)) == NULL)
			continue;
		c->flags |= f;
		*p++ = (double) len;
		if (len > 0)
			memcpy(p, src, sizeof(float8) * len);
		p += len;
	}
	c->version = (c->flags & (GMM_FLAG_SELECTION | GMM_SECTION_FLAGS)) ?
		GMM_FORMAT_VERSION_SELECTION : GMM_FORMAT_VERSION;
	return c;
}

/*
 * A copy of fitted model m carrying the selection table rows[n][4] (k,
 * log_likelihood, n_iter, converged), in format version 2; m's sections
 * are kept
 */
Gmm *
gmm_with_selection(const Gmm *m, const double *rows, int n)
{
	Assert(GMM_IS_FITTED(m) && n >= 1);
	return gmm_rebuild(m, rows, n, 0, NULL, 0);
}

/* A copy of fitted model m with section "flag" set to vals[n] */
Gmm *
gmm_with_section(const Gmm *m, int flag, const double *vals, int n)
{
	Assert(GMM_IS_FITTED(m) && (flag & GMM_SECTION_FLAGS) &&
		   (flag & (flag - 1)) == 0 && n >= 0 && n <= GMM_MAX_SECTION);
	return gmm_rebuild(m, GMM_SELECTION(m), m->n_selection, flag, vals, n);
}

/*
 * The observed-data section (kernel/missing.h): rows used, rows skipped,
 * values missing; whole numbers from 0 to 2^53, at least one row used
 */
static void
observed_section_check(const double *vals, int n)
{
	if (n != GMM_OBS_FIELDS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid gmm fit metadata"),
				 errdetail("The observed-data section has %d values instead of %d.",
						   n, GMM_OBS_FIELDS)));
	for (int i = 0; i < n; i++)
		if (!(vals[i] >= 0.0 && vals[i] <= 9007199254740992.0 && vals[i] == floor(vals[i])))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("invalid gmm fit metadata"),
					 errdetail("Value %d of the observed-data section is %g, not a count.",
							   i + 1, vals[i])));
	if (vals[GMM_OBS_ROWS_USED] < 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid gmm fit metadata"),
				 errdetail("The observed-data section counts no row used.")));
}

/*
 * What a section may hold, checked by gmm_validate: an error naming the
 * problem.  Each kind of section adds its own rules here.
 */
static void
gmm_section_check(const Gmm *m, int flag, const double *vals, int n)
{
	(void) m;
	for (int i = 0; i < n; i++)
		if (!isfinite(vals[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("invalid gmm fit metadata"),
					 errdetail("Value %d of the %s section is not finite.", i + 1,
							   flag == GMM_FLAG_OBSERVED ? "observed-data" : "posterior")));
	if (flag == GMM_FLAG_BAYES)
		gmm_vb_section_check(m, vals, n);
	if (flag == GMM_FLAG_OBSERVED)
		observed_section_check(vals, n);
}

/* A 64-bit hash of the model's bytes */
uint64
gmm_fingerprint(const Gmm *m)
{
	return hash_bytes_extended((const unsigned char *) m, VARSIZE(m), 0x676d6d);
}

/* ---------------------------------------------------------------------
 * Validation, shared by every entry point that takes untrusted input
 * ---------------------------------------------------------------------
 */

/* Record a problem for gmm_model_check; always false */
static bool
problem(GmmProblem *pb, GmmProblemKind kind, int comp, const char *what, double value)
{
	memset(pb, 0, sizeof(GmmProblem));
	pb->kind = kind;
	pb->component = comp;
	pb->what = what;
	pb->value = value;
	return false;
}

/* Is x NaN or infinite? */
static inline bool
not_finite(double x)
{
	return unlikely(isnan(x) || isinf(x));
}

/* Check m's values without throwing (see model.h) */
bool
gmm_model_check(const Gmm *m, int checks, double *work, GmmProblem *pb)
{
	int			k = m->k,
				d = m->d;
	const double *w = GMM_WEIGHTS(m);
	const double *mu = GMM_MEANS(m);
	const double *c = GMM_COVS(m);
	double		wsum = 0.0;

	for (int j = 0; j < k; j++)
	{
		if (not_finite(w[j]))
			return problem(pb, GMM_PROBLEM_NONFINITE, j + 1, "weight", w[j]);
		if ((checks & GMM_CHECK_WEIGHT_SUM) && w[j] < 0.0)
			return problem(pb, GMM_PROBLEM_NEGATIVE_WEIGHT, j + 1, NULL, w[j]);
		wsum += w[j];
		for (int i = 0; i < d; i++)
			if (not_finite(mu[(Size) j * d + i]))
				return problem(pb, GMM_PROBLEM_NONFINITE, j + 1, "mean", mu[(Size) j * d + i]);
	}
	if ((checks & GMM_CHECK_WEIGHT_SUM) && fabs(wsum - 1.0) > GMM_WEIGHT_SUM_TOL)
		return problem(pb, GMM_PROBLEM_WEIGHT_SUM, 0, NULL, wsum);

	switch (m->cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			{
				int			nmat = (m->cov_type == GMM_COV_FULL) ? k : 1;

				for (int j = 0; j < nmat; j++)
				{
					const double *a = c + (Size) j * d * d;
					int			info;

					for (Size i = 0; i < (Size) d * d; i++)
						if (not_finite(a[i]))
							return problem(pb, GMM_PROBLEM_NONFINITE, j + 1, "covariance", a[i]);
					if (checks & GMM_CHECK_SYMMETRY)
						for (int i = 0; i < d; i++)
							for (int t = 0; t < i; t++)
							{
								double		aij = a[(Size) i * d + t],
											aji = a[(Size) t * d + i],
											scale = sqrt(fabs(a[(Size) i * d + i] * a[(Size) t * d + t]));

								if (fabs(aij - aji) > GMM_SYMMETRY_TOL * scale)
								{
									problem(pb, GMM_PROBLEM_NOT_SYMMETRIC, j + 1, NULL, aij);
									pb->row = i;
									pb->col = t;
									pb->value2 = aji;
									return false;
								}
							}
					memcpy(work, a, sizeof(double) * d * d);
					info = gmm_cholesky(work, d);
					if (info != 0)
					{
						problem(pb, GMM_PROBLEM_NOT_PD, j + 1, NULL, 0.0);
						pb->minor = info;
						return false;
					}
				}
				break;
			}
		case GMM_COV_DIAG:
		case GMM_COV_SPHERICAL:
			{
				Size		n = (m->cov_type == GMM_COV_DIAG) ? (Size) k * d : (Size) k;
				int			per = (m->cov_type == GMM_COV_DIAG) ? d : 1;

				for (Size i = 0; i < n; i++)
				{
					if (not_finite(c[i]))
						return problem(pb, GMM_PROBLEM_NONFINITE, (int) (i / per) + 1, "covariance", c[i]);
					if (!(c[i] > 0.0))
						return problem(pb, GMM_PROBLEM_VARIANCE, (int) (i / per) + 1, NULL, c[i]);
				}
				break;
			}
	}
	return true;
}

/* The error gmm_validate raises for a problem gmm_model_check found */
static void
pg_attribute_noreturn()
report_problem(const GmmProblem *pb)
{
	switch (pb->kind)
	{
		case GMM_PROBLEM_NONFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s of component %d is %s", pb->what, pb->component,
							isnan(pb->value) ? "NaN" : "infinite"),
					 errdetail("Every parameter of a gmm must be a finite number.")));
			break;
		case GMM_PROBLEM_NEGATIVE_WEIGHT:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("weight %.17g of component %d is negative", pb->value, pb->component),
					 errhint("Mixture weights must be non-negative and sum to 1.")));
			break;
		case GMM_PROBLEM_WEIGHT_SUM:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("weights sum to %.17g, not 1", pb->value),
					 errdetail("The sum must be within %g of 1.", GMM_WEIGHT_SUM_TOL),
					 errhint("Divide the weights by their sum.")));
			break;
		case GMM_PROBLEM_NOT_SYMMETRIC:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("covariance matrix of component %d is not symmetric", pb->component),
					 errdetail("Element [%d][%d] is %.17g but element [%d][%d] is %.17g.",
							   pb->row + 1, pb->col + 1, pb->value,
							   pb->col + 1, pb->row + 1, pb->value2)));
			break;
		case GMM_PROBLEM_NOT_PD:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("covariance matrix of component %d is not positive definite", pb->component),
					 errdetail("Its leading minor of order %d is not positive definite.", pb->minor),
					 errhint("Check for linearly dependent dimensions, or add a small ridge to the diagonal.")));
			break;
		case GMM_PROBLEM_VARIANCE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("variance %.17g of component %d is not positive", pb->value, pb->component),
					 errhint("Variances of diag and spherical models must be greater than zero.")));
			break;
		case GMM_PROBLEM_NONE:
			break;
	}
	elog(ERROR, "unexpected gmm model problem %d", (int) pb->kind);
}

/* Full validation of a model's header and values; errors out on the first problem */
void
gmm_validate(const Gmm *m)
{
	int			k = m->k,
				d = m->d;
	double	   *work;
	GmmProblem	pb;

	if (m->version != GMM_FORMAT_VERSION && m->version != GMM_FORMAT_VERSION_SELECTION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("unsupported gmm format version %d", m->version)));
	if (m->cov_type >= GMM_NUM_COV_TYPES)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid gmm covariance type code %d", m->cov_type)));
	if ((m->flags & ~GMM_FLAG_MASK) != 0 ||
		(m->version == GMM_FORMAT_VERSION &&
		 ((m->flags & (GMM_FLAG_SELECTION | GMM_SECTION_FLAGS)) || m->n_selection != 0)) ||
		(m->version == GMM_FORMAT_VERSION_SELECTION &&
		 (!(m->flags & (GMM_FLAG_SELECTION | GMM_SECTION_FLAGS)) || !GMM_IS_FITTED(m))) ||
		((m->flags & GMM_FLAG_SELECTION) ?
		 (m->n_selection < 1 || m->n_selection > GMM_MAX_K) : m->n_selection != 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid gmm flags %d", (int) m->flags)));
	gmm_check_shape(k, d);
	{
		Size		base = gmm_size(m->cov_type, k, d) +
			sizeof(float8) * selection_count(m);
		int64		nsec = -1;

		if (VARSIZE(m) >= base && (VARSIZE(m) - base) % sizeof(float8) == 0)
			nsec = sections_count(m, (VARSIZE(m) - base) / sizeof(float8));
		if (nsec < 0 || VARSIZE(m) != base + sizeof(float8) * (Size) nsec)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("gmm size %u does not match %d components of dimension %d",
							(unsigned) VARSIZE(m), k, d)));
	}
	for (int f = 1; f <= GMM_FLAG_MASK; f <<= 1)
	{
		const double *vals;
		int			n;

		if ((f & GMM_SECTION_FLAGS) && (vals = gmm_section(m, f, &n)) != NULL)
			gmm_section_check(m, f, vals, n);
	}
	for (int r = 0; r < m->n_selection; r++)
	{
		const double *row = GMM_SELECTION(m) + (Size) r * GMM_SEL_FIELDS;

		if (!(row[0] >= 1 && row[0] <= GMM_MAX_K && row[0] == floor(row[0])) ||
			(r > 0 && !(row[0] > row[-GMM_SEL_FIELDS])) ||
			!isfinite(row[1]) ||
			!(row[2] >= 0 && row[2] <= PG_INT32_MAX && row[2] == floor(row[2])) ||
			!(row[3] == 0.0 || row[3] == 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("invalid row %d of the gmm selection table", r + 1),
					 errdetail("Each row has an integer k between 1 and %d (increasing), a finite log_likelihood, an integer n_iter >= 0 and converged true or false.",
							   GMM_MAX_K)));
	}

	work = palloc(sizeof(double) * d * d);
	if (!gmm_model_check(m, GMM_CHECK_ALL, work, &pb))
		report_problem(&pb);
	pfree(work);

	if (GMM_IS_FITTED(m))
	{
		if (!isfinite(m->n_seen) || m->n_seen < 0 || !isfinite(m->log_likelihood) || m->n_iter < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("invalid gmm fit metadata"),
					 errdetail("n_rows must be a non-negative number, log_likelihood finite and n_iter non-negative.")));
	}
	else if (m->n_seen != 0 || m->log_likelihood != 0 || m->n_iter != 0 ||
			 (m->flags & GMM_FLAG_CONVERGED))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("gmm without fit metadata has non-zero metadata fields")));
}

/* Replace -0.0 by 0.0 so that the text form round-trips bit-exactly */
void
gmm_canonicalize(Gmm *m)
{
	Size		n = gmm_value_count(m->cov_type, m->k, m->d) +
		gmm_trailer_count(m);

	for (Size i = 0; i < n; i++)
		if (m->data[i] == 0.0)
			m->data[i] = 0.0;
	if (m->n_seen == 0.0)
		m->n_seen = 0.0;
	if (m->log_likelihood == 0.0)
		m->log_likelihood = 0.0;
}
