/*
 * test_model.c
 *	  Unit tests of kernel/model.c: validation catches each kind of bad
 *	  parameter with its SQLSTATE and message; shape limits; parameter
 *	  counts; covariance-type names; full covariance of every type; the
 *	  fingerprint; canonical zeros.
 */
#include "postgres.h"

#include "unit.h"
#include "fixtures.h"
#include "kernel/model.h"

/* a valid model passes; each broken copy fails with the expected message */
UNIT_TEST(model_validate_errors)
{
	Gmm		   *good = unit_random_model(GMM_COV_FULL, 3, 2, 1);
	Size		sz = VARSIZE(good);
	Gmm		   *m = palloc(sz);

#define BROKEN(stmt, text) \
	do { \
		memcpy(m, good, sz); \
		stmt; \
		UNIT_EXPECT_ERROR(gmm_validate(m), ERRCODE_DATA_EXCEPTION); \
		UNIT_CHECK(strcmp(unit_last_errmsg, text) == 0, "message \"%s\", expected \"%s\"", \
				   unit_last_errmsg, text); \
	} while (0)

	gmm_validate(good);
	BROKEN((GMM_WEIGHTS(m)[0] = 0.5, GMM_WEIGHTS(m)[1] = 0.25, GMM_WEIGHTS(m)[2] = -0.25),
		   "weight -0.25 of component 3 is negative");
	BROKEN((GMM_WEIGHTS(m)[0] = 0.25, GMM_WEIGHTS(m)[1] = 0.125, GMM_WEIGHTS(m)[2] = 0.125),
		   "weights sum to 0.5, not 1");
	BROKEN(GMM_WEIGHTS(m)[1] = NAN, "weight of component 2 is NaN");
	BROKEN(GMM_MEANS(m)[3] = INFINITY, "mean of component 2 is infinite");
	BROKEN((GMM_COVS(m)[4 + 1] = 10, GMM_COVS(m)[4 + 2] = 10),
		   "covariance matrix of component 2 is not positive definite");
	BROKEN(GMM_COVS(m)[8 + 1] += 0.5, "covariance matrix of component 3 is not symmetric");
	BROKEN(m->n_iter = 3, "gmm without fit metadata has non-zero metadata fields");
#undef BROKEN
}

/* diag and spherical variances must be positive */
UNIT_TEST(model_validate_variances)
{
	Gmm		   *d = unit_random_model(GMM_COV_DIAG, 2, 3, 2);
	Gmm		   *s = unit_random_model(GMM_COV_SPHERICAL, 2, 3, 2);

	GMM_COVS(d)[4] = 0.0;
	UNIT_EXPECT_ERROR(gmm_validate(d), ERRCODE_DATA_EXCEPTION);
	UNIT_CHECK(strcmp(unit_last_errmsg, "variance 0 of component 2 is not positive") == 0,
			   "message %s", unit_last_errmsg);
	GMM_COVS(s)[0] = -1.0;
	UNIT_EXPECT_ERROR(gmm_validate(s), ERRCODE_DATA_EXCEPTION);
}

/* k and d limits: below 1 is a bad parameter, above the limit a program limit */
UNIT_TEST(model_shape_limits)
{
	gmm_check_shape(1, 1);
	gmm_check_shape(GMM_MAX_K, GMM_MAX_D);
	UNIT_EXPECT_ERROR(gmm_check_shape(0, 2), ERRCODE_INVALID_PARAMETER_VALUE);
	UNIT_EXPECT_ERROR(gmm_check_shape(GMM_MAX_K + 1, 2), ERRCODE_PROGRAM_LIMIT_EXCEEDED);
	UNIT_EXPECT_ERROR(gmm_check_shape(2, 0), ERRCODE_INVALID_PARAMETER_VALUE);
	UNIT_EXPECT_ERROR(gmm_check_shape(2, GMM_MAX_D + 1), ERRCODE_PROGRAM_LIMIT_EXCEEDED);
	/* too many values for the text and jsonb forms */
	UNIT_EXPECT_ERROR(gmm_alloc(GMM_COV_FULL, 1000, 1000), ERRCODE_PROGRAM_LIMIT_EXCEEDED);
}

