/*
 * kernel/suff.c
 *	  Sufficient statistics (GmmSuff, see suff.h): allocation, reset, merge
 *	  and free.  Calls nothing else of gmm.
 */
#include "postgres.h"

#include "kernel/suff.h"

/* Zeroed statistics for a model of the given shape */
GmmSuff *
gmm_suff_alloc(int cov_type, int k, int d, const double *shift)
{
	GmmSuff    *s = palloc0(sizeof(GmmSuff));

	s->k = k;
	s->d = d;
	s->cov_type = cov_type;
	s->nk = palloc0(sizeof(double) * k);
	s->s1 = palloc0(mul_size(sizeof(double), mul_size(k, d)));
	s->s2 = palloc0(mul_size(sizeof(double), mul_size(k, gmm_s2_count(cov_type, d))));
	s->shift = shift;
	return s;
}

/* Set all sums back to zero */
void
gmm_suff_reset(GmmSuff *s)
{
	s->sum_w = 0.0;
	s->sum_ll = 0.0;
	memset(s->nk, 0, sizeof(double) * s->k);
	memset(s->s1, 0, sizeof(double) * s->k * s->d);
	memset(s->s2, 0, sizeof(double) * s->k * gmm_s2_count(s->cov_type, s->d));
}

/* a += b */
void
gmm_suff_merge(GmmSuff *a, const GmmSuff *b)
{
	Size		n1 = (Size) a->k * a->d,
				n2 = (Size) a->k * gmm_s2_count(a->cov_type, a->d);

	Assert(a->k == b->k && a->d == b->d && a->cov_type == b->cov_type);
	a->sum_w += b->sum_w;
	a->sum_ll += b->sum_ll;
	for (int j = 0; j < a->k; j++)
		a->nk[j] += b->nk[j];
	for (Size i = 0; i < n1; i++)
		a->s1[i] += b->s1[i];
	for (Size i = 0; i < n2; i++)
		a->s2[i] += b->s2[i];
}

/* Free s and its arrays (not the shift, which it does not own) */
void
gmm_suff_free(GmmSuff *s)
{
	pfree(s->nk);
	pfree(s->s1);
	pfree(s->s2);
	pfree(s);
}
