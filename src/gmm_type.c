/*
 * gmm_type.c
 *	  The SQL functions of the gmm type: the gmm(...) constructor, the
 *	  accessors, BIC/AIC and the selection table of a model, equality and
 *	  hashing.  The layout and validation are in kernel/model.c, the text,
 *	  jsonb and binary forms in gmm_io.c.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "common/hashfn.h"
#include "utils/builtins.h"

#include "compat.h"
#include "gmm.h"
#include "kernel/fitopts.h"

/* ---------------------------------------------------------------------
 * Constructor and accessors
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(gmm_construct);
/* gmm(weights, means, covariances [, covariance_type]) */
Datum
gmm_construct(PG_FUNCTION_ARGS)
{
	int			nw,
				nm,
				nc,
				k,
				d,
				cov_type = GMM_COV_FULL;
	double	   *w,
			   *mu,
			   *c;
	Size		want;
	Gmm		   *m;

	if (PG_NARGS() > 3)
		cov_type = gmm_parse_cov_type(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	w = gmm_array_values(PG_GETARG_ARRAYTYPE_P(0), &nw, "weights");
	mu = gmm_array_values(PG_GETARG_ARRAYTYPE_P(1), &nm, "means");
	c = gmm_array_values(PG_GETARG_ARRAYTYPE_P(2), &nc, "covariances");
	k = nw;
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must not be empty")));
	if (nm % k != 0 || nm == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("means have %d elements, which is not a positive multiple of the %d weights", nm, k),
				 errhint("Pass the means as a k x d array (or flattened, row by row).")));
	d = nm / k;
	gmm_check_shape(k, d);
	want = gmm_cov_count(cov_type, k, d);
	if ((Size) nc != want)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("covariances have %d elements where %zu were expected", nc, want),
				 errdetail("A %s model with %d components of dimension %d needs %s.",
						   gmm_cov_type_name(cov_type), k, d,
						   cov_type == GMM_COV_FULL ? "k x d x d values" :
						   cov_type == GMM_COV_DIAG ? "k x d variances" :
						   cov_type == GMM_COV_SPHERICAL ? "k variances" :
						   "one d x d matrix")));
	m = gmm_alloc(cov_type, k, d);
	memcpy(GMM_WEIGHTS(m), w, sizeof(double) * k);
	memcpy(GMM_MEANS(m), mu, sizeof(double) * k * d);
	memcpy(GMM_COVS(m), c, sizeof(double) * want);
	gmm_canonicalize(m);
	gmm_validate(m);
	PG_RETURN_GMM_P(m);
}

PG_FUNCTION_INFO_V1(gmm_weights);
/* weights as float8[k] */
Datum
gmm_weights(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(GMM_WEIGHTS(m), m->k));
}

PG_FUNCTION_INFO_V1(gmm_means);
/* means as float8[k][d] */
Datum
gmm_means(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	int			dims[2] = {m->k, m->d};

	PG_RETURN_ARRAYTYPE_P(gmm_array_nd(GMM_MEANS(m), 2, dims));
}

PG_FUNCTION_INFO_V1(gmm_covariances);
/* covariances in scikit-learn's shape for the covariance type */
Datum
gmm_covariances(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	int			dims[3];
	int			ndims;

	switch (m->cov_type)
	{
		case GMM_COV_FULL:
			dims[0] = m->k, dims[1] = m->d, dims[2] = m->d, ndims = 3;
			break;
		case GMM_COV_DIAG:
			dims[0] = m->k, dims[1] = m->d, ndims = 2;
			break;
		case GMM_COV_SPHERICAL:
			dims[0] = m->k, ndims = 1;
			break;
		default:
			dims[0] = m->d, dims[1] = m->d, ndims = 2;
			break;
	}
	PG_RETURN_ARRAYTYPE_P(gmm_array_nd(GMM_COVS(m), ndims, dims));
}

PG_FUNCTION_INFO_V1(gmm_full_covariances);
/* covariances expanded to float8[k][d][d] whatever the type */
Datum
gmm_full_covariances(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	int			dims[3] = {m->k, m->d, m->d};
	Size		dd = (Size) m->d * m->d;
	double	   *out = palloc(mul_size(sizeof(double), mul_size(m->k, dd)));

	for (int j = 0; j < m->k; j++)
		gmm_full_covariance(m, j, out + j * dd);
	PG_RETURN_ARRAYTYPE_P(gmm_array_nd(out, 3, dims));
}

PG_FUNCTION_INFO_V1(gmm_n_components);
Datum
gmm_n_components(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_GMM_P(0)->k);
}

PG_FUNCTION_INFO_V1(gmm_dimension);
Datum
gmm_dimension(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_GMM_P(0)->d);
}

PG_FUNCTION_INFO_V1(gmm_covariance_type);
Datum
gmm_covariance_type(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(gmm_cov_type_name(PG_GETARG_GMM_P(0)->cov_type)));
}

