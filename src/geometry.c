/*
 * geometry.c
 *	  The shape of a mixture's components: confidence ellipses of a pair of
 *	  dimensions (centre, angle, semi-axes, and polygon points for
 *	  plotting), and membership of a point in a component's confidence
 *	  region, and gmm_chi2_quantile (the kernel is in kernel/special.c).
 *	  Divergences between components are in divergence.c.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "gmm.h"
#include "score_cache.h"
#include "kernel/special.h"
#include "kernel/linalg.h"

/* polygon sizes accepted by gmm_ellipse_points */
#define GMM_MIN_POLYGON 3
#define GMM_MAX_POLYGON 100000

PG_FUNCTION_INFO_V1(gmm_chi2_quantile);
/* gmm_chi2_quantile(p, df): the value below which a chi-square variable falls with probability p */
Datum
gmm_chi2_quantile(PG_FUNCTION_ARGS)
{
	float8		p = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	if (!(p >= 0.0 && p <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probability %g is out of range", p),
				 errdetail("The probability must be between 0 and 1.")));
	if (!(df > 0.0 && df <= 1e7))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("degrees of freedom %g are out of range", df),
				 errdetail("The degrees of freedom must be greater than 0 and at most 1e7.")));
	PG_RETURN_FLOAT8(gmm_chi2_quantile_value(p, df));
}

/* ---------------------------------------------------------------------
 * Confidence regions
 * ---------------------------------------------------------------------
 */

/* Per-query cache of the chi-square quantile for the last alpha */
typedef struct RegionCache
{
	double		alpha;
	double		quantile;
} RegionCache;


PG_FUNCTION_INFO_V1(gmm_in_confidence_region);
/*
 * gmm_in_confidence_region(m, x, alpha): whether x lies inside the
 * alpha-probability ellipsoid of at least one component (of non-zero
 * weight), i.e. its smallest squared Mahalanobis distance is at most the
 * chi-square quantile with d degrees of freedom at alpha.
 */
Datum
gmm_in_confidence_region(PG_FUNCTION_ARGS)
{
	GmmPrepared *prep = gmm_prepared_from_arg(fcinfo, 0);
	float8		alpha = PG_GETARG_FLOAT8(2);
	RegionCache *rc = (RegionCache *) prep->extra;
	double	   *x = palloc(sizeof(double) * prep->d);
	double		best = INFINITY;

	if (!(alpha > 0.0 && alpha < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha %g is out of range", alpha),
				 errdetail("alpha is the probability mass of the region, strictly between 0 and 1."),
				 errhint("For the 95%% region, pass 0.95.")));
	gmm_point_read(PG_GETARG_ARRAYTYPE_P(1), prep->d, x);
	if (rc == NULL)
	{
		rc = MemoryContextAllocZero(prep->cxt, sizeof(RegionCache));
		rc->alpha = NAN;
		prep->extra = rc;
	}
	if (rc->alpha != alpha)
	{
		rc->quantile = gmm_chi2_quantile_value(alpha, prep->d);
		rc->alpha = alpha;
	}
	for (int j = 0; j < prep->k; j++)
	{
		double		q;

		if (isinf(prep->log_norm[j]))
			continue;			/* a component of zero weight */
		q = gmm_mahalanobis_sq(prep, j, x, prep->work);
		if (q < best)
			best = q;
	}
	PG_RETURN_BOOL(best <= rc->quantile);
}

/* ---------------------------------------------------------------------
 * Ellipses
 * ---------------------------------------------------------------------
 */

typedef struct Ellipse
{
	double		center[2];
	double		angle;			/* of the major axis from the first dim, (-pi/2, pi/2] */
	double		axes[2];		/* semi-axes: major, minor */
} Ellipse;

/*
 * The nstd-standard-deviation ellipse of the 2 x 2 covariance
 * [[s11, s12], [s12, s22]] centred at (c1, c2).  A circle gets angle 0.
 */
static void
ellipse_of(double c1, double c2, double s11, double s12, double s22,
		   double nstd, Ellipse *e)
{
	double		a[4] = {s11, s12, s12, s22};
	double		w[2];

	e->center[0] = c1;
	e->center[1] = c2;
	if (s12 == 0.0 && s11 == s22)
	{
		e->angle = 0.0;
		e->axes[0] = e->axes[1] = nstd * sqrt(s11);
		return;
	}
	if (gmm_eigh(a, 2, w) != 0)
		elog(ERROR, "eigen-decomposition of a 2 x 2 covariance failed");
	/* eigenvectors are the columns; column 1 belongs to the larger eigenvalue */
	e->angle = atan2(a[3], a[1]);
	if (e->angle > M_PI_2)
		e->angle -= M_PI;
	else if (e->angle <= -M_PI_2)
		e->angle += M_PI;
	e->axes[0] = nstd * sqrt(fmax(w[1], 0.0));
	e->axes[1] = nstd * sqrt(fmax(w[0], 0.0));
}

/*
 * The ellipses of every component of m over the pair of dims (0-based)
 * read from an optional int[] argument (required when d > 2).
 */
