/*
 * test_mstep.c
 *	  Unit tests of kernel/mstep.c: the model from known statistics, exactly
 *	  (full, tied, diag, spherical); weights nk / total; a component that
 *	  lost its mass keeps the previous parameters; OAS shrinkage against its
 *	  formula; and E-step + M-step of one component = sample mean and
 *	  covariance.
 */
#include "postgres.h"

#include "unit.h"
#include "fixtures.h"
#include "kernel/estep.h"
#include "kernel/mstep.h"

/* one full component, shift (1, 1): mean (2, 0), covariance {{1.5, 1}, {1, 1.5}} */
UNIT_TEST(mstep_full_known_statistics)
{
	double		shift[2] = {1, 1};
	GmmSuff    *s = gmm_suff_alloc(GMM_COV_FULL, 1, 2, shift);
	Gmm		   *prev = unit_random_model(GMM_COV_FULL, 1, 2, 1);
	Gmm		   *m;
	int			n_empty = -1;
	const double expect[4] = {1.5, 1, 1, 1.5};

	s->sum_w = s->nk[0] = 4;
	s->s1[0] = 4;
	s->s1[1] = -4;
	s->s2[0] = 8;
	s->s2[1] = 0;
	s->s2[2] = 8;
	m = gmm_mstep(s, prev, 0.5, false, &n_empty);
	UNIT_CHECK(n_empty == 0, "n_empty %d", n_empty);
	UNIT_CHECK(m->k == 1 && m->d == 2 && m->cov_type == GMM_COV_FULL, "shape");
	UNIT_CHECK(GMM_WEIGHTS(m)[0] == 1.0, "weight %.17g", GMM_WEIGHTS(m)[0]);
	UNIT_CHECK(GMM_MEANS(m)[0] == 2.0 && GMM_MEANS(m)[1] == 0.0,
			   "mean (%.17g, %.17g)", GMM_MEANS(m)[0], GMM_MEANS(m)[1]);
	for (int i = 0; i < 4; i++)
		UNIT_CHECK(GMM_COVS(m)[i] == expect[i], "cov[%d] = %.17g, expected %g",
				   i, GMM_COVS(m)[i], expect[i]);
	UNIT_CHECK(m->flags == 0, "flags %d", m->flags);
}

/* weights are nk / total; diag and spherical from the same statistics */
UNIT_TEST(mstep_weights_diag_spherical)
{
	double		shift[4] = {0, 0, 10, 10};
	GmmSuff    *sd = gmm_suff_alloc(GMM_COV_DIAG, 2, 2, shift);
	GmmSuff    *ss = gmm_suff_alloc(GMM_COV_SPHERICAL, 2, 2, shift);
	Gmm		   *prev = unit_random_model(GMM_COV_DIAG, 2, 2, 2);
	Gmm		   *prevs = unit_random_model(GMM_COV_SPHERICAL, 2, 2, 2);
	Gmm		   *md,
			   *ms;

	/* component 1: nk 1, s1 (0, 0), s2 (2, 4); component 2: nk 3, s1 (3, -3), s2 (6, 12) */
	for (int t = 0; t < 2; t++)
	{
		GmmSuff    *s = t == 0 ? sd : ss;

		s->sum_w = 4;
		s->nk[0] = 1;
		s->nk[1] = 3;
		s->s1[2] = 3;
		s->s1[3] = -3;
		s->s2[0] = 2;
		s->s2[1] = 4;
		s->s2[2] = 6;
		s->s2[3] = 12;
	}
	md = gmm_mstep(sd, prev, 0.25, false, NULL);
	ms = gmm_mstep(ss, prevs, 0.25, false, NULL);
	UNIT_CHECK(GMM_WEIGHTS(md)[0] == 0.25 && GMM_WEIGHTS(md)[1] == 0.75, "diag weights");
	UNIT_CHECK(GMM_WEIGHTS(ms)[0] == 0.25 && GMM_WEIGHTS(ms)[1] == 0.75, "spherical weights");
	/* means: c + s1 / nk = (0, 0) and (11, 9) */
	UNIT_CHECK(GMM_MEANS(md)[2] == 11 && GMM_MEANS(md)[3] == 9, "diag mean 2");
	/* variances: s2 / nk - delta^2 + reg: (2.25, 4.25) and (2 - 1 + .25, 4 - 1 + .25) */
	UNIT_CHECK(GMM_COVS(md)[0] == 2.25 && GMM_COVS(md)[1] == 4.25, "diag variances 1");
	UNIT_CHECK(GMM_COVS(md)[2] == 1.25 && GMM_COVS(md)[3] == 3.25, "diag variances 2");
	/* spherical: the mean of those */
	UNIT_CHECK(GMM_COVS(ms)[0] == 3.25 && GMM_COVS(ms)[1] == 2.25,
			   "spherical variances %.17g %.17g", GMM_COVS(ms)[0], GMM_COVS(ms)[1]);
}

