/*
 * vb_options.c
 *	  The "prior" option of gmm_fit, gmm_fit_weighted, gmm_train and
 *	  gmm_vb_update: a jsonb object
 *	    {"type": "dirichlet_process" | "dirichlet_distribution",
 *	     "weight_concentration": > 0, "mean_precision": > 0,
 *	     "mean": [d numbers], "degrees_of_freedom": > d - 1,
 *	     "covariance": d x d (full, tied) | [d] (diag) | number (spherical)}
 *	  every key optional (scikit-learn's defaults), read into a GmmVbPrior
 *	  (kernel/vb.h).  Errors name the key, e.g. "prior.mean".
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "json.h"
#include "kernel/linalg.h"
#include "kernel/vb.h"
#include "options.h"

static const char *const prior_keys =
"type, weight_concentration, mean_precision, mean, degrees_of_freedom, covariance";
static const char *const prior_key_list[] = {
	"type", "weight_concentration", "mean_precision", "mean", "degrees_of_freedom", "covariance"
};

/* Is key one of the prior's keys? */
static bool
is_prior_key(const char *key)
{
	for (int i = 0; i < (int) lengthof(prior_key_list); i++)
		if (strcmp(key, prior_key_list[i]) == 0)
			return true;
	return false;
}

/* Error about prior key "key" */
static void
pg_attribute_noreturn()
prior_error(const char *caller, const char *key, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s option \"prior.%s\" %s", caller, key, msg)));
}

/* A finite number */
static double
prior_number(const char *caller, const char *key, const JsonbValue *v)
{
	double		x;

	if (v->type != jbvNumeric)
		prior_error(caller, key, "must be a number");
	x = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (!isfinite(x))
		prior_error(caller, key, "is out of range for a float8");
	return x;
}

/* A positive number */
static double
prior_positive(const char *caller, const char *key, const JsonbValue *v)
{
	double		x = prior_number(caller, key, v);

	if (!(x > 0.0))
		prior_error(caller, key, psprintf("is %g, not positive", x));
	return x;
}

/* A nested array of numbers (up to 2 levels) or, when scalar_ok, one number */
static double *
prior_array(const char *caller, const char *key, const JsonbValue *v,
			bool scalar_ok, int *ndim, int *dims)
{
	bool		has_empty;
	Size		count = 1;
	double	   *out;
	GmmJsonShapeError e;

	if (scalar_ok && v->type == jbvNumeric)
	{
		out = palloc(sizeof(double));
		out[0] = prior_number(caller, key, v);
		*ndim = 0;
		return out;
	}
	*ndim = gmm_json_array_dims(v, 2, dims, &has_empty);
	if (*ndim <= 0 || has_empty)
		prior_error(caller, key, scalar_ok ? "must be a number or a non-empty array of numbers" :
					"must be a non-empty array of numbers");
	for (int i = 0; i < *ndim; i++)
		count = mul_size(count, dims[i]);
	if (count > MaxAllocSize / sizeof(double))
		prior_error(caller, key, "has too many elements");
	out = palloc(sizeof(double) * count);
	if (!gmm_json_read_array(v, dims, *ndim, true, out, &e))
		prior_error(caller, key, "must be a rectangular array of finite numbers");
	return out;
}

/* Read option "prior" */
GmmVbPrior *
gmm_vb_prior_parse(const char *caller, const JsonbValue *v)
{
	GmmVbPrior *p = palloc0(sizeof(GmmVbPrior));
	JsonbIterator *it;
	JsonbValue	x;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	p->type = GMM_VB_DIRICHLET_PROCESS;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"prior\" must be a JSON object", caller),
				 errhint("E.g. '{\"prior\": {\"type\": \"dirichlet_process\", \"weight_concentration\": 0.01}}'; '{\"prior\": {}}' takes every default.")));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(x.val.string.val, x.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (x.type == jbvNull && is_prior_key(key))
			continue;
		if (strcmp(key, "type") == 0)
		{
			char	   *s;

			if (x.type != jbvString)
				prior_error(caller, key, "must be a string");
			s = pnstrdup(x.val.string.val, x.val.string.len);
			if (strcmp(s, "dirichlet_process") == 0)
				p->type = GMM_VB_DIRICHLET_PROCESS;
			else if (strcmp(s, "dirichlet_distribution") == 0)
				p->type = GMM_VB_DIRICHLET_DISTRIBUTION;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"prior.type\" is \"%s\", which is not a prior type", caller, s),
						 errhint("Use \"dirichlet_process\" (stick-breaking, the default) or \"dirichlet_distribution\".")));
		}
		else if (strcmp(key, "weight_concentration") == 0)
			p->weight_concentration = prior_positive(caller, key, &x);
		else if (strcmp(key, "mean_precision") == 0)
			p->mean_precision = prior_positive(caller, key, &x);
		else if (strcmp(key, "degrees_of_freedom") == 0)
			p->degrees_of_freedom = prior_positive(caller, key, &x);
		else if (strcmp(key, "mean") == 0)
			p->mean = prior_array(caller, key, &x, false, &p->mean_ndim, p->mean_dims);
		else if (strcmp(key, "covariance") == 0)
			p->covariance = prior_array(caller, key, &x, true, &p->cov_ndim, p->cov_dims);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown %s option \"prior.%s\"", caller, key),
					 errhint("Valid keys of \"prior\" are: %s.", prior_keys)));
	}
	return p;
}