static Ellipse *
model_ellipses(FunctionCallInfo fcinfo, int nstd_arg, int dims_arg)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	float8		nstd = PG_GETARG_FLOAT8(nstd_arg);
	int			d = m->d,
				dims[2] = {0, 1};
	Ellipse    *out;

	if (!(nstd > 0.0) || isinf(nstd))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nstd %g is out of range", nstd),
				 errdetail("nstd, the number of standard deviations, must be a positive finite number.")));
	if (PG_NARGS() > dims_arg)
	{
		int			n;
		int		   *v = gmm_read_dims(PG_GETARG_ARRAYTYPE_P(dims_arg), d, &n, true, NULL);

		if (n != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dims must list exactly 2 dimensions, not %d", n),
					 errhint("An ellipse is drawn in the plane of two dimensions, for example ARRAY[1, 2].")));
		dims[0] = v[0];
		dims[1] = v[1];
	}
	else if (d != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot draw ellipses of a %d-dimensional model without dims", d),
				 d < 2 ? errdetail("Ellipses need at least two dimensions.")
				 : errhint("Pass the pair of dimensions to draw, for example ARRAY[1, 2].")));

	out = palloc(sizeof(Ellipse) * m->k);
	for (int j = 0; j < m->k; j++)
	{
		const double *mu = GMM_MEANS(m) + (Size) j * d;
		const double *c = GMM_COVS(m);
		double		s11,
					s12,
					s22;

		switch (m->cov_type)
		{
			case GMM_COV_FULL:
			case GMM_COV_TIED:
				{
					const double *S = c + (m->cov_type == GMM_COV_FULL ? (Size) j * d * d : 0);

					s11 = S[(Size) dims[0] * d + dims[0]];
					s22 = S[(Size) dims[1] * d + dims[1]];
					s12 = 0.5 * (S[(Size) dims[0] * d + dims[1]] + S[(Size) dims[1] * d + dims[0]]);
					break;
				}
			case GMM_COV_DIAG:
				s11 = c[(Size) j * d + dims[0]];
				s22 = c[(Size) j * d + dims[1]];
				s12 = 0.0;
				break;
			default:
				s11 = s22 = c[j];
				s12 = 0.0;
				break;
		}
		ellipse_of(mu[dims[0]], mu[dims[1]], s11, s12, s22, nstd, &out[j]);
	}
	return out;
}

/* The result tuple descriptor of a set-returning function, blessed */
static TupleDesc
srf_tupdesc(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	return BlessTupleDesc(tupdesc);
}

PG_FUNCTION_INFO_V1(gmm_ellipses);
/*
 * gmm_ellipses(m [, nstd [, dims]]): one row per component with its
 * centre, the angle of its major axis and its semi-axes (major, minor).
 */
Datum
gmm_ellipses(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx;
	Ellipse    *es;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		fctx->user_fctx = model_ellipses(fcinfo, 1, 2);
		fctx->max_calls = PG_GETARG_GMM_P(0)->k;
		fctx->tuple_desc = srf_tupdesc(fcinfo);
		MemoryContextSwitchTo(old);
	}
	fctx = SRF_PERCALL_SETUP();
	es = (Ellipse *) fctx->user_fctx;
	if (fctx->call_cntr < fctx->max_calls)
	{
		Ellipse    *e = &es[fctx->call_cntr];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum((int32) fctx->call_cntr + 1);
		values[1] = PointerGetDatum(gmm_array_1d(e->center, 2));
		values[2] = Float8GetDatum(e->angle);
		values[3] = PointerGetDatum(gmm_array_1d(e->axes, 2));
		SRF_RETURN_NEXT(fctx, HeapTupleGetDatum(heap_form_tuple(fctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(fctx);
}

/* State of gmm_ellipse_points between calls */
typedef struct EllipsePoints
{
	Ellipse    *es;
	int			npoints;
} EllipsePoints;

PG_FUNCTION_INFO_V1(gmm_ellipse_points);
/*
 * gmm_ellipse_points(m, nstd, npoints [, dims]): for each component a closed
 * polygon of npoints vertices on its ellipse, starting at the end of the
 * major axis and turning counter-clockwise; the first vertex is repeated as
 * point npoints + 1.
 */
Datum
gmm_ellipse_points(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx;
	EllipsePoints *st;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		int32		npoints = PG_GETARG_INT32(2);

		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		if (npoints < GMM_MIN_POLYGON || npoints > GMM_MAX_POLYGON)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("npoints %d is out of range", npoints),
					 errdetail("A polygon has between %d and %d points.",
							   GMM_MIN_POLYGON, GMM_MAX_POLYGON)));
		st = palloc(sizeof(EllipsePoints));
		st->es = model_ellipses(fcinfo, 1, 3);
		st->npoints = npoints;
		fctx->user_fctx = st;
		fctx->max_calls = (uint64) PG_GETARG_GMM_P(0)->k * (npoints + 1);
		fctx->tuple_desc = srf_tupdesc(fcinfo);
		MemoryContextSwitchTo(old);
	}
	fctx = SRF_PERCALL_SETUP();
	st = (EllipsePoints *) fctx->user_fctx;
	if (fctx->call_cntr < fctx->max_calls)
	{
		int			j = (int) (fctx->call_cntr / (st->npoints + 1)),
					i = (int) (fctx->call_cntr % (st->npoints + 1));
		Ellipse    *e = &st->es[j];
		double		t = 2.0 * M_PI * (i % st->npoints) / st->npoints,
					ca = cos(e->angle),
					sa = sin(e->angle),
					u = e->axes[0] * cos(t),
					v = e->axes[1] * sin(t);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(j + 1);
		values[1] = Int32GetDatum(i + 1);
		values[2] = Float8GetDatum(e->center[0] + u * ca - v * sa);
		values[3] = Float8GetDatum(e->center[1] + u * sa + v * ca);
		SRF_RETURN_NEXT(fctx, HeapTupleGetDatum(heap_form_tuple(fctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(fctx);
}
