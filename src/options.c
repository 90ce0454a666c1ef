/*
 * options.c
 *	  Reading the jsonb options of the fitting functions into a
 *	  GmmFitOptions (see options.h for the API and the README's options
 *	  table for the user-facing one).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "gmm.h"
#include "json.h"
#include "options.h"

static const char *const init_names[] = {"kmeans", "kmeans++", "random", "given"};

static const char *const known_keys[] = {
	"covariance_type", "max_iter", "tol", "reg_covar", "n_init", "init", "means",
	"weights", "covariances", "seed", "max_tries", "verbose", "k_max", "criterion",
	"shrinkage", "prior", "missing"
};

/* The known keys as "a, b, c", for the unknown-key hint (built once) */
static const char *
known_keys_text(void)
{
	static char *text = NULL;

	if (text == NULL)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		for (int i = 0; i < (int) lengthof(known_keys); i++)
			appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", known_keys[i]);
		text = MemoryContextStrdup(TopMemoryContext, buf.data);
		pfree(buf.data);
	}
	return text;
}

/* Is key one of the options read here? */
static bool
is_known_key(const char *key)
{
	for (int i = 0; i < (int) lengthof(known_keys); i++)
		if (strcmp(key, known_keys[i]) == 0)
			return true;
	return false;
}

/* Is key one of the comma-separated names in list (the hook's keys)? */
static bool
is_listed_key(const char *key, const char *list)
{
	size_t		len = strlen(key);

	while (list != NULL && *list)
	{
		while (*list == ',' || *list == ' ')
			list++;
		if (strncmp(list, key, len) == 0 &&
			(list[len] == '\0' || list[len] == ',' || list[len] == ' '))
			return true;
		while (*list && *list != ',')
			list++;
	}
	return false;
}


/* The JSON type of a value, for messages */
static const char *
json_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			if (JsonContainerIsArray(v->val.binary.data) &&
				!JsonContainerIsScalar(v->val.binary.data))
				return "an array";
			return "an object";
		default:
			return "an unexpected JSON value";
	}
}

/* Error: option "key" must be <what> */
static void
pg_attribute_noreturn()
option_type_error(const char *caller, const char *key, const char *what,
				  const JsonbValue *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s option \"%s\" must be %s, not %s",
					caller, key, what, json_type_name(v))));
}

/* Error: option "key" is out of range for a float8 */
static void
pg_attribute_noreturn()
option_range_error(const char *caller, const char *key)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s option \"%s\" is out of range for a float8", caller, key)));
}

/* A number option as a double (any finite JSON number) */
static double
option_number(const char *caller, const char *key, const JsonbValue *v)
{
	double		x;

	if (v->type != jbvNumeric)
		option_type_error(caller, key, "a number", v);
	x = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (!isfinite(x))
		option_range_error(caller, key);
	return x;
}

/* An integral number option as a double */
static double
option_integral(const char *caller, const char *key, const JsonbValue *v)
{
	double		x;

	if (v->type != jbvNumeric)
		option_type_error(caller, key, "an integer", v);
	x = option_number(caller, key, v);
	if (x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" must be an integer, not %g", caller, key, x)));
	return x;
}

/* An integer option within [min, max] */
int
gmm_option_int(const char *caller, const char *key, const JsonbValue *v,
			   int min, int max)
{
	double		x = option_integral(caller, key, v);

	if (x < min || x > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" is %.0f, out of range", caller, key, x),
				 errdetail("It must be between %d and %d.", min, max)));
	return (int) x;
}

/* A 64-bit integer option (the seed) */
static int64
gmm_option_int64(const char *caller, const char *key, const JsonbValue *v)
{
	double		x = option_integral(caller, key, v);

	if (fabs(x) >= 9.2e18)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" is out of range for a bigint", caller, key)));
	return DatumGetInt64(DirectFunctionCall1(numeric_int8,
											 NumericGetDatum(v->val.numeric)));
}

/* A number option within [min, max] */
static double
gmm_option_double(const char *caller, const char *key, const JsonbValue *v,
				  double min, double max)
{
	double		x = option_number(caller, key, v);

	if (x < min || x > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" is %g, out of range", caller, key, x),
				 max < DBL_MAX ?
				 errdetail("It must be between %g and %g.", min, max) :
				 errdetail("It must be at least %g.", min)));
	return x;
}

/* A boolean option */
static bool
gmm_option_bool(const char *caller, const char *key, const JsonbValue *v)
{
	if (v->type != jbvBool)
		option_type_error(caller, key, "true or false", v);
	return v->val.boolean;
}

