/*
 * kernel/missing.c
 *	  The E-step and the log-densities of incomplete rows (see
 *	  kernel/missing.h).  For a row with observed dimensions o and missing
 *	  dimensions m, and component j with mean mu and covariance S:
 *		L		the lower Cholesky factor of S_oo
 *		z		L^{-1} (x_o - mu_o); log N(x_o) = log_norm_o - |z|^2 / 2
 *		Y		L^{-1} S_om (o x m)
 *		E[x_m - mu_m | x_o] = Y^T z
 *		Cov[x_m | x_o]		= S_mm - Y^T Y
 *	  The statistics of the row (shifted by mu, as in suff.h) are those of
 *	  the completed row x^ = (x_o, mu_m + Y^T z), with the conditional
 *	  covariance added to the second moments of the missing block.  L, Y,
 *	  the conditional covariance and log_norm_o depend only on the pattern,
 *	  so full and tied models keep them per pattern in a hash table (a
 *	  bounded amount: when full, it is emptied and refilled); diag and
 *	  spherical models need no factorisation (x_m's conditional mean is
 *	  mu_m, its variance the component's).
 */
#include "postgres.h"

#include <math.h>
#include <cblas.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "kernel/estep.h"
#include "kernel/linalg.h"
#include "kernel/missing.h"
#include "kernel/missing_int.h"
#include "kernel/vecmath.h"

/* A cache for prepared model p */
GmmMissCache *
gmm_miss_cache_create(const GmmPrepared *p, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	GmmMissCache *c = palloc0(sizeof(GmmMissCache));
	int			k = p->k,
				d = p->d;

	c->p = p;
	c->m = p->model;
	c->k = k;
	c->d = d;
	c->cov_type = p->cov_type;
	c->nmat = (p->cov_type == GMM_COV_FULL) ? k : 1;
	c->cxt = cxt;
	c->pat_cxt = AllocSetContextCreate(cxt, "gmm missingness patterns",
									   ALLOCSET_DEFAULT_SIZES);
	c->slots = palloc0(sizeof(MissPattern *) * MISS_SLOTS);
	c->mask = palloc(d);
	c->diff = palloc(sizeof(double) * d);
	c->dxo = palloc(sizeof(double) * d);
	c->z = palloc(mul_size(sizeof(double), mul_size(k, d)));
	c->lp = palloc(sizeof(double) * k);
	c->gx = palloc(mul_size(sizeof(double), mul_size(MISS_CHUNK, d)));
	c->gw = palloc(sizeof(double) * MISS_CHUNK);
	c->pend_cap = (int) Max(16, Min((Size) MISS_PEND_MAX,
									MISS_PEND_DOUBLES / ((Size) k + 3 * (Size) d + 1)));
	c->pend_cap = (c->pend_cap + GMM_LANES - 1) / GMM_LANES * GMM_LANES;	/* padded groups fit */
	c->pend_x = palloc(mul_size(sizeof(double), mul_size(c->pend_cap, d)));
	c->pend_w = palloc(sizeof(double) * c->pend_cap);
	c->pend_pt = palloc(sizeof(MissPattern *) * c->pend_cap);
	if (p->cov_type != GMM_COV_DIAG && p->cov_type != GMM_COV_SPHERICAL && d <= MISS_DIRECT_D)
		c->direct = palloc0(sizeof(MissPattern *) << d);
	if (p->cov_type == GMM_COV_DIAG || p->cov_type == GMM_COV_SPHERICAL)
	{
		const double *cov = GMM_COVS(c->m);

		c->var = palloc(mul_size(sizeof(double), mul_size(k, d)));
		c->logvar = palloc(mul_size(sizeof(double), mul_size(k, d)));
		for (int j = 0; j < k; j++)
			for (int i = 0; i < d; i++)
			{
				double		v = (p->cov_type == GMM_COV_DIAG) ? cov[(Size) j * d + i] : cov[j];

				c->var[(Size) j * d + i] = v;
				c->logvar[(Size) j * d + i] = log(v);
			}
	}
	MemoryContextSwitchTo(old);
	return c;
}

/* The cache kept with prepared model p */
GmmMissCache *
gmm_miss_cache_of(const GmmPrepared *p)
{
	if (p->miss == NULL)
		((GmmPrepared *) p)->miss = gmm_miss_cache_create(p, p->cxt);
	return p->miss;
}

