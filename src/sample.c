/*
 * sample.c
 *	  gmm_sample: draw rows from a mixture as a value-per-call set-returning
 *	  function.  Each row picks its component from the weights (so counts per
 *	  component are multinomial and rows come in random order), then draws
 *	  mu_j + L_j z with z standard normal.  A seed makes the stream
 *	  reproducible; without one the seed comes from pg_strong_random.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port.h"
#include "utils/array.h"

#include "gmm.h"
#include "kernel/special.h"
#include "kernel/linalg.h"

typedef struct SampleState
{
	pg_prng_state rng;
	int			k;
	int			d;
	double	   *cumw;			/* k cumulative weights */
	double	   *means;			/* k * d */
	double	   *factor;			/* full/tied: lower Cholesky; else std devs */
	Size		factor_stride;	/* per component */
	bool		full;			/* factor is a matrix */
	double	   *z;				/* d scratch */
	double	   *x;				/* d output */
	double		region;			/* accept |z|^2 <= region (INFINITY: all) */
	bool		has_spare;
	double		spare;
	TupleDesc	tupdesc;		/* for the labelled variant */
} SampleState;

/* A standard normal draw (polar Box-Muller, one value cached) */
static double
std_normal(SampleState *st)
{
	double		u,
				v,
				s;

	if (st->has_spare)
	{
		st->has_spare = false;
		return st->spare;
	}
	do
	{
		u = 2.0 * pg_prng_double(&st->rng) - 1.0;
		v = 2.0 * pg_prng_double(&st->rng) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	s = sqrt(-2.0 * log(s) / s);
	st->spare = v * s;
	st->has_spare = true;
	return u * s;
}

/* Set up the sampler for model m in the current memory context */
static SampleState *
sample_setup(const Gmm *m, uint64 seed)
{
	SampleState *st = palloc0(sizeof(SampleState));
	int			k = m->k,
				d = m->d;
	const double *w = GMM_WEIGHTS(m);
	const double *c = GMM_COVS(m);
	double		acc = 0.0;

	pg_prng_seed(&st->rng, seed);
	st->region = INFINITY;
	st->k = k;
	st->d = d;
	st->cumw = palloc(sizeof(double) * k);
	for (int j = 0; j < k; j++)
	{
		acc += w[j];
		st->cumw[j] = acc;
	}
	st->means = palloc(sizeof(double) * k * d);
	memcpy(st->means, GMM_MEANS(m), sizeof(double) * k * d);
	st->z = palloc(sizeof(double) * d);
	st->x = palloc(sizeof(double) * d);

	if (m->cov_type == GMM_COV_FULL || m->cov_type == GMM_COV_TIED)
	{
		int			nmat = (m->cov_type == GMM_COV_FULL) ? k : 1;
		Size		dd = (Size) d * d;

		st->full = true;
		st->factor_stride = (m->cov_type == GMM_COV_FULL) ? dd : 0;
		st->factor = palloc(sizeof(double) * nmat * dd);
		memcpy(st->factor, c, sizeof(double) * nmat * dd);
		for (int j = 0; j < nmat; j++)
			if (gmm_cholesky(st->factor + j * dd, d) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("covariance matrix of component %d is not positive definite", j + 1)));
	}
	else
	{
		st->factor_stride = d;
		st->factor = palloc(sizeof(double) * k * d);
		for (int j = 0; j < k; j++)
			for (int i = 0; i < d; i++)
				st->factor[(Size) j * d + i] =
					sqrt(m->cov_type == GMM_COV_DIAG ? c[(Size) j * d + i] : c[j]);
	}
	return st;
}

/* Draw one row into st->x; returns its component (0-based) */
static int
sample_one(SampleState *st)
{
	int			d = st->d,
				j = 0;
	double		u = pg_prng_double(&st->rng) * st->cumw[st->k - 1];
	const double *mu;
	const double *f;

	/* first component whose cumulative weight exceeds u, skipping zero weights */
	while (j < st->k - 1 && !(u < st->cumw[j]))
		j++;
	mu = st->means + (Size) j * d;
	f = st->factor + j * st->factor_stride;
	for (uint64 tries = 1;; tries++)
	{
		double		r2 = 0.0;

		for (int i = 0; i < d; i++)
		{
			st->z[i] = std_normal(st);
			r2 += st->z[i] * st->z[i];
		}
		/* x = mu + L z has squared Mahalanobis distance |z|^2 */
		if (r2 <= st->region)
			break;
		if ((tries & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (st->full)
	{
		for (int i = 0; i < d; i++)
		{
			const double *row = f + (Size) i * d;
			double		s = mu[i];

			for (int t = 0; t <= i; t++)
				s += row[t] * st->z[t];
			st->x[i] = s;
		}
	}
	else
		for (int i = 0; i < d; i++)
			st->x[i] = mu[i] + f[i] * st->z[i];
	return j;
}

/* Shared body of the sampling SRFs */
static Datum
sample_srf(FunctionCallInfo fcinfo, bool labelled)
{
	FuncCallContext *funcctx;
	SampleState *st;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		Gmm		   *m;
		int64		n;
		uint64		seed;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		m = PG_GETARG_GMM_P(0);
		n = PG_GETARG_INT64(1);
		if (n < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("number of rows to sample must not be negative, got " INT64_FORMAT, n)));
		if (PG_NARGS() > 2)
			seed = (uint64) PG_GETARG_INT64(2);
		else if (!pg_strong_random(&seed, sizeof(seed)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random seed")));
		st = sample_setup(m, seed);
		if (PG_NARGS() > 3)
		{
			float8		alpha = PG_GETARG_FLOAT8(3);

			if (!(alpha > 0.0 && alpha <= 1.0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("alpha %g is out of range", alpha),
						 errdetail("alpha is the probability mass of each component's confidence region, greater than 0 and at most 1."),
						 errhint("For rows from the 95%% regions, pass 0.95; 1 samples the whole mixture.")));
			st->region = gmm_chi2_quantile_value(alpha, m->d);
		}
		if (labelled)
		{
			if (get_call_result_type(fcinfo, NULL, &st->tupdesc) != TYPEFUNC_COMPOSITE)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("function returning record called in context that cannot accept type record")));
			st->tupdesc = BlessTupleDesc(st->tupdesc);
		}
		funcctx->user_fctx = st;
		funcctx->max_calls = (uint64) n;
		MemoryContextSwitchTo(old);
	}

	funcctx = SRF_PERCALL_SETUP();
	st = (SampleState *) funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		int			j = sample_one(st);
		Datum		arr = PointerGetDatum(gmm_array_1d(st->x, st->d));

		if ((funcctx->call_cntr & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (labelled)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};

			values[0] = Int32GetDatum(j + 1);
			values[1] = arr;
			SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(st->tupdesc, values, nulls)));
		}
		SRF_RETURN_NEXT(funcctx, arr);
	}
	SRF_RETURN_DONE(funcctx);
}

PG_FUNCTION_INFO_V1(gmm_sample);
/* gmm_sample(m, n [, seed [, alpha]]) returns SETOF float8[] */
Datum
gmm_sample(PG_FUNCTION_ARGS)
{
	return sample_srf(fcinfo, false);
}

PG_FUNCTION_INFO_V1(gmm_sample_with_component);
/* gmm_sample_with_component(m, n [, seed [, alpha]]) returns TABLE (component int, x float8[]) */
Datum
gmm_sample_with_component(PG_FUNCTION_ARGS)
{
	return sample_srf(fcinfo, true);
}
