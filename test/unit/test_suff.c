/*
 * test_suff.c
 *	  Unit tests of kernel/suff.c: merging is associative, commutative and
 *	  has the zero statistics as identity; the E-step of all rows is the
 *	  merge of the E-steps of its parts; reset zeroes; free frees all.
 */
#include "postgres.h"

#include "unit.h"
#include "fixtures.h"
#include "kernel/estep.h"
#include "kernel/suff.h"

/* statistics holding integers in [-1000, 1000] (exact sums in binary) */
static GmmSuff *
integer_suff(int cov_type, int k, int d, const double *shift, uint64 seed)
{
	GmmSuff    *s = gmm_suff_alloc(cov_type, k, d, shift);
	Size		s2n = (Size) k * gmm_s2_count(cov_type, d);
	pg_prng_state rng;

#define INT_VALUE() ((double) pg_prng_uint64_range(&rng, 0, 2000) - 1000.0)
	pg_prng_seed(&rng, seed);
	s->sum_w = INT_VALUE();
	s->sum_ll = INT_VALUE();
	for (int j = 0; j < k; j++)
		s->nk[j] = INT_VALUE();
	for (int i = 0; i < k * d; i++)
		s->s1[i] = INT_VALUE();
	for (Size i = 0; i < s2n; i++)
		s->s2[i] = INT_VALUE();
#undef INT_VALUE
	return s;
}

/* (a + b) + c == a + (b + c), a + b == b + a, a + 0 == a, bit for bit */
UNIT_TEST(suff_merge_associative_commutative)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		int			k = 3,
					d = 4;
		double		shift[12] = {0};
		GmmSuff    *a = integer_suff(ct, k, d, shift, 1),
				   *b = integer_suff(ct, k, d, shift, 2),
				   *c = integer_suff(ct, k, d, shift, 3);
		GmmSuff    *ab_c = unit_suff_copy(a),
				   *bc = unit_suff_copy(b),
				   *a_bc = unit_suff_copy(a),
				   *ba = unit_suff_copy(b),
				   *a0 = unit_suff_copy(a),
				   *zero = gmm_suff_alloc(ct, k, d, shift);

		gmm_suff_merge(ab_c, b);
		gmm_suff_merge(ab_c, c);
		gmm_suff_merge(bc, c);
		gmm_suff_merge(a_bc, bc);
		UNIT_CHECK(unit_suff_identical(ab_c, a_bc), "%s: (a+b)+c != a+(b+c)",
				   gmm_cov_type_name(ct));
		gmm_suff_merge(ba, a);
		{
			GmmSuff    *ab = unit_suff_copy(a);

			gmm_suff_merge(ab, b);
			UNIT_CHECK(unit_suff_identical(ab, ba), "%s: a+b != b+a", gmm_cov_type_name(ct));
		}
		gmm_suff_merge(a0, zero);
		UNIT_CHECK(unit_suff_identical(a0, a), "%s: a+0 != a", gmm_cov_type_name(ct));
		/* the sum is what it should be */
		UNIT_CHECK(ab_c->nk[1] == a->nk[1] + b->nk[1] + c->nk[1], "nk sum");
		UNIT_CHECK(ab_c->sum_ll == a->sum_ll + b->sum_ll + c->sum_ll, "sum_ll sum");
	}
}

/* the E-step of 3000 rows is the merge of those of rows 0-999, 1000-1999, 2000-2999 */
UNIT_TEST(suff_estep_of_parts_merges_to_whole)
{
	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		int			n = 3000,
					d = 3,
					k = 4;
		Gmm		   *m = unit_random_model(ct, k, d, 40 + ct);
		GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
		double	   *X = palloc(sizeof(double) * n * d);
		double	   *w = palloc(sizeof(double) * n);
		GmmSuff    *whole = gmm_suff_alloc(ct, k, d, p->means);
		GmmSuff    *merged = gmm_suff_alloc(ct, k, d, p->means);

		unit_uniform(X, n, d, 5);
		for (int i = 0; i < d * n; i++)
			X[i] *= 3.0;
		for (int i = 0; i < n; i++)
			w[i] = (i % 4) * 0.5;
		gmm_estep_accum(p, X, w, n, whole);
		for (int part = 0; part < 3; part++)
		{
			GmmSuff    *s = gmm_suff_alloc(ct, k, d, p->means);

			gmm_estep_accum(p, X + (Size) part * 1000 * d, w + part * 1000, 1000, s);
			gmm_suff_merge(merged, s);
			gmm_suff_free(s);
		}
		UNIT_CHECK(whole->sum_w == merged->sum_w, "%s: sum_w %.17g != %.17g",
				   gmm_cov_type_name(ct), whole->sum_w, merged->sum_w);
		UNIT_CHECK(whole->sum_w == 0.75 * n, "sum_w %.17g", whole->sum_w);
		UNIT_CHECK(unit_suff_close(whole, merged, 1e-12), "%s: whole != merged parts",
				   gmm_cov_type_name(ct));
	}
}

/* reset zeroes every sum and keeps the shape and shift */
UNIT_TEST(suff_reset_zeroes)
{
	double		shift[6] = {1, 2, 3, 4, 5, 6};
	GmmSuff    *s = integer_suff(GMM_COV_FULL, 2, 3, shift, 9);
	GmmSuff    *zero = gmm_suff_alloc(GMM_COV_FULL, 2, 3, shift);

	gmm_suff_reset(s);
	UNIT_CHECK(unit_suff_identical(s, zero), "reset statistics are not zero");
	UNIT_CHECK(s->shift == shift, "shift changed");
}

/* gmm_suff_free leaves the context as it was */
UNIT_TEST(suff_free_releases_everything)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "suff",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	for (int ct = 0; ct < GMM_NUM_COV_TYPES; ct++)
	{
		GmmSuff    *s = gmm_suff_alloc(ct, 5, 7, NULL);

		UNIT_CHECK(unit_context_chunks(cxt) > 0, "nothing allocated");
		gmm_suff_free(s);
		UNIT_CHECK(unit_context_chunks(cxt) == 0, "%s: " INT64_FORMAT " chunks left",
				   gmm_cov_type_name(ct), unit_context_chunks(cxt));
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