/* Return NULL from the calling accessor unless the model carries fit metadata */
#define RETURN_NULL_UNLESS_FITTED(m) \
	do { if (!GMM_IS_FITTED(m)) PG_RETURN_NULL(); } while (0)

PG_FUNCTION_INFO_V1(gmm_log_likelihood);
/* mean log-likelihood per row at the end of the fit */
Datum
gmm_log_likelihood(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	RETURN_NULL_UNLESS_FITTED(m);
	PG_RETURN_FLOAT8(m->log_likelihood);
}

PG_FUNCTION_INFO_V1(gmm_n_rows);
/* rows (or total weight) the fit saw */
Datum
gmm_n_rows(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	RETURN_NULL_UNLESS_FITTED(m);
	PG_RETURN_FLOAT8(m->n_seen);
}

PG_FUNCTION_INFO_V1(gmm_n_iter);
/* EM iterations the kept run took */
Datum
gmm_n_iter(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	RETURN_NULL_UNLESS_FITTED(m);
	PG_RETURN_INT32(m->n_iter);
}

PG_FUNCTION_INFO_V1(gmm_converged);
/* whether the kept run met its tolerance */
Datum
gmm_converged(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	RETURN_NULL_UNLESS_FITTED(m);
	PG_RETURN_BOOL((m->flags & GMM_FLAG_CONVERGED) != 0);
}

PG_FUNCTION_INFO_V1(gmm_bic_model);
/* BIC of the fit: -2 n LL + p ln n */
Datum
gmm_bic_model(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	RETURN_NULL_UNLESS_FITTED(m);
	PG_RETURN_FLOAT8(gmm_information_criterion(GMM_CRITERION_BIC,
											   m->log_likelihood * m->n_seen,
											   m->n_seen, gmm_n_parameters(m)));
}

PG_FUNCTION_INFO_V1(gmm_aic_model);
/* AIC of the fit: -2 n LL + 2 p */
Datum
gmm_aic_model(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	RETURN_NULL_UNLESS_FITTED(m);
	PG_RETURN_FLOAT8(gmm_information_criterion(GMM_CRITERION_AIC,
											   m->log_likelihood * m->n_seen,
											   m->n_seen, gmm_n_parameters(m)));
}

PG_FUNCTION_INFO_V1(gmm_selection);
/*
 * gmm_selection(m): one row (k, log_likelihood, bic, aic, converged,
 * n_iter) per k of a fit over a range of k; the model's own row for a fit of
 * one k; no rows for a built model
 */
Datum
gmm_selection(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Gmm		   *m = PG_GETARG_GMM_P(0);
	double		own[GMM_SEL_FIELDS];
	const double *rows = own;
	int			n = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (m->flags & GMM_FLAG_SELECTION)
		rows = GMM_SELECTION(m), n = m->n_selection;
	else if (GMM_IS_FITTED(m))
	{
		own[0] = m->k;
		own[1] = m->log_likelihood;
		own[2] = m->n_iter;
		own[3] = (m->flags & GMM_FLAG_CONVERGED) ? 1.0 : 0.0;
		n = 1;
	}
	for (int r = 0; r < n; r++)
	{
		const double *row = rows + (Size) r * GMM_SEL_FIELDS;
		int			k = (int) row[0];
		double		sum_ll = row[1] * m->n_seen,
					p = gmm_n_parameters_kd(m->cov_type, k, m->d);
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int32GetDatum(k);
		values[1] = Float8GetDatum(row[1]);
		values[2] = Float8GetDatum(gmm_information_criterion(GMM_CRITERION_BIC, sum_ll, m->n_seen, p));
		values[3] = Float8GetDatum(gmm_information_criterion(GMM_CRITERION_AIC, sum_ll, m->n_seen, p));
		values[4] = BoolGetDatum(row[3] != 0.0);
		values[5] = Int32GetDatum((int) row[2]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(gmm_n_parameters_sql);
/* number of free parameters */
Datum
gmm_n_parameters_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) gmm_n_parameters(PG_GETARG_GMM_P(0)));
}

/* true when both models have the same bytes */
static bool
gmm_identical(FunctionCallInfo fcinfo)
{
	Gmm		   *a = PG_GETARG_GMM_P(0);
	Gmm		   *b = PG_GETARG_GMM_P(1);

	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

PG_FUNCTION_INFO_V1(gmm_eq);
/* equality: identical bytes */
Datum
gmm_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(gmm_identical(fcinfo));
}

PG_FUNCTION_INFO_V1(gmm_ne);
/* inequality: different bytes */
Datum
gmm_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!gmm_identical(fcinfo));
}

PG_FUNCTION_INFO_V1(gmm_hash);
/* hash of the bytes, for hash joins and GROUP BY a model column */
Datum
gmm_hash(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	return hash_any((const unsigned char *) m, VARSIZE(m));
}

PG_FUNCTION_INFO_V1(gmm_hash_extended);
/* seeded 64-bit hash of the bytes */
Datum
gmm_hash_extended(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	return hash_any_extended((const unsigned char *) m, VARSIZE(m), PG_GETARG_INT64(1));
}