/* A string option, palloc'd */
char *
gmm_option_string(const char *caller, const char *key, const JsonbValue *v)
{
	if (v->type != jbvString)
		option_type_error(caller, key, "a string", v);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Option "missing": "error" or "marginalize" */
int
gmm_option_missing(const char *caller, const JsonbValue *v)
{
	char	   *s = gmm_option_string(caller, "missing", v);

	if (strcmp(s, "error") == 0)
		return GMM_MISSING_ERROR;
	if (strcmp(s, "marginalize") == 0)
		return GMM_MISSING_MARGINALIZE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s option \"missing\" is \"%s\", which is not a way to treat missing values", caller, s),
			 errhint("Use \"error\" (the default: a NULL or NaN element is an error) or \"marginalize\" (NULL and NaN elements are missing values, integrated out).")));
}

/* A nested array of numbers of up to 3 dimensions, flattened */
static double *
read_number_array(const char *caller, const char *key, const JsonbValue *v,
				  int *ndim, int *dims)
{
	Size		count = 1;
	bool		has_empty;
	double	   *out;
	GmmJsonShapeError e;

	*ndim = gmm_json_array_dims(v, 3, dims, &has_empty);
	if (*ndim < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" has more than 3 dimensions", caller, key)));
	if (has_empty)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" contains an empty array", caller, key)));
	if (*ndim == 0)
		option_type_error(caller, key, "an array of numbers", v);
	for (int i = 0; i < *ndim; i++)
		count = mul_size(count, dims[i]);
	if (count > MaxAllocSize / sizeof(double))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s option \"%s\" has too many elements", caller, key)));
	out = palloc(sizeof(double) * count);
	if (!gmm_json_read_array(v, dims, *ndim, true, out, &e))
	{
		switch (e.fault)
		{
			case GMM_JSON_NOT_ARRAY:
			case GMM_JSON_WRONG_LENGTH:
			case GMM_JSON_OK:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"%s\" must be a rectangular array of numbers", caller, key),
						 errdetail("Its arrays at nesting level %d do not all have %d elements.",
								   e.level + 1, dims[e.level])));
				break;
			case GMM_JSON_NOT_NUMBER:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"%s\" must contain only numbers, not %s",
								caller, key, json_type_name(e.value))));
				break;
			case GMM_JSON_NOT_FINITE:
				option_range_error(caller, key);
				break;
		}
	}
	return out;
}