/* tied: the scatter of both components about their means, divided by the total */
UNIT_TEST(mstep_tied_divides_by_total)
{
	double		shift[4] = {0, 0, 0, 0};
	GmmSuff    *s = gmm_suff_alloc(GMM_COV_TIED, 2, 2, shift);
	Gmm		   *prev = unit_random_model(GMM_COV_TIED, 2, 2, 3);
	Gmm		   *m;

	/* component 1: nk 2, s1 (2, 0), s2 {4, 2, 6}; component 2: nk 2, s1 (0, 0), s2 {2, 0, 2} */
	s->sum_w = 4;
	s->nk[0] = 2;
	s->nk[1] = 2;
	s->s1[0] = 2;
	s->s2[0] = 4;
	s->s2[1] = 2;
	s->s2[2] = 6;
	s->s2[3] = 2;
	s->s2[5] = 2;
	m = gmm_mstep(s, prev, 0.0, false, NULL);
	/*
	 * scatter 1 = s2 - nk delta delta^T with delta (1, 0): {{2, 2}, {2, 6}};
	 * scatter 2 = {{2, 0}, {0, 2}}; sum / 4 = {{1, 0.5}, {0.5, 2}}
	 */
	UNIT_CHECK(GMM_COVS(m)[0] == 1 && GMM_COVS(m)[1] == 0.5 &&
			   GMM_COVS(m)[2] == 0.5 && GMM_COVS(m)[3] == 2,
			   "tied covariance {{%g, %g}, {%g, %g}}", GMM_COVS(m)[0], GMM_COVS(m)[1],
			   GMM_COVS(m)[2], GMM_COVS(m)[3]);
	UNIT_CHECK(GMM_MEANS(m)[0] == 1 && GMM_MEANS(m)[1] == 0, "tied mean 1");
}

/* a component without mass keeps prev's parameters and is counted */
UNIT_TEST(mstep_lost_mass_keeps_previous)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		int			k = 2,
					d = 2;
		Gmm		   *prev = unit_random_model(ct, k, d, 20 + ct);
		GmmSuff    *s = gmm_suff_alloc(ct, k, d, GMM_MEANS(prev));
		Gmm		   *m;
		int			n_empty = -1;

		s->sum_w = 4;
		s->nk[0] = 4;
		s->nk[1] = 1e-300;
		s->s2[0] = 4;
		s->s2[gmm_s2_count(ct, d) - 1] = 4;
		m = gmm_mstep(s, prev, 1e-6, false, &n_empty);
		UNIT_CHECK(n_empty == 1, "%s: n_empty %d", gmm_cov_type_name(ct), n_empty);
		UNIT_CHECK(memcmp(GMM_MEANS(m) + d, GMM_MEANS(prev) + d, sizeof(double) * d) == 0,
				   "%s: mean of the empty component changed", gmm_cov_type_name(ct));
		if (ct == GMM_COV_FULL)
			UNIT_CHECK(memcmp(GMM_COVS(m) + d * d, GMM_COVS(prev) + d * d,
							  sizeof(double) * d * d) == 0, "full: covariance changed");
		else if (ct == GMM_COV_DIAG)
			UNIT_CHECK(memcmp(GMM_COVS(m) + d, GMM_COVS(prev) + d,
							  sizeof(double) * d) == 0, "diag: variances changed");
		else if (ct == GMM_COV_SPHERICAL)
			UNIT_CHECK(GMM_COVS(m)[1] == GMM_COVS(prev)[1], "spherical: variance changed");
		UNIT_CHECK(GMM_WEIGHTS(m)[1] < 1e-299, "%s: weight %g", gmm_cov_type_name(ct),
				   GMM_WEIGHTS(m)[1]);
	}
}