/* Factor component matrix S (d x d) for the pattern into L, Y, C */
static int
factor_pattern(const MissPattern *pt, const double *S, int d,
			   double *L, double *Y, double *C)
{
	int			no = pt->no,
				nm = pt->nm,
				minor;

	for (int a = 0; a < no; a++)
		for (int b = 0; b < no; b++)
			L[(Size) a * no + b] = S[(Size) pt->obs[a] * d + pt->obs[b]];
	minor = gmm_cholesky(L, no);
	if (minor != 0 || nm == 0)
		return minor;
	for (int a = 0; a < no; a++)
		for (int b = 0; b < nm; b++)
			Y[(Size) a * nm + b] = S[(Size) pt->obs[a] * d + pt->mis[b]];
	for (int a = 0; a < nm; a++)
		for (int b = 0; b < nm; b++)
			C[(Size) a * nm + b] = S[(Size) pt->mis[a] * d + pt->mis[b]];
	cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
				no, nm, 1.0, L, no, Y, nm);
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nm, nm, no,
				-1.0, Y, nm, Y, nm, 1.0, C, nm);
	/* exactly symmetric */
	for (int a = 0; a < nm; a++)
		for (int b = 0; b < a; b++)
			C[(Size) b * nm + a] = C[(Size) a * nm + b];
	return 0;
}

/* Build the entry of the pattern in c->mask (full and tied models) */
static MissPattern *
build_pattern(GmmMissCache *c, uint32 hash)
{
	int			d = c->d,
				k = c->k,
				nmat = c->nmat;
	MemoryContext old = MemoryContextSwitchTo(c->pat_cxt);
	MissPattern *pt = palloc0(sizeof(MissPattern));
	const double *w = GMM_WEIGHTS(c->m);
	Size		dd = (Size) d * d;

	pt->hash = hash;
	pt->bits = c->bits;
	pt->id = c->next_id++;
	pt->mask = palloc(d);
	memcpy(pt->mask, c->mask, d);
	pt->obs = palloc(sizeof(int) * d);
	pt->mis = palloc(sizeof(int) * d);
	for (int i = 0; i < d; i++)
	{
		if (c->mask[i])
			pt->obs[pt->no++] = i;
		else
			pt->mis[pt->nm++] = i;
	}
	pt->log_norm = palloc(sizeof(double) * k);
	pt->L = palloc(mul_size(sizeof(double), mul_size(nmat, (Size) pt->no * pt->no)));
	pt->Y = palloc(mul_size(sizeof(double), mul_size(nmat, (Size) pt->no * pt->nm) + 1));
	pt->C = palloc(mul_size(sizeof(double), mul_size(nmat, (Size) pt->nm * pt->nm) + 1));
	for (int t = 0; t < nmat && pt->bad == 0; t++)
	{
		int			minor = factor_pattern(pt, GMM_COVS(c->m) + (Size) t * dd, d,
										   pt->L + (Size) t * pt->no * pt->no,
										   pt->Y + (Size) t * pt->no * pt->nm,
										   pt->C + (Size) t * pt->nm * pt->nm);

		if (minor != 0)
			pt->bad = t + 1, pt->bad_minor = minor;
	}
	pt->rdiag = palloc(mul_size(sizeof(double), mul_size(nmat, pt->no)));
	if (pt->bad == 0)
		for (int t = 0; t < nmat; t++)
			for (int a = 0; a < pt->no; a++)
				pt->rdiag[(Size) t * pt->no + a] =
					1.0 / pt->L[(Size) t * pt->no * pt->no + (Size) a * pt->no + a];
	if (pt->bad == 0)
		for (int j = 0; j < k; j++)
		{
			const double *L = pt->L + (Size) (nmat == 1 ? 0 : j) * pt->no * pt->no;

			pt->log_norm[j] = (w[j] > 0.0 ? log(w[j]) : -INFINITY)
				- 0.5 * pt->no * GMM_LOG_2PI - 0.5 * gmm_chol_logdet(L, pt->no);
		}
	MemoryContextSwitchTo(old);
	c->bytes += sizeof(double) * nmat * ((Size) pt->no * pt->no + (Size) pt->no * pt->nm +
										 (Size) pt->nm * pt->nm) + 2 * sizeof(int) * d + d;
	return pt;
}

