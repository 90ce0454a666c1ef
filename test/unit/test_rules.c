/*
 * test_rules.c
 *	  Unit tests of the rules that have one home in the kernel: the
 *	  non-throwing model check (shared by gmm_validate and the driver), the
 *	  BIC/AIC formula, covariance-type names, the lost-mass threshold (shared
 *	  by the M-step and the driver) and the k range the rows allow.
 */
#include "postgres.h"

#include <float.h>

#include "unit.h"
#include "fixtures.h"
#include "kernel/fitopts.h"
#include "kernel/init.h"
#include "kernel/model.h"
#include "kernel/mstep.h"
#include "kernel/suff.h"

/* the problem gmm_model_check reports for a broken copy of a model */
static GmmProblem
check_broken(const Gmm *good, int checks, void (*breakit) (Gmm *))
{
	Gmm		   *m = palloc(VARSIZE(good));
	double	   *work = palloc(sizeof(double) * good->d * good->d);
	GmmProblem	p;

	memcpy(m, good, VARSIZE(good));
	breakit(m);
	memset(&p, 0, sizeof(p));
	if (gmm_model_check(m, checks, work, &p))
		p.kind = GMM_PROBLEM_NONE;
	return p;
}

static void
nan_weight(Gmm *m)
{
	GMM_WEIGHTS(m)[0] = NAN;
}

static void
infinite_mean(Gmm *m)
{
	GMM_MEANS(m)[m->d + 1] = -INFINITY;
}

static void
not_pd_second(Gmm *m)
{
	/* component 2 of a full d = 2 model: off-diagonals far above the diagonal */
	GMM_COVS(m)[4 + 1] = GMM_COVS(m)[4 + 2] = 10.0;
}

static void
zero_variance(Gmm *m)
{
	GMM_COVS(m)[m->d * 2 + 1] = 0.0;
}

static void
asymmetric(Gmm *m)
{
	GMM_COVS(m)[1] += 1e-3;
}

static void
weights_half(Gmm *m)
{
	/* k = 3 */
	GMM_WEIGHTS(m)[0] = 0.25;
	GMM_WEIGHTS(m)[1] = 0.125;
	GMM_WEIGHTS(m)[2] = 0.125;
}

/* each problem with its kind and component; symmetry and weight sum on request */
UNIT_TEST(rules_model_check)
{
	Gmm		   *full = unit_random_model(GMM_COV_FULL, 3, 2, 1);
	Gmm		   *diag = unit_random_model(GMM_COV_DIAG, 3, 2, 1);
	Gmm		   *tied = unit_random_model(GMM_COV_TIED, 3, 2, 1);
	double		work[4];
	GmmProblem	p;

	UNIT_CHECK(gmm_model_check(full, GMM_CHECK_ALL, work, &p), "valid model rejected");
	p = check_broken(full, GMM_CHECK_ALL, nan_weight);
	UNIT_CHECK(p.kind == GMM_PROBLEM_NONFINITE && p.component == 1 &&
			   strcmp(p.what, "weight") == 0, "NaN weight: kind %d component %d", p.kind, p.component);
	p = check_broken(full, GMM_CHECK_ALL, infinite_mean);
	UNIT_CHECK(p.kind == GMM_PROBLEM_NONFINITE && p.component == 2 &&
			   strcmp(p.what, "mean") == 0, "infinite mean: kind %d component %d", p.kind, p.component);
	p = check_broken(full, GMM_CHECK_ALL, not_pd_second);
	UNIT_CHECK(p.kind == GMM_PROBLEM_NOT_PD && p.component == 2 && p.minor == 2,
			   "not PD: kind %d component %d minor %d", p.kind, p.component, p.minor);
	p = check_broken(diag, GMM_CHECK_ALL, zero_variance);
	UNIT_CHECK(p.kind == GMM_PROBLEM_VARIANCE && p.component == 3 && p.value == 0.0,
			   "zero variance: kind %d component %d", p.kind, p.component);
	p = check_broken(tied, GMM_CHECK_ALL, asymmetric);
	UNIT_CHECK(p.kind == GMM_PROBLEM_NOT_SYMMETRIC && p.component == 1,
			   "asymmetric tied: kind %d component %d", p.kind, p.component);
	p = check_broken(tied, GMM_CHECK_WEIGHT_SUM, asymmetric);
	UNIT_CHECK(p.kind == GMM_PROBLEM_NONE, "symmetry checked without GMM_CHECK_SYMMETRY");
	p = check_broken(full, GMM_CHECK_ALL, weights_half);
	UNIT_CHECK(p.kind == GMM_PROBLEM_WEIGHT_SUM && p.component == 0 && p.value == 0.5,
			   "weight sum: kind %d value %g", p.kind, p.value);
	p = check_broken(full, GMM_CHECK_SYMMETRY, weights_half);
	UNIT_CHECK(p.kind == GMM_PROBLEM_NONE, "weight sum checked without GMM_CHECK_WEIGHT_SUM");
}