/* OAS: (1 - r) S + r (tr S / d) I with r from Chen et al.'s formula */
UNIT_TEST(mstep_oas_formula)
{
	double		shift[2] = {0, 0};
	GmmSuff    *s = gmm_suff_alloc(GMM_COV_FULL, 1, 2, shift);
	Gmm		   *prev = unit_random_model(GMM_COV_FULL, 1, 2, 4);
	Gmm		   *m;
	double		n = 10,
				S[4] = {3, 1, 1, 1},
				mu,
				a,
				r,
				reg = 0.125;

	/* s2 / nk = S with zero means */
	s->sum_w = s->nk[0] = n;
	s->s2[0] = S[0] * n;
	s->s2[1] = S[2] * n;
	s->s2[2] = S[3] * n;
	m = gmm_mstep(s, prev, reg, true, NULL);
	mu = (S[0] + S[3]) / 2;		/* 2 */
	a = (S[0] * S[0] + S[1] * S[1] + S[2] * S[2] + S[3] * S[3]) / 4;	/* 3 */
	r = Min((a + mu * mu) / ((n + 1) * (a - mu * mu / 2)), 1.0);	/* 7 / 11 */
	UNIT_CLOSE(GMM_COVS(m)[0], (1 - r) * S[0] + r * mu + reg, 1e-15);
	UNIT_CLOSE(GMM_COVS(m)[1], (1 - r) * S[1], 1e-15);
	UNIT_CLOSE(GMM_COVS(m)[2], (1 - r) * S[2], 1e-15);
	UNIT_CLOSE(GMM_COVS(m)[3], (1 - r) * S[3] + r * mu + reg, 1e-15);
	/* without OAS the empirical matrix plus reg */
	m = gmm_mstep(s, prev, reg, false, NULL);
	UNIT_CHECK(GMM_COVS(m)[0] == 3.125 && GMM_COVS(m)[1] == 1 && GMM_COVS(m)[3] == 1.125,
			   "unshrunk covariance");
}

/* E-step + M-step of one component: the weighted mean and population covariance */
UNIT_TEST(mstep_after_estep_is_sample_moments)
{
	int			n = 2000,
				d = 3;
	Gmm		   *m0 = unit_random_model(GMM_COV_FULL, 1, d, 12);
	GmmPrepared *p = gmm_prepare(m0, CurrentMemoryContext);
	double	   *X = palloc(sizeof(double) * n * d);
	double	   *w = palloc(sizeof(double) * n);
	double		mean[3] = {0},
				cov[9] = {0},
				tw = 0;
	GmmSuff    *s = gmm_suff_alloc(GMM_COV_FULL, 1, d, p->means);
	Gmm		   *m;
	const double reg = 1e-6;

	unit_uniform(X, n, d, 13);
	for (int i = 0; i < n * d; i++)
		X[i] = 100.0 + X[i];	/* far from the shift: cancellation costs digits */
	for (int i = 0; i < n; i++)
	{
		w[i] = 1 + (i % 5);
		tw += w[i];
		for (int r = 0; r < d; r++)
			mean[r] += w[i] * X[i * d + r];
	}
	for (int r = 0; r < d; r++)
		mean[r] /= tw;
	for (int i = 0; i < n; i++)
		for (int r = 0; r < d; r++)
			for (int c = 0; c < d; c++)
				cov[r * d + c] += w[i] * (X[i * d + r] - mean[r]) * (X[i * d + c] - mean[c]) / tw;
	gmm_estep_accum(p, X, w, n, s);
	m = gmm_mstep(s, m0, reg, false, NULL);
	UNIT_CHECK(unit_arrays_close(GMM_MEANS(m), mean, d, 1e-13), "mean");
	for (int r = 0; r < d; r++)
		cov[r * d + r] += reg;
	UNIT_CHECK(unit_arrays_close(GMM_COVS(m), cov, d * d, 1e-9), "covariance");
	for (int r = 0; r < d; r++)
		for (int c = 0; c < r; c++)
			UNIT_CHECK(GMM_COVS(m)[r * d + c] == GMM_COVS(m)[c * d + r], "not symmetric");
}