/* Error: component's covariance restricted to the pattern is not PD */
static void
pg_attribute_noreturn()
singular_block_error(const GmmMissCache *c, const MissPattern *pt)
{
	char		buf[256];
	int			len = 0;

	buf[0] = '\0';
	for (int a = 0; a < pt->no && len < (int) sizeof(buf) - 16; a++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%d", a ? "," : "", pt->obs[a] + 1);
	if (len >= (int) sizeof(buf) - 16)
		snprintf(buf + len, sizeof(buf) - len, ",...");
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("the covariance of component %d restricted to the observed dimensions {%s} of a row is not positive definite",
					c->cov_type == GMM_COV_TIED ? 1 : pt->bad, buf),
			 errdetail("Its leading minor of order %d is not positive definite.", pt->bad_minor),
			 errhint("Increase \"reg_covar\", or use a covariance_type with fewer parameters such as \"diag\".")));
}

/* Is the pattern table full (to be emptied before the next lookup)? */
bool
gmm_miss_patterns_full(const GmmMissCache *c)
{
	return c->n_patterns >= MISS_MAX_PATTERNS || c->bytes > MISS_MAX_BYTES;
}

/* Empty the pattern table (every MissPattern pointer becomes invalid) */
void
gmm_miss_patterns_reset(GmmMissCache *c)
{
	MemoryContextReset(c->pat_cxt);
	memset(c->slots, 0, sizeof(MissPattern *) * MISS_SLOTS);
	if (c->direct)
		memset(c->direct, 0, sizeof(MissPattern *) << c->d);
	c->n_patterns = 0;
	c->bytes = 0;
}

/*
 * The pattern of c->mask: from the table, or built and stored (the caller
 * empties a full table first); errors out when a component's block is not
 * positive definite
 */
MissPattern *
gmm_miss_pattern(GmmMissCache *c)
{
	uint32		h = (c->d <= 64) ? (uint32) (c->bits ^ (c->bits >> 29) ^ (c->bits >> 47)) * 0x9E3779B1u
		: hash_bytes((const unsigned char *) c->mask, c->d);
	uint32		slot = h & (MISS_SLOTS - 1);
	MissPattern *pt;

	for (;;)
	{
		pt = c->slots[slot];
		if (pt == NULL)
			break;
		if (pt->hash == h && (c->d <= 64 ? pt->bits == c->bits :
							  memcmp(pt->mask, c->mask, c->d) == 0))
			return pt;
		slot = (slot + 1) & (MISS_SLOTS - 1);
	}
	pt = build_pattern(c, h);
	c->slots[slot] = pt;
	c->n_patterns++;
	if (pt->bad)
		singular_block_error(c, pt);
	return pt;
}

/*
 * The weighted log-densities of the observed part of x (mask in c->mask,
 * no observed dimensions) into c->lp, and for full/tied the whitened
 * residuals z_j into c->z; returns the pattern (NULL for diag/spherical)
 */
static MissPattern *
observed_lp(GmmMissCache *c, const double *x)
{
	int			k = c->k,
				d = c->d;
	const double *mu = GMM_MEANS(c->m);
	const double *w = GMM_WEIGHTS(c->m);
	MissPattern *pt;

	if (c->cov_type == GMM_COV_DIAG || c->cov_type == GMM_COV_SPHERICAL)
	{
		for (int j = 0; j < k; j++)
		{
			const double *mj = mu + (Size) j * d;
			const double *lv = c->logvar + (Size) j * d;
			const double *v = c->var + (Size) j * d;
			double		q = 0.0,
						ld = 0.0;
			int			no = 0;

			for (int i = 0; i < d; i++)
				if (c->mask[i])
				{
					double		t = x[i] - mj[i];

					q += t * t / v[i];
					ld += lv[i];
					no++;
				}
			c->lp[j] = (w[j] > 0.0 ? log(w[j]) : -INFINITY)
				- 0.5 * no * GMM_LOG_2PI - 0.5 * ld - 0.5 * q;
		}
		return NULL;
	}
	if (gmm_miss_patterns_full(c))
		gmm_miss_patterns_reset(c);
	pt = gmm_miss_pattern(c);
	for (int j = 0; j < k; j++)
	{
		const double *mj = mu + (Size) j * d;
		const double *L = pt->L + (Size) (c->nmat == 1 ? 0 : j) * pt->no * pt->no;
		double	   *z = c->z + (Size) j * d;

		for (int a = 0; a < pt->no; a++)
			c->dxo[a] = x[pt->obs[a]] - mj[pt->obs[a]];
		gmm_forward_solve(L, pt->no, c->dxo, z);
		c->lp[j] = pt->log_norm[j] - 0.5 * gmm_sumsq(z, pt->no);
	}
	return pt;
}

