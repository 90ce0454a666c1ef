/*
 * test_driver.c
 *	  Unit tests of the EM driver (kernel/driver.c) over rows in memory: a
 *	  fit of two separated blobs finds them and converges; the same call
 *	  gives the same bits; max_iter = 0 returns the initial model; a k range
 *	  chooses k by BIC and keeps the selection table; weights of 2 give the
 *	  model of weights of 1; too few distinct rows is an error.
 */
#include "postgres.h"

#include "unit.h"
#include "kernel/driver.h"
#include "kernel/fitopts.h"
#include "kernel/init.h"

/* n rows of d = 2 around k centres (sd 0.5) */
static GmmRows *
rows_around(int n, int k, const double *centres, uint64 seed)
{
	GmmRows    *rows = palloc0(sizeof(GmmRows));
	double	   *X = palloc(sizeof(double) * n * 2);

	unit_blobs(X, n, 2, k, centres, 0.5, seed);
	rows->X = X;
	rows->n = n;
	rows->d = 2;
	rows->sum_w = n;
	return rows;
}

static bool
same_model(const Gmm *a, const Gmm *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

static const double two_centres[4] = {-3, 0, 3, 1};

/* two blobs: converged, weights near 1/2, means near the centres; deterministic */
UNIT_TEST(driver_two_blobs)
{
	GmmRows    *rows = rows_around(400, 2, two_centres, 1);
	GmmFitOptions opts;
	Gmm		   *m,
			   *again;

	gmm_fit_options_init(&opts);
	opts.k_min = opts.k_max = 2;
	opts.seed = 1;
	m = gmm_em_fit(rows, &opts, "unit test");
	gmm_validate(m);
	UNIT_CHECK(m->k == 2 && m->d == 2 && m->cov_type == GMM_COV_FULL, "shape");
	UNIT_CHECK((m->flags & GMM_FLAG_FITTED) && (m->flags & GMM_FLAG_CONVERGED),
			   "flags %d", m->flags);
	UNIT_CHECK(m->n_seen == 400, "n_seen %g", m->n_seen);
	UNIT_CHECK(m->n_iter >= 1 && m->n_iter <= opts.max_iter, "n_iter %d", m->n_iter);
	UNIT_CHECK(isfinite(m->log_likelihood), "log_likelihood %g", m->log_likelihood);
	for (int j = 0; j < 2; j++)
	{
		const double *mu = GMM_MEANS(m) + 2 * j;
		int			c = mu[0] < 0 ? 0 : 1;

		UNIT_CHECK(fabs(GMM_WEIGHTS(m)[j] - 0.5) <= 0.05, "weight %g", GMM_WEIGHTS(m)[j]);
		UNIT_CHECK(fabs(mu[0] - two_centres[2 * c]) <= 0.2 &&
				   fabs(mu[1] - two_centres[2 * c + 1]) <= 0.2,
				   "mean (%g, %g) far from centre %d", mu[0], mu[1], c);
	}
	UNIT_CHECK((GMM_MEANS(m)[0] < 0) != (GMM_MEANS(m)[2] < 0), "both means in one blob");
	again = gmm_em_fit(rows, &opts, "unit test");
	UNIT_CHECK(same_model(m, again), "the same fit twice gave different models");
}

/* max_iter = 0: the initial model of the seed, with n_iter 0, not converged */
UNIT_TEST(driver_max_iter_zero_is_initial_model)
{
	GmmRows    *rows = rows_around(400, 2, two_centres, 2);
	GmmFitOptions opts;
	pg_prng_state rng;
	Gmm		   *m,
			   *init;
	Size		nv;

	gmm_fit_options_init(&opts);
	opts.k_min = opts.k_max = 2;
	opts.seed = 5;
	opts.max_iter = 0;
	m = gmm_em_fit(rows, &opts, "unit test");
	UNIT_CHECK(m->n_iter == 0, "n_iter %d", m->n_iter);
	UNIT_CHECK((m->flags & GMM_FLAG_FITTED) && !(m->flags & GMM_FLAG_CONVERGED),
			   "flags %d", m->flags);
	pg_prng_seed(&rng, 5);
	init = gmm_init_model(rows, 2, &opts, &rng);
	nv = gmm_value_count(GMM_COV_FULL, 2, 2);
	UNIT_CHECK(memcmp(GMM_WEIGHTS(m), GMM_WEIGHTS(init), sizeof(double) * nv) == 0,
			   "parameters differ from the initial model's");
}

/* k from 1 to 4 over three blobs: BIC picks 3, and the table has 4 rows */
UNIT_TEST(driver_k_range_by_bic)
{
	static const double three[6] = {0, 0, 8, 0, 0, 8};
	GmmRows    *rows = rows_around(600, 3, three, 3);
	GmmFitOptions opts;
	Gmm		   *m;

	gmm_fit_options_init(&opts);
	opts.k_min = 1;
	opts.k_max = 4;
	opts.k_max_set = true;
	opts.seed = 2;
	m = gmm_em_fit(rows, &opts, "unit test");
	gmm_validate(m);
	UNIT_CHECK(m->k == 3, "k %d", m->k);
	UNIT_CHECK((m->flags & GMM_FLAG_SELECTION) && m->n_selection == 4,
			   "selection flag %d, rows %d", m->flags & GMM_FLAG_SELECTION, m->n_selection);
	for (int r = 0; r < m->n_selection; r++)
		UNIT_CHECK(GMM_SELECTION(m)[r * GMM_SEL_FIELDS] == r + 1, "selection row %d: k %g",
				   r, GMM_SELECTION(m)[r * GMM_SEL_FIELDS]);
}

/* all weights 2 give the model of all weights 1 (but twice the total) */
UNIT_TEST(driver_weights_scale)
{
	GmmRows    *rows = rows_around(400, 2, two_centres, 4);
	GmmRows		wrows = *rows;
	double	   *w = palloc(sizeof(double) * rows->n);
	GmmFitOptions opts;
	Gmm		   *a,
			   *b;

	for (int i = 0; i < rows->n; i++)
		w[i] = 2.0;
	wrows.w = w;
	wrows.sum_w = 2.0 * rows->n;
	gmm_fit_options_init(&opts);
	opts.k_min = opts.k_max = 2;
	opts.seed = 9;
	a = gmm_em_fit(rows, &opts, "unit test");
	b = gmm_em_fit(&wrows, &opts, "unit test");
	UNIT_CHECK(b->n_seen == 800 && a->n_seen == 400, "n_seen %g, %g", a->n_seen, b->n_seen);
	UNIT_CHECK(a->n_iter == b->n_iter, "n_iter %d, %d", a->n_iter, b->n_iter);
	UNIT_CHECK(unit_arrays_close(a->data, b->data, gmm_value_count(a->cov_type, 2, 2), 1e-12),
			   "parameters differ");
	UNIT_CLOSE(a->log_likelihood, b->log_likelihood, 1e-12);
}

/* fewer distinct rows than components is a data error */
UNIT_TEST(driver_too_few_distinct_rows)
{
	double		X[8] = {1, 1, 1, 1, 1, 1, 2, 2};
	GmmRows		rows = {X, NULL, 4, 2, 4};
	GmmFitOptions opts;

	gmm_fit_options_init(&opts);
	opts.k_min = opts.k_max = 3;
	UNIT_EXPECT_ERROR(gmm_em_fit(&rows, &opts, "unit test"), ERRCODE_DATA_EXCEPTION);
	UNIT_CHECK(strstr(unit_last_errmsg, "fewer distinct rows (2) than components (3)") != NULL,
			   "message: %s", unit_last_errmsg);
	opts.k_min = opts.k_max = 2;
	UNIT_CHECK(gmm_em_fit(&rows, &opts, "unit test")->k == 2, "k = 2 fit");
}