/* gmm_validate reports what gmm_model_check finds */
UNIT_TEST(rules_validate_agrees_with_check)
{
	Gmm		   *full = unit_random_model(GMM_COV_FULL, 3, 2, 1);
	Gmm		   *m = palloc(VARSIZE(full));

	memcpy(m, full, VARSIZE(full));
	weights_half(m);
	UNIT_EXPECT_ERROR(gmm_validate(m), ERRCODE_DATA_EXCEPTION);
	UNIT_CHECK(strcmp(unit_last_errmsg, "weights sum to 0.5, not 1") == 0, "message %s", unit_last_errmsg);
	memcpy(m, full, VARSIZE(full));
	not_pd_second(m);
	UNIT_EXPECT_ERROR(gmm_validate(m), ERRCODE_DATA_EXCEPTION);
	UNIT_CHECK(strcmp(unit_last_errmsg, "covariance matrix of component 2 is not positive definite") == 0,
			   "message %s", unit_last_errmsg);
}

/* BIC = -2 sum_ll + p ln n, AIC = -2 sum_ll + 2 p */
UNIT_TEST(rules_information_criterion)
{
	UNIT_CLOSE(gmm_information_criterion(GMM_CRITERION_BIC, -100, 50, 5), 200 + 5 * log(50.0), 1e-15);
	UNIT_CLOSE(gmm_information_criterion(GMM_CRITERION_AIC, -100, 50, 5), 210, 1e-15);
}

/* names to codes without throwing: -1 for an unknown name */
UNIT_TEST(rules_cov_type_from_name)
{
	UNIT_CHECK(gmm_cov_type_from_name("full") == GMM_COV_FULL, "full");
	UNIT_CHECK(gmm_cov_type_from_name("diag") == GMM_COV_DIAG, "diag");
	UNIT_CHECK(gmm_cov_type_from_name("spherical") == GMM_COV_SPHERICAL, "spherical");
	UNIT_CHECK(gmm_cov_type_from_name("tied") == GMM_COV_TIED, "tied");
	UNIT_CHECK(gmm_cov_type_from_name("banana") == -1, "banana");
	UNIT_CHECK(gmm_cov_type_from_name("Full") == -1, "names are case-sensitive");
}

/* the M-step counts a component as empty exactly below gmm_mass_threshold */
UNIT_TEST(rules_mass_threshold_in_mstep)
{
	Gmm		   *prev = unit_random_model(GMM_COV_DIAG, 2, 1, 3);
	GmmSuff    *s = gmm_suff_alloc(GMM_COV_DIAG, 2, 1, GMM_MEANS(prev));
	double		t;
	int			n_empty;

	s->nk[0] = 1000;
	s->s2[0] = 1000;
	s->sum_w = 1000;
	UNIT_CHECK(gmm_mass_threshold(0.5) == 10 * DBL_EPSILON, "threshold of a small total");
	t = gmm_mass_threshold(1000);
	UNIT_CHECK(t == 10 * DBL_EPSILON * 1000, "threshold %g", t);

	/* just above and just below the threshold of the total */
	s->nk[1] = t * 1.01;
	s->s2[1] = s->nk[1];
	UNIT_CHECK(s->nk[1] >= gmm_mass_threshold(gmm_suff_mass(s)), "setup");
	gmm_mstep(s, prev, 0, false, &n_empty);
	UNIT_CHECK(n_empty == 0, "at the threshold: n_empty %d", n_empty);
	s->nk[1] = t * 0.99;
	s->s2[1] = s->nk[1];
	UNIT_CHECK(s->nk[1] < gmm_mass_threshold(gmm_suff_mass(s)), "setup");
	gmm_mstep(s, prev, 0, false, &n_empty);
	UNIT_CHECK(n_empty == 1, "below the threshold: n_empty %d", n_empty);
	UNIT_CHECK(gmm_suff_mass(s) == 1000 + t * 0.99, "mass %.17g", gmm_suff_mass(s));
}

/* the k range: an error below k_min distinct rows, k_max capped at them */
UNIT_TEST(rules_k_max_for_rows)
{
	double		X[10] = {1, 1, 1, 1, 2, 2, 3, 3, 2, 2};
	GmmRows		rows = {X, NULL, 5, 2, 5};
	GmmFitOptions opts;

	gmm_fit_options_init(&opts);
	opts.k_min = 2;
	opts.k_max = 3;
	UNIT_CHECK(gmm_k_max_for_rows(&rows, &opts, "unit", 0) == 3, "3 distinct rows, k_max 3");
	opts.k_max = 10;
	UNIT_CHECK(gmm_k_max_for_rows(&rows, &opts, "unit", 0) == 3, "k_max capped at 3");
	opts.k_min = 4;
	UNIT_EXPECT_ERROR(gmm_k_max_for_rows(&rows, &opts, "unit", 0), ERRCODE_DATA_EXCEPTION);
	UNIT_CHECK(strcmp(unit_last_errmsg, "unit: fewer distinct rows (3) than components (4)") == 0,
			   "message %s", unit_last_errmsg);
	UNIT_EXPECT_ERROR(gmm_k_max_for_rows(&rows, &opts, "unit", 100), ERRCODE_DATA_EXCEPTION);
	UNIT_CHECK(strstr(unit_last_errmsg, "in the sample") != NULL, "message %s", unit_last_errmsg);
}