/* Has x a NaN among its d values? */
static inline bool
has_nan(const double *x, int d)
{
	bool		any = false;

	for (int i = 0; i < d; i++)
		any |= isnan(x[i]);
	return any;
}

/*
 * c->mask from x (and for d <= 64 c->bits, bit i set when value i is
 * observed); returns the number of observed values
 */
static inline int
set_mask(GmmMissCache *c, const double *x)
{
	int			no = 0;
	uint64		bits = 0;

	for (int i = 0; i < c->d; i++)
	{
		bool		o = !isnan(x[i]);

		c->mask[i] = o;
		no += o;
		if (i < 64)
			bits |= (uint64) o << i;
	}
	c->bits = bits;
	return no;
}

/* log p(x_o) and the weighted log-densities lp[k] */
double
gmm_observed_logpdf(GmmMissCache *c, const double *x, double *lp)
{
	int			no = set_mask(c, x);

	if (no == c->d)
		return gmm_point_logpdf(c->p, x, lp);
	if (no == 0)
		return NAN;
	observed_lp(c, x);
	memcpy(lp, c->lp, sizeof(double) * c->k);
	return gmm_logsumexp(lp, c->k);
}

/* The statistics of one incomplete row (mask in c->mask) of weight wr */
static void
accum_incomplete(GmmMissCache *c, const double *x, double wr, GmmSuff *s)
{
	int			k = c->k,
				d = c->d;
	Size		s2n = gmm_s2_count(c->cov_type, d);
	const double *mu = GMM_MEANS(c->m);
	MissPattern *pt = observed_lp(c, x);
	double	   *e = c->lp;
	double		mx = -INFINITY,
				sum = 0.0,
				ll,
				scale;

	/* log-sum-exp, keeping e_j = exp(lp_j - max) for the responsibilities */
	for (int j = 0; j < k; j++)
		mx = Max(mx, e[j]);
	if (isinf(mx))
	{
		s->sum_w += wr;
		s->sum_ll += wr * mx;
		return;					/* no component gives the row a density */
	}
	for (int j = 0; j < k; j++)
	{
		e[j] = exp(e[j] - mx);
		sum += e[j];
	}
	ll = mx + log(sum);
	s->sum_w += wr;
	s->sum_ll += wr * ll;
	scale = wr / sum;
	for (int j = 0; j < k; j++)
	{
		double		g = e[j] * scale;
		const double *mj = mu + (Size) j * d;
		double	   *s1 = s->s1 + (Size) j * d;
		double	   *s2 = s->s2 + (Size) j * s2n;
		double	   *diff = c->diff;

		if (g == 0.0)
			continue;
		s->nk[j] += g;
		if (pt == NULL)
		{
			/* diag/spherical: the missing values' mean is mu, variance var */
			const double *v = c->var + (Size) j * d;

			for (int i = 0; i < d; i++)
			{
				double		t = c->mask[i] ? x[i] - mj[i] : 0.0;

				s1[i] += g * t;
				s2[i] += g * (c->mask[i] ? t * t : v[i]);
			}
			continue;
		}
		else
		{
			const double *z = c->z + (Size) j * d;
			int			t = (c->nmat == 1) ? 0 : j;
			const double *Y = pt->Y + (Size) t * pt->no * pt->nm;
			const double *C = pt->C + (Size) t * pt->nm * pt->nm;

			for (int a = 0; a < pt->no; a++)
				diff[pt->obs[a]] = x[pt->obs[a]] - mj[pt->obs[a]];
			for (int b = 0; b < pt->nm; b++)
			{
				double		e = 0.0;

				for (int a = 0; a < pt->no; a++)
					e += Y[(Size) a * pt->nm + b] * z[a];
				diff[pt->mis[b]] = e;
			}
			for (int i = 0; i < d; i++)
				s1[i] += g * diff[i];
			gmm_packed_update(s2, diff, g, d);
			for (int a = 0; a < pt->nm; a++)
			{
				int			ia = pt->mis[a];
				double	   *row = s2 + (Size) ia * (ia + 1) / 2;

				for (int b = 0; b <= a; b++)
					row[pt->mis[b]] += g * C[(Size) a * pt->nm + b];
			}
		}
	}
}