/* Read the options in jb into opts */
void
gmm_fit_options_parse(Jsonb *jb, GmmFitOptions *opts, const char *caller,
					  GmmOptionHook hook, void *hook_arg,
					  const char *hook_keys)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (jb == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue	root;
		const char *got = "an array";

		if (JB_ROOT_IS_SCALAR(jb) && JsonbExtractScalar(&jb->root, &root))
			got = json_type_name(&root);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options must be a JSON object such as '{\"covariance_type\": \"diag\"}', not %s",
						caller, got),
				 errhint("Pass the options as a jsonb object of key/value pairs, e.g. '{\"covariance_type\": \"diag\", \"seed\": 42}', or SQL NULL for the defaults.")));
	}

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		/* null keeps the default, but the key must still be known */
		if (v.type == jbvNull &&
			(is_known_key(key) || is_listed_key(key, hook_keys)))
			continue;

		if (strcmp(key, "covariance_type") == 0)
		{
			char	   *s = gmm_option_string(caller, key, &v);
			int			t = gmm_cov_type_from_name(s);

			if (t < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"covariance_type\" is \"%s\", which is not a covariance type", caller, s),
						 errhint(GMM_COV_TYPE_HINT)));
			opts->cov_type = t;
		}
		else if (strcmp(key, "max_iter") == 0)
			opts->max_iter = gmm_option_int(caller, key, &v, 0, PG_INT32_MAX);
		else if (strcmp(key, "tol") == 0)
			opts->tol = gmm_option_double(caller, key, &v, 0.0, DBL_MAX);
		else if (strcmp(key, "reg_covar") == 0)
			opts->reg_covar = gmm_option_double(caller, key, &v, 0.0, DBL_MAX);
		else if (strcmp(key, "n_init") == 0)
			opts->n_init = gmm_option_int(caller, key, &v, 1, GMM_MAX_N_INIT);
		else if (strcmp(key, "init") == 0)
		{
			char	   *s = gmm_option_string(caller, key, &v);
			int			i;

			for (i = 0; i < (int) lengthof(init_names); i++)
				if (strcmp(s, init_names[i]) == 0)
					break;
			if (i == lengthof(init_names))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"init\" is \"%s\", which is not an initialisation method", caller, s),
						 errhint("Use one of \"kmeans\", \"kmeans++\", \"random\" or \"given\" (with \"means\").")));
			opts->init = i;
			opts->init_set = true;
		}
		else if (strcmp(key, "means") == 0)
			opts->means = read_number_array(caller, key, &v, &opts->means_ndim,
											opts->means_dims);
		else if (strcmp(key, "weights") == 0)
			opts->weights = read_number_array(caller, key, &v, &opts->weights_ndim,
											  opts->weights_dims);
		else if (strcmp(key, "covariances") == 0)
			opts->covariances = read_number_array(caller, key, &v,
												  &opts->covariances_ndim,
												  opts->covariances_dims);
		else if (strcmp(key, "seed") == 0)
			opts->seed = gmm_option_int64(caller, key, &v);
		else if (strcmp(key, "max_tries") == 0)
			opts->max_tries = gmm_option_int(caller, key, &v, 1, GMM_MAX_MAX_TRIES);
		else if (strcmp(key, "verbose") == 0)
			opts->verbose = gmm_option_bool(caller, key, &v);
		else if (strcmp(key, "k_max") == 0)
		{
			opts->k_max = gmm_option_int(caller, key, &v, 1, GMM_MAX_K);
			opts->k_max_set = true;
		}
		else if (strcmp(key, "criterion") == 0)
		{
			char	   *s = gmm_option_string(caller, key, &v);

			if (strcmp(s, "bic") == 0)
				opts->criterion = GMM_CRITERION_BIC;
			else if (strcmp(s, "aic") == 0)
				opts->criterion = GMM_CRITERION_AIC;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"criterion\" is \"%s\", which is not a criterion", caller, s),
						 errhint("Use \"bic\" or \"aic\".")));
		}
		else if (strcmp(key, "shrinkage") == 0)
		{
			char	   *s = gmm_option_string(caller, key, &v);

			if (strcmp(s, "none") == 0)
				opts->shrinkage = GMM_SHRINK_NONE;
			else if (strcmp(s, "oas") == 0)
				opts->shrinkage = GMM_SHRINK_OAS;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s option \"shrinkage\" is \"%s\", which is not a shrinkage method", caller, s),
						 errhint("Use \"none\" or \"oas\" (Oracle Approximating Shrinkage).")));
		}
		else if (strcmp(key, "prior") == 0)
			opts->prior = gmm_vb_prior_parse(caller, &v);
		else if (strcmp(key, "missing") == 0)
			opts->missing = gmm_option_missing(caller, &v);
		else if (hook == NULL || !hook(key, &v, hook_arg))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown %s option \"%s\"", caller, key),
					 errhint("Valid options are: %s%s%s.", known_keys_text(),
							 hook_keys ? ", " : "", hook_keys ? hook_keys : "")));
	}

	gmm_check_shrinkage(caller, opts->shrinkage, opts->cov_type);
	if (opts->prior)
		gmm_vb_prior_check_options(opts, caller);
	if (opts->prior && opts->missing == GMM_MISSING_MARGINALIZE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s options \"prior\" and \"missing\": \"marginalize\" cannot be combined", caller),
				 errhint("Fit incomplete rows by EM (without \"prior\"), or complete rows with a prior.")));

	/* the given means are the initialisation */
	if (opts->means != NULL)
	{
		if (opts->init_set && opts->init != GMM_INIT_GIVEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s option \"init\" is \"%s\" but \"means\" are given",
							caller, init_names[opts->init]),
					 errhint("Given means are the initialisation: drop \"init\" or set it to \"given\".")));
		opts->init = GMM_INIT_GIVEN;
	}
	else if (opts->init == GMM_INIT_GIVEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"init\" is \"given\" but no \"means\" are given", caller),
				 errhint("Add \"means\": a k x d array of initial means.")));
}

/* Error unless the shrinkage applies to the covariance type */
void
gmm_check_shrinkage(const char *caller, int shrinkage, int cov_type)
{
	if (shrinkage == GMM_SHRINK_OAS &&
		(cov_type == GMM_COV_DIAG || cov_type == GMM_COV_SPHERICAL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"shrinkage\" \"oas\" does not apply to covariance_type \"%s\"",
						caller, gmm_cov_type_name(cov_type)),
				 errdetail("Oracle Approximating Shrinkage pulls a full covariance matrix towards a multiple of the identity; a %s covariance has no off-diagonal elements to shrink.",
						   gmm_cov_type_name(cov_type)),
				 errhint("Use covariance_type \"full\" or \"tied\" with \"oas\", or \"reg_covar\" to regularise %s covariances.",
						 gmm_cov_type_name(cov_type))));
}

/* Set and check k and the range of k */
void
gmm_fit_options_set_k(GmmFitOptions *opts, int k, const char *caller)
{
	int			k_max = opts->k_max_set ? opts->k_max : k;

	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: number of components %d is less than 1", caller, k),
				 errhint("A mixture needs at least one component.")));
	if (k > GMM_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: number of components %d exceeds the limit of %d",
						caller, k, GMM_MAX_K)));
	if (k > k_max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"k_max\" is %d, less than k %d", caller, k_max, k),
				 errhint("With \"k_max\", every k from the k argument up to k_max is fitted.")));
	if (k != k_max && (opts->means || opts->weights || opts->covariances))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: initial means, weights or covariances cannot be given with \"k_max\"", caller),
				 errhint("Fit a single k to start from given parameters.")));
	opts->k_min = k;
	opts->k_max = k_max;
}