/* The prior with the other options */
void
gmm_vb_prior_check_options(const GmmFitOptions *opts, const char *caller)
{
	if (opts->k_max_set)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options \"prior\" and \"k_max\" cannot be combined", caller),
				 errhint("With a prior, give an upper bound on k and let the prior switch unneeded components off; or choose k by \"k_max\" without a prior.")));
	if (opts->shrinkage != GMM_SHRINK_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options \"prior\" and \"shrinkage\" cannot be combined", caller),
				 errhint("The Wishart prior (\"prior.covariance\") regularises the covariances of a variational fit.")));
}

/* The prior's shapes and values once d is known */
void
gmm_vb_prior_check_dimension(const GmmVbPrior *p, int cov_type, int d,
							 const char *caller)
{
	if (p->degrees_of_freedom > 0.0 && !(p->degrees_of_freedom > d - 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"prior.degrees_of_freedom\" is %g, not above d - 1 = %d",
						caller, p->degrees_of_freedom, d - 1),
				 errhint("The Wishart prior needs more than d - 1 degrees of freedom; the default is d.")));
	if (p->mean && (p->mean_ndim != 1 || p->mean_dims[0] != d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"prior.mean\" must have d = %d elements, not %s",
						caller, d, p->mean_ndim == 1 ? psprintf("%d", p->mean_dims[0]) : "a matrix")));
	if (p->covariance == NULL)
		return;
	switch (cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			{
				double	   *w;

				if (p->cov_ndim != 2 || p->cov_dims[0] != d || p->cov_dims[1] != d)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s option \"prior.covariance\" must be a d x d = %d x %d matrix for covariance_type \"%s\"",
									caller, d, d, gmm_cov_type_name(cov_type))));
				for (int i = 0; i < d; i++)
					for (int t = 0; t < i; t++)
					{
						double		a = p->covariance[i * d + t],
									b = p->covariance[t * d + i];

						if (fabs(a - b) > GMM_SYMMETRY_TOL *
							sqrt(fabs(p->covariance[i * d + i] * p->covariance[t * d + t])))
							ereport(ERROR,
									(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									 errmsg("%s option \"prior.covariance\" is not symmetric", caller),
									 errdetail("Element [%d][%d] is %g but [%d][%d] is %g.",
											   i + 1, t + 1, a, t + 1, i + 1, b)));
					}
				w = palloc(sizeof(double) * d * d);
				memcpy(w, p->covariance, sizeof(double) * d * d);
				if (gmm_cholesky(w, d) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s option \"prior.covariance\" is not positive definite", caller),
							 errhint("Give a symmetric positive definite matrix, or leave it out for the covariance of the rows.")));
				pfree(w);
				break;
			}
		case GMM_COV_DIAG:
			if (p->cov_ndim != 1 || p->cov_dims[0] != d)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"prior.covariance\" must be an array of d = %d variances for covariance_type \"diag\"",
								caller, d)));
			for (int i = 0; i < d; i++)
				if (!(p->covariance[i] > 0.0))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s option \"prior.covariance\" is not positive definite: variance %d is %g",
									caller, i + 1, p->covariance[i])));
			break;
		case GMM_COV_SPHERICAL:
			if (p->cov_ndim != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"prior.covariance\" must be a number for covariance_type \"spherical\"",
								caller)));
			if (!(p->covariance[0] > 0.0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"prior.covariance\" is not positive definite: the variance is %g",
								caller, p->covariance[0])));
			break;
	}
}
