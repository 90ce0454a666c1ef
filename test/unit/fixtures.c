/*
 * fixtures.c
 *	  Test models and statistics shared by the kernel unit tests.
 */
#include "postgres.h"

#include <math.h>

#include "unit.h"
#include "fixtures.h"

/* A valid random model of the given shape (see fixtures.h) */
Gmm *
unit_random_model(int cov_type, int k, int d, uint64 seed)
{
	Gmm		   *m = gmm_alloc(cov_type, k, d);
	double	   *w = GMM_WEIGHTS(m);
	double	   *mu = GMM_MEANS(m);
	double	   *c = GMM_COVS(m);
	double	   *a = palloc(sizeof(double) * d * d);
	double		sum = 0.0;
	pg_prng_state rng;
	int			nmat = (cov_type == GMM_COV_FULL) ? k : 1;

	pg_prng_seed(&rng, seed);
	for (int j = 0; j < k; j++)
		sum += (w[j] = 0.2 + pg_prng_double(&rng));
	for (int j = 0; j < k; j++)
		w[j] /= sum;
	for (int i = 0; i < k * d; i++)
		mu[i] = 4.0 * pg_prng_double(&rng) - 2.0;
	switch (cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			for (int j = 0; j < nmat; j++)
			{
				double	   *C = c + (Size) j * d * d;

				for (int i = 0; i < d * d; i++)
					a[i] = 2.0 * pg_prng_double(&rng) - 1.0;
				for (int r = 0; r < d; r++)
					for (int s = 0; s <= r; s++)
					{
						double		v = 0.0;

						for (int t = 0; t < d; t++)
							v += a[r * d + t] * a[s * d + t];
						v /= d;
						if (r == s)
							v += 0.2;
						C[r * d + s] = C[s * d + r] = v;
					}
			}
			break;
		case GMM_COV_DIAG:
			for (int i = 0; i < k * d; i++)
				c[i] = 0.3 + 1.7 * pg_prng_double(&rng);
			break;
		case GMM_COV_SPHERICAL:
			for (int j = 0; j < k; j++)
				c[j] = 0.3 + 1.7 * pg_prng_double(&rng);
			break;
	}
	pfree(a);
	gmm_validate(m);
	return m;
}

/* A copy of s */
GmmSuff *
unit_suff_copy(const GmmSuff *s)
{
	GmmSuff    *c = gmm_suff_alloc(s->cov_type, s->k, s->d, s->shift);

	c->sum_w = s->sum_w;
	c->sum_ll = s->sum_ll;
	memcpy(c->nk, s->nk, sizeof(double) * s->k);
	memcpy(c->s1, s->s1, sizeof(double) * s->k * s->d);
	memcpy(c->s2, s->s2, sizeof(double) * s->k * gmm_s2_count(s->cov_type, s->d));
	return c;
}

/* Same bits everywhere */
bool
unit_suff_identical(const GmmSuff *a, const GmmSuff *b)
{
	Size		s2n = (Size) a->k * gmm_s2_count(a->cov_type, a->d);

	return a->k == b->k && a->d == b->d && a->cov_type == b->cov_type &&
		memcmp(&a->sum_w, &b->sum_w, sizeof(double)) == 0 &&
		memcmp(&a->sum_ll, &b->sum_ll, sizeof(double)) == 0 &&
		memcmp(a->nk, b->nk, sizeof(double) * a->k) == 0 &&
		memcmp(a->s1, b->s1, sizeof(double) * a->k * a->d) == 0 &&
		memcmp(a->s2, b->s2, sizeof(double) * s2n) == 0;
}

/* Agreement to rel, norm-wise per array */
bool
unit_suff_close(const GmmSuff *a, const GmmSuff *b, double rel)
{
	Size		s2n = (Size) a->k * gmm_s2_count(a->cov_type, a->d);

	return a->k == b->k && a->d == b->d && a->cov_type == b->cov_type &&
		unit_close(a->sum_w, b->sum_w, rel) &&
		unit_close(a->sum_ll, b->sum_ll, rel) &&
		unit_arrays_close(a->nk, b->nk, a->k, rel) &&
		unit_arrays_close(a->s1, b->s1, (Size) a->k * a->d, rel) &&
		unit_arrays_close(a->s2, b->s2, s2n, rel);
}