/* Error unless a given start array has the expected shape */
static void
check_shape(const char *caller, const char *key, int ndim, const int *dims,
			int want_ndim, const int *want, const char *shape)
{
	bool		ok = (ndim == want_ndim);

	for (int i = 0; ok && i < ndim; i++)
		ok = (dims[i] == want[i]);
	if (!ok)
	{
		char		got[64];

		if (ndim == 1)
			snprintf(got, sizeof(got), "%d", dims[0]);
		else if (ndim == 2)
			snprintf(got, sizeof(got), "%d x %d", dims[0], dims[1]);
		else
			snprintf(got, sizeof(got), "%d x %d x %d", dims[0], dims[1], dims[2]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" has shape %s where %s was expected",
						caller, key, got, shape)));
	}
}

/* Error context for the given start */
static void
start_error_context(void *arg)
{
	errcontext("in the initial parameters given in the %s options", (const char *) arg);
}

/* Validate the given start as a model (missing parts filled with neutral values) */
static void
validate_start(const GmmFitOptions *opts, int d, const char *caller)
{
	int			k = opts->k_min;
	Gmm		   *m = gmm_alloc(opts->cov_type, k, d);
	Size		nc = gmm_cov_count(opts->cov_type, k, d);
	ErrorContextCallback errcb;

	for (int j = 0; j < k; j++)
		GMM_WEIGHTS(m)[j] = opts->weights ? opts->weights[j] : 1.0 / k;
	if (opts->means)
		memcpy(GMM_MEANS(m), opts->means, sizeof(double) * k * d);
	if (opts->covariances)
		memcpy(GMM_COVS(m), opts->covariances, sizeof(double) * nc);
	else if (opts->cov_type == GMM_COV_FULL || opts->cov_type == GMM_COV_TIED)
	{
		int			nmat = (opts->cov_type == GMM_COV_FULL) ? k : 1;

		for (int j = 0; j < nmat; j++)
			for (int i = 0; i < d; i++)
				GMM_COVS(m)[(Size) j * d * d + (Size) i * d + i] = 1.0;
	}
	else
		for (Size t = 0; t < nc; t++)
			GMM_COVS(m)[t] = 1.0;

	errcb.callback = start_error_context;
	errcb.arg = (void *) caller;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	gmm_validate(m);
	error_context_stack = errcb.previous;
	pfree(m);
}

/* Check the shapes of the given start against k and d */
void
gmm_fit_options_check_dimension(const GmmFitOptions *opts, int d,
								const char *caller)
{
	int			k = opts->k_min;
	int			want[3];
	char		shape[96];

	if (opts->means)
	{
		want[0] = k, want[1] = d;
		snprintf(shape, sizeof(shape), "k x d = %d x %d", k, d);
		check_shape(caller, "means", opts->means_ndim, opts->means_dims, 2, want, shape);
	}
	if (opts->weights)
	{
		want[0] = k;
		snprintf(shape, sizeof(shape), "k = %d", k);
		check_shape(caller, "weights", opts->weights_ndim, opts->weights_dims, 1, want, shape);
	}
	if (opts->covariances)
	{
		switch (opts->cov_type)
		{
			case GMM_COV_FULL:
				want[0] = k, want[1] = d, want[2] = d;
				snprintf(shape, sizeof(shape), "k x d x d = %d x %d x %d (full)", k, d, d);
				check_shape(caller, "covariances", opts->covariances_ndim,
							opts->covariances_dims, 3, want, shape);
				break;
			case GMM_COV_DIAG:
				want[0] = k, want[1] = d;
				snprintf(shape, sizeof(shape), "k x d = %d x %d (diag)", k, d);
				check_shape(caller, "covariances", opts->covariances_ndim,
							opts->covariances_dims, 2, want, shape);
				break;
			case GMM_COV_SPHERICAL:
				want[0] = k;
				snprintf(shape, sizeof(shape), "k = %d (spherical)", k);
				check_shape(caller, "covariances", opts->covariances_ndim,
							opts->covariances_dims, 1, want, shape);
				break;
			case GMM_COV_TIED:
				want[0] = d, want[1] = d;
				snprintf(shape, sizeof(shape), "d x d = %d x %d (tied)", d, d);
				check_shape(caller, "covariances", opts->covariances_ndim,
							opts->covariances_dims, 2, want, shape);
				break;
		}
	}
	if (opts->means || opts->weights || opts->covariances)
		validate_start(opts, d, caller);
	if (opts->prior)
		gmm_vb_prior_check_dimension(opts->prior, opts->cov_type, d, caller);
}