/*
 * Row r of X, which has a NaN: skipped and counted when every value is
 * missing; else, for diag/spherical models, its statistics at once, and for
 * full/tied, queued for the grouped E-step of its pattern
 * (kernel/missing_block.c)
 */
static void
incomplete_row(GmmMissCache *c, const double *X, const double *w, int r,
			   GmmSuff *s, GmmMissCounts *cnt)
{
	int			d = c->d;
	const double *x = X + (Size) r * d;
	MissPattern *pt;
	int			no;

	if (c->direct)
	{
		/* the pattern by its bits, without the mask while it is known */
		uint64		bits = 0;

		for (int i = 0; i < d; i++)
			bits |= (uint64) (x[i] == x[i]) << i;
		pt = c->direct[bits];
		if (pt != NULL)
		{
			if (cnt)
			{
				cnt->rows_used += 1.0;
				cnt->values_missing += d - pt->no;
			}
			goto queue;
		}
	}
	no = set_mask(c, x);
	if (no == 0)
	{
		if (cnt)
			cnt->rows_skipped += 1.0;
		return;
	}
	if (cnt)
	{
		cnt->rows_used += 1.0;
		cnt->values_missing += d - no;
	}
	if (c->cov_type == GMM_COV_DIAG || c->cov_type == GMM_COV_SPHERICAL)
	{
		accum_incomplete(c, X + (Size) r * d, w ? w[r] : 1.0, s);
		return;
	}
	if (gmm_miss_patterns_full(c))
	{
		gmm_miss_flush_pending(c, s);
		gmm_miss_patterns_reset(c);
	}
	pt = gmm_miss_pattern(c);
	if (c->direct)
		c->direct[c->bits] = pt;
queue:
	c->pend_pt[c->n_pend] = pt;
	for (int i = 0; i < d; i++)
		c->pend_x[(Size) c->n_pend * d + i] = X[(Size) r * d + i];
	c->pend_w[c->n_pend] = w ? w[r] : 1.0;
	if (++c->n_pend == c->pend_cap)
		gmm_miss_flush_pending(c, s);
}

/*
 * E-step over a block of rows with missing values, leaving the last
 * complete rows gathered and the incomplete rows waiting in c (see
 * gmm_estep_missing_end): the statistics depend only on the sequence of
 * rows, not on how it is cut into calls
 */
void
gmm_estep_missing_rows(GmmMissCache *c, const double *X, const double *w, int n,
					   GmmSuff *s, GmmMissCounts *cnt)
{
	int			d = c->d;

	for (int r = 0; r < n; r++)
	{
		const double *x = X + (Size) r * d;
		double		wr = w ? w[r] : 1.0;
		double	   *restrict g;

		if ((r & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		if (wr == 0.0)
			continue;
		if (has_nan(x, d))
		{
			incomplete_row(c, X, w, r, s, cnt);
			continue;
		}
		if (cnt)
			cnt->rows_used += 1.0;
		/* a complete row: gathered for the blocked E-step */
		g = c->gx + (Size) c->ng * d;
		for (int i = 0; i < d; i++)
			g[i] = x[i];
		c->gw[c->ng] = wr;
		c->gw_used |= (wr != 1.0);
		if (++c->ng == MISS_CHUNK)
		{
			gmm_estep_accum(c->p, c->gx, c->gw_used ? c->gw : NULL, c->ng, s);
			c->ng = 0;
			c->gw_used = false;
		}
	}
}

/* The statistics of the rows left gathered or waiting in c */
void
gmm_estep_missing_end(GmmMissCache *c, GmmSuff *s)
{
	if (c->ng > 0)
		gmm_estep_accum(c->p, c->gx, c->gw_used ? c->gw : NULL, c->ng, s);
	c->ng = 0;
	c->gw_used = false;
	gmm_miss_flush_pending(c, s);
}

/* E-step over a block of rows with missing values */
void
gmm_estep_missing(GmmMissCache *c, const double *X, const double *w, int n,
				  GmmSuff *s, GmmMissCounts *cnt)
{
	gmm_estep_missing_rows(c, X, w, n, s, cnt);
	gmm_estep_missing_end(c, s);
}
