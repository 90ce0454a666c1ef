/*
 * test_init.c
 *	  Unit tests of kernel/init.c: k-means++ is deterministic for a seed and
 *	  picks rows, one per well-separated blob; k-means lands on the blob
 *	  centres; random starts are distinct rows; distinct rows are counted
 *	  bitwise once -0.0 is made 0.0.
 */
#include "postgres.h"

#include "unit.h"
#include "kernel/fitopts.h"
#include "kernel/init.h"

#define N_ROWS	500

static const double blob_centres[6] = {0, 0, 10, 0, 0, 10};

/* 500 rows around three centres, sd 0.5 */
static GmmRows *
blob_rows(void)
{
	GmmRows    *rows = palloc0(sizeof(GmmRows));
	double	   *X = palloc(sizeof(double) * N_ROWS * 2);

	unit_blobs(X, N_ROWS, 2, 3, blob_centres, 0.5, 99);
	rows->X = X;
	rows->w = NULL;
	rows->n = N_ROWS;
	rows->d = 2;
	rows->sum_w = N_ROWS;
	return rows;
}

/* the initial model for an init method and a seed */
static Gmm *
init_with(const GmmRows *rows, int init, uint64 seed)
{
	GmmFitOptions opts;
	pg_prng_state rng;

	gmm_fit_options_init(&opts);
	opts.init = init;
	pg_prng_seed(&rng, seed);
	return gmm_init_model(rows, 3, &opts, &rng);
}

/* index of the blob centre nearest to x */
static int
nearest_blob(const double *x)
{
	int			best = 0;
	double		bd = INFINITY;

	for (int j = 0; j < 3; j++)
	{
		double		dx = x[0] - blob_centres[2 * j],
					dy = x[1] - blob_centres[2 * j + 1];

		if (dx * dx + dy * dy < bd)
		{
			bd = dx * dx + dy * dy;
			best = j;
		}
	}
	return best;
}

/* the same seed gives the same model, another seed another one */
UNIT_TEST(init_kmeanspp_deterministic)
{
	GmmRows    *rows = blob_rows();
	Gmm		   *a = init_with(rows, GMM_INIT_KMEANSPP, 42);
	Gmm		   *b = init_with(rows, GMM_INIT_KMEANSPP, 42);
	Gmm		   *c = init_with(rows, GMM_INIT_KMEANSPP, 43);

	UNIT_CHECK(VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0,
			   "seed 42 twice: different models");
	UNIT_CHECK(memcmp(a, c, VARSIZE(a)) != 0, "seeds 42 and 43: the same model");
	gmm_validate(a);
}

/* k-means++ means are rows, one in each blob */
UNIT_TEST(init_kmeanspp_picks_rows_in_each_blob)
{
	GmmRows    *rows = blob_rows();

	for (uint64 seed = 1; seed <= 5; seed++)
	{
		Gmm		   *m = init_with(rows, GMM_INIT_KMEANSPP, seed);
		bool		seen[3] = {false, false, false};

		for (int j = 0; j < 3; j++)
		{
			const double *mu = GMM_MEANS(m) + 2 * j;
			bool		is_row = false;

			for (int r = 0; r < N_ROWS && !is_row; r++)
				is_row = memcmp(mu, rows->X + 2 * r, sizeof(double) * 2) == 0;
			UNIT_CHECK(is_row, "seed " UINT64_FORMAT ": mean %d is not a row", seed, j);
			seen[nearest_blob(mu)] = true;
		}
		UNIT_CHECK(seen[0] && seen[1] && seen[2], "seed " UINT64_FORMAT ": a blob without a centre", seed);
	}
}

/* k-means (k-means++ then Lloyd) puts one mean near each centre, weights near 1/3 */
UNIT_TEST(init_kmeans_finds_centres)
{
	GmmRows    *rows = blob_rows();
	Gmm		   *m = init_with(rows, GMM_INIT_KMEANS, 7);
	bool		seen[3] = {false, false, false};

	for (int j = 0; j < 3; j++)
	{
		const double *mu = GMM_MEANS(m) + 2 * j;
		int			b = nearest_blob(mu);

		seen[b] = true;
		UNIT_CHECK(fabs(mu[0] - blob_centres[2 * b]) < 0.2 &&
				   fabs(mu[1] - blob_centres[2 * b + 1]) < 0.2,
				   "mean %d (%g, %g) far from its centre", j, mu[0], mu[1]);
		UNIT_CHECK(fabs(GMM_WEIGHTS(m)[j] - 1.0 / 3) < 0.01, "weight %g", GMM_WEIGHTS(m)[j]);
	}
	UNIT_CHECK(seen[0] && seen[1] && seen[2], "a blob without a mean");
	gmm_validate(m);
}

/* random starts are k distinct rows */
UNIT_TEST(init_random_distinct_rows)
{
	GmmRows    *rows = blob_rows();
	Gmm		   *m = init_with(rows, GMM_INIT_RANDOM, 5);

	for (int j = 0; j < 3; j++)
	{
		bool		is_row = false;

		for (int r = 0; r < N_ROWS && !is_row; r++)
			is_row = memcmp(GMM_MEANS(m) + 2 * j, rows->X + 2 * r, sizeof(double) * 2) == 0;
		UNIT_CHECK(is_row, "mean %d is not a row", j);
		for (int i = 0; i < j; i++)
			UNIT_CHECK(memcmp(GMM_MEANS(m) + 2 * j, GMM_MEANS(m) + 2 * i, sizeof(double) * 2) != 0,
					   "means %d and %d are the same row", i, j);
	}
}

/* distinct rows, bitwise after -0.0 becomes 0.0, up to the limit */
UNIT_TEST(init_count_distinct_rows)
{
	double		X[12] = {1, 2, 1, 2, 0, -0.0, 0, 0, 3, 4, 3, 4};
	GmmRows		rows = {X, NULL, 6, 2, 6};

	UNIT_CHECK(gmm_count_distinct_rows(&rows, 100) == 4, "before canonical zeros: " INT64_FORMAT,
			   gmm_count_distinct_rows(&rows, 100));
	for (int r = 0; r < 6; r++)
		gmm_row_canonical_zeros(X + 2 * r, 2);
	UNIT_CHECK(!signbit(X[5]), "-0.0 kept");
	UNIT_CHECK(gmm_count_distinct_rows(&rows, 100) == 3, "distinct " INT64_FORMAT,
			   gmm_count_distinct_rows(&rows, 100));
	UNIT_CHECK(gmm_count_distinct_rows(&rows, 2) == 2, "limit 2: " INT64_FORMAT,
			   gmm_count_distinct_rows(&rows, 2));
	rows.n = 1;
	UNIT_CHECK(gmm_count_distinct_rows(&rows, 100) == 1, "one row");
}