/* free parameters as scikit-learn counts them, k = 2, d = 3 */
UNIT_TEST(model_n_parameters)
{
	UNIT_CHECK(gmm_n_parameters_kd(GMM_COV_FULL, 2, 3) == 19, "full");
	UNIT_CHECK(gmm_n_parameters_kd(GMM_COV_DIAG, 2, 3) == 13, "diag");
	UNIT_CHECK(gmm_n_parameters_kd(GMM_COV_TIED, 2, 3) == 13, "tied");
	UNIT_CHECK(gmm_n_parameters_kd(GMM_COV_SPHERICAL, 2, 3) == 9, "spherical");
	UNIT_CHECK(gmm_n_parameters(unit_random_model(GMM_COV_FULL, 2, 3, 1)) == 19, "of a model");
}

/* names and codes of the covariance types, both ways */
UNIT_TEST(model_cov_type_names)
{
	static const char *names[4] = {"full", "diag", "spherical", "tied"};

	for (int i = 0; i < GMM_NUM_COV_TYPES; i++)
	{
		UNIT_CHECK(strcmp(gmm_cov_type_name(i), names[i]) == 0, "name of %d", i);
		UNIT_CHECK(gmm_parse_cov_type(names[i]) == i, "code of %s", names[i]);
	}
	UNIT_EXPECT_ERROR(gmm_parse_cov_type("banana"), ERRCODE_INVALID_PARAMETER_VALUE);
	UNIT_CHECK(strcmp(unit_last_errmsg, "invalid covariance type \"banana\"") == 0,
			   "message %s", unit_last_errmsg);
}

/* the full matrix of each type: copied, shared, or diagonal */
UNIT_TEST(model_full_covariance)
{
	double		S[9];

	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		Gmm		   *m = unit_random_model(ct, 2, 3, 7);
		const double *c = GMM_COVS(m);

		gmm_full_covariance(m, 1, S);
		for (int r = 0; r < 3; r++)
			for (int s = 0; s < 3; s++)
			{
				double		expect =
					ct == GMM_COV_FULL ? c[9 + r * 3 + s] :
					ct == GMM_COV_TIED ? c[r * 3 + s] :
					r != s ? 0.0 :
					ct == GMM_COV_DIAG ? c[3 + r] : c[1];

				UNIT_CHECK(S[r * 3 + s] == expect, "%s [%d][%d] = %g, expected %g",
						   gmm_cov_type_name(ct), r, s, S[r * 3 + s], expect);
			}
	}
}

/* equal models have equal fingerprints; one bit changes it */
UNIT_TEST(model_fingerprint)
{
	Gmm		   *a = unit_random_model(GMM_COV_DIAG, 3, 4, 5);
	Gmm		   *b = unit_random_model(GMM_COV_DIAG, 3, 4, 5);

	UNIT_CHECK(gmm_fingerprint(a) == gmm_fingerprint(b), "equal models, different fingerprints");
	GMM_MEANS(b)[5] = nextafter(GMM_MEANS(b)[5], INFINITY);
	UNIT_CHECK(gmm_fingerprint(a) != gmm_fingerprint(b), "one bit changed, same fingerprint");
}

/* canonical form: -0.0 becomes 0.0 everywhere */
UNIT_TEST(model_canonicalize_zeros)
{
	Gmm		   *m = unit_random_model(GMM_COV_SPHERICAL, 2, 2, 3);

	GMM_MEANS(m)[1] = -0.0;
	m->log_likelihood = -0.0;
	gmm_canonicalize(m);
	UNIT_CHECK(!signbit(GMM_MEANS(m)[1]) && !signbit(m->log_likelihood), "-0.0 kept");
	gmm_validate(m);
}
