/*
 * kernel_check.c
 *	  A bench-only loadable module (never part of the extension): it links
 *	  the kernel objects (src/kernel, no SQL layer) and offers
 *		gmm_kernel_check(n, d, k, cov_type, threads, reps) RETURNS text
 *	  which makes a random model and n rows drawn from it, runs the E-step
 *	  of the original row-by-row kernel (kept below as the reference) and of
 *	  gmm_estep_accum, and reports the largest relative differences of the
 *	  statistics and the median times.  Built and run by bench/check_kernels.sh;
 *	  it carries its own copy of the kernels (and its own thread limit, set
 *	  through gmm_thread_limit_hook), so never load gmm.so in the same
 *	  session.
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "kernel/estep.h"
#include "kernel/logpdf.h"
#include "kernel/model.h"
#include "kernel/suff.h"
#include "kernel/threads.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(gmm_kernel_check);

/* the thread limit of the kernels: the "threads" argument */
static int	bench_threads = 1;

static int
bench_thread_limit(void)
{
	return bench_threads;
}

/* xorshift64* and Box-Muller: deterministic data */
static uint64 rng_state;

static double
rng_uniform(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((rng_state * UINT64CONST(2685821657736338717)) >> 11) * (1.0 / 9007199254740992.0);
}

static double
rng_normal(void)
{
	double		u = rng_uniform(),
				v = rng_uniform();

	return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

/* the original per-row log-densities (prepare.c before the fast kernels) */
static void
ref_weighted_logpdfs(const GmmPrepared *p, const double *x, double *out, double *z)
{
	int			k = p->k,
				d = p->d;

	for (int j = 0; j < k; j++)
	{
		const double *mu = p->means + (Size) j * d;
		double		q = 0.0;

		if (p->chol != NULL)
		{
			const double *L = p->chol + j * p->chol_stride;

			for (int i = 0; i < d; i++)
			{
				const double *row = L + (Size) i * d;
				double		s = x[i] - mu[i];

				for (int t = 0; t < i; t++)
					s -= row[t] * z[t];
				z[i] = s / row[i];
				q += z[i] * z[i];
			}
		}
		else
		{
			const double *is = p->inv_std + (Size) j * d;

			for (int i = 0; i < d; i++)
			{
				double		t = (x[i] - mu[i]) * is[i];

				q += t * t;
			}
		}
		out[j] = p->log_norm[j] - 0.5 * q;
	}
}

/* the original row-by-row E-step (em.c before the blocked kernels) */
static void
ref_estep(const GmmPrepared *p, const double *X, int n, GmmSuff *s)
{
	int			k = p->k,
				d = p->d;
	Size		s2n = gmm_s2_count(s->cov_type, d);
	bool		packed = (s->cov_type == GMM_COV_FULL || s->cov_type == GMM_COV_TIED);
	double	   *lp = palloc(sizeof(double) * k);
	double	   *diff = palloc(sizeof(double) * d);
	double	   *z = palloc(sizeof(double) * d);

	for (int r = 0; r < n; r++)
	{
		const double *x = X + (Size) r * d;
		double		mx = -INFINITY,
					sum = 0.0,
					ll;

		ref_weighted_logpdfs(p, x, lp, z);
		for (int j = 0; j < k; j++)
			mx = Max(mx, lp[j]);
		for (int j = 0; j < k; j++)
			sum += exp(lp[j] - mx);
		ll = mx + log(sum);
		s->sum_w += 1.0;
		s->sum_ll += ll;
		for (int j = 0; j < k; j++)
		{
			double		g = exp(lp[j] - ll);
			const double *c = s->shift + (Size) j * d;
			double	   *s1 = s->s1 + (Size) j * d;
			double	   *s2 = s->s2 + (Size) j * s2n;

			if (g == 0.0)
				continue;
			s->nk[j] += g;
			for (int i = 0; i < d; i++)
			{
				diff[i] = x[i] - c[i];
				s1[i] += g * diff[i];
			}
			if (packed)
			{
				for (int i = 0; i < d; i++)
				{
					double		gi = g * diff[i];
					double	   *row = s2 + (Size) i * (i + 1) / 2;

					for (int t = 0; t <= i; t++)
						row[t] += gi * diff[t];
				}
			}
			else
				for (int i = 0; i < d; i++)
					s2[i] += g * diff[i] * diff[i];
		}
	}
}

/* max |a - b| / max |b| */
static double
rel_diff(const double *a, const double *b, Size n)
{
	double		num = 0.0,
				den = 0.0;

	for (Size i = 0; i < n; i++)
	{
		num = Max(num, fabs(a[i] - b[i]));
		den = Max(den, fabs(b[i]));
	}
	return den > 0 ? num / den : num;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* a random model of the given shape and n rows drawn near its means */
static Gmm *
make_case(int n, int d, int k, int cov_type, double **Xout)
{
	Gmm		   *m = gmm_alloc(cov_type, k, d);
	double	   *w = GMM_WEIGHTS(m),
			   *mu = GMM_MEANS(m),
			   *cov = GMM_COVS(m);
	double	   *X = palloc(mul_size(sizeof(double), mul_size(n, d)));
	double	   *A = palloc(sizeof(double) * d * d);
	double		wsum = 0.0;

	rng_state = UINT64CONST(0x9E3779B97F4A7C15) ^ ((uint64) n * 31 + d * 7 + k);
	for (int j = 0; j < k; j++)
	{
		w[j] = 0.5 + rng_uniform();
		wsum += w[j];
		for (int i = 0; i < d; i++)
			mu[(Size) j * d + i] = 3.0 * rng_normal();
	}
	for (int j = 0; j < k; j++)
		w[j] /= wsum;
	for (int j = 0; j < (cov_type == GMM_COV_TIED ? 1 : k); j++)
	{
		if (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED)
		{
			double	   *C = cov + (Size) j * d * d;

			for (int i = 0; i < d * d; i++)
				A[i] = rng_normal();
			for (int i = 0; i < d; i++)
				for (int t = 0; t < d; t++)
				{
					double		v = 0.0;

					for (int u = 0; u < d; u++)
						v += A[i * d + u] * A[t * d + u];
					C[i * d + t] = v / d + (i == t ? 0.5 : 0.0);
				}
		}
		else if (cov_type == GMM_COV_DIAG)
			for (int i = 0; i < d; i++)
				cov[(Size) j * d + i] = 0.5 + 1.5 * rng_uniform();
		else
			cov[j] = 0.5 + 1.5 * rng_uniform();
	}
	/* rows: a component's mean plus unit noise */
	for (int r = 0; r < n; r++)
	{
		int			j = (int) (rng_uniform() * k);

		for (int i = 0; i < d; i++)
			X[(Size) r * d + i] = mu[(Size) j * d + i] + rng_normal();
	}

	*Xout = X;
	return m;
}

/* gmm_kernel_check(n, d, k, cov_type, threads, reps) */
Datum
gmm_kernel_check(PG_FUNCTION_ARGS)
{
	int			n = PG_GETARG_INT32(0),
				d = PG_GETARG_INT32(1),
				k = PG_GETARG_INT32(2);
	int			cov_type = gmm_parse_cov_type(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	int			threads = PG_GETARG_INT32(4),
				reps = Max(PG_GETARG_INT32(5), 1);
	double	   *X;
	Gmm		   *m = make_case(n, d, k, cov_type, &X);
	double	   *tref = palloc(sizeof(double) * reps),
			   *tnew = palloc(sizeof(double) * reps);
	GmmPrepared *p;
	GmmSuff    *sref,
			   *snew;
	Size		s2n = gmm_s2_count(cov_type, d);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "check", ALLOCSET_DEFAULT_SIZES);

	p = gmm_prepare(m, cxt);
	sref = gmm_suff_alloc(cov_type, k, d, p->means);
	snew = gmm_suff_alloc(cov_type, k, d, p->means);
	bench_threads = threads;
	gmm_thread_limit_hook = bench_thread_limit;
	for (int rep = 0; rep < reps; rep++)
	{
		double		t0;

		gmm_suff_reset(sref);
		t0 = now_ms();
		ref_estep(p, X, n, sref);
		tref[rep] = now_ms() - t0;
		gmm_suff_reset(snew);
		t0 = now_ms();
		gmm_estep_accum(p, X, NULL, n, snew);
		tnew[rep] = now_ms() - t0;
	}
	qsort(tref, reps, sizeof(double), cmp_double);
	qsort(tnew, reps, sizeof(double), cmp_double);

	PG_RETURN_TEXT_P(cstring_to_text(psprintf(
		"n=%d d=%d k=%d %s threads=%d: ll_rel=%.3g nk_rel=%.3g s1_rel=%.3g s2_rel=%.3g sum_w=%g ref_ms=%.2f new_ms=%.2f speedup=%.1f",
		n, d, k, gmm_cov_type_name(cov_type), gmm_thread_count(1e30),
		fabs(snew->sum_ll - sref->sum_ll) / fabs(sref->sum_ll),
		rel_diff(snew->nk, sref->nk, k),
		rel_diff(snew->s1, sref->s1, (Size) k * d),
		rel_diff(snew->s2, sref->s2, (Size) k * s2n),
		snew->sum_w, tref[reps / 2], tnew[reps / 2], tref[reps / 2] / tnew[reps / 2])));
}

PG_FUNCTION_INFO_V1(gmm_score_check);

/*
 * gmm_score_check(n, d, k, cov_type, reps): gmm_point_logpdf over n rows
 * against the original per-point kernel with libm's exp and log.
 */
Datum
gmm_score_check(PG_FUNCTION_ARGS)
{
	int			n = PG_GETARG_INT32(0),
				d = PG_GETARG_INT32(1),
				k = PG_GETARG_INT32(2);
	int			cov_type = gmm_parse_cov_type(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	int			reps = Max(PG_GETARG_INT32(4), 1);
	double	   *X;
	Gmm		   *m = make_case(n, d, k, cov_type, &X);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "check", ALLOCSET_DEFAULT_SIZES);
	GmmPrepared *p = gmm_prepare(m, cxt);
	double	   *lp = palloc(sizeof(double) * k),
			   *z = palloc(sizeof(double) * d),
			   *tref = palloc(sizeof(double) * reps),
			   *tnew = palloc(sizeof(double) * reps),
			   *tlp = palloc(sizeof(double) * reps);
	double		maxrel = 0.0,
				sref = 0.0,
				snew = 0.0;

	for (int rep = 0; rep < reps; rep++)
	{
		double		t0 = now_ms();

		sref = 0.0;
		for (int r = 0; r < n; r++)
		{
			double		mx = -INFINITY,
						sum = 0.0;

			ref_weighted_logpdfs(p, X + (Size) r * d, lp, z);
			for (int j = 0; j < k; j++)
				mx = Max(mx, lp[j]);
			for (int j = 0; j < k; j++)
				sum += exp(lp[j] - mx);
			sref += mx + log(sum);
		}
		tref[rep] = now_ms() - t0;
		t0 = now_ms();
		snew = 0.0;
		for (int r = 0; r < n; r++)
			snew += gmm_point_logpdf(p, X + (Size) r * d, lp);
		tnew[rep] = now_ms() - t0;
		t0 = now_ms();
		for (int r = 0; r < n; r++)
		{
			gmm_weighted_logpdfs(p, X + (Size) r * d, lp);
			snew += lp[0] * 1e-300;
		}
		tlp[rep] = now_ms() - t0;
	}
	/* per point */
	for (int r = 0; r < Min(n, 10000); r++)
	{
		double		mx = -INFINITY,
					sum = 0.0,
					a,
					b;

		ref_weighted_logpdfs(p, X + (Size) r * d, lp, z);
		for (int j = 0; j < k; j++)
			mx = Max(mx, lp[j]);
		for (int j = 0; j < k; j++)
			sum += exp(lp[j] - mx);
		a = mx + log(sum);
		b = gmm_point_logpdf(p, X + (Size) r * d, lp);
		maxrel = Max(maxrel, fabs(a - b) / Max(fabs(a), 1e-300));
	}
	qsort(tref, reps, sizeof(double), cmp_double);
	qsort(tnew, reps, sizeof(double), cmp_double);
	qsort(tlp, reps, sizeof(double), cmp_double);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf(
		"logpdf n=%d d=%d k=%d %s: max_rel=%.3g sum_rel=%.3g ref_ns=%.1f new_ns=%.1f (of which component log-densities %.1f) per point",
		n, d, k, gmm_cov_type_name(cov_type), maxrel, fabs(snew - sref) / fabs(sref),
		tref[reps / 2] * 1e6 / n, tnew[reps / 2] * 1e6 / n, tlp[reps / 2] * 1e6 / n)));
}
