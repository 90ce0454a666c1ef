/*
 * kernel/special.c
 *	  Special functions: the chi-square quantile, as the inverse of the
 *	  regularised lower incomplete gamma function, solved by safeguarded
 *	  Newton iterations.  Used by geometry.c (gmm_chi2_quantile, confidence
 *	  regions) and sample.c.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "kernel/special.h"

/* ---------------------------------------------------------------------
 * Chi-square quantile: inverse of the regularised lower incomplete gamma
 * function P(a, x), solved by safeguarded Newton iterations.
 * ---------------------------------------------------------------------
 */

/*
 * log(x^a e^-x / Gamma(a)).  For large a, Stirling's series with
 * log(1 + u) - u, u = (x - a) / a, avoids the cancellation between terms
 * of size a log a that the direct formula suffers.
 */
static double
gamma_log_factor(double a, double x)
{
	double		u,
				l1pm,
				ia,
				ia2,
				corr;

	if (a < 20.0)
		return a * log(x) - x - lgamma(a);
	u = (x - a) / a;
	if (fabs(u) < 0.1)
	{
		double		pw = u * u;

		l1pm = 0.0;
		for (int n = 2; n < 40; n++)
		{
			double		term = pw / n;

			l1pm += (n % 2 == 0) ? -term : term;
			if (fabs(term) < 1e-18 * fabs(l1pm))
				break;
			pw *= u;
		}
	}
	else
		l1pm = log(x / a) - u;
	ia = 1.0 / a;
	ia2 = ia * ia;
	corr = ia * (1.0 / 12 - ia2 * (1.0 / 360 - ia2 * (1.0 / 1260 - ia2 / 1680)));
	return a * l1pm + 0.5 * log(a / (2.0 * M_PI)) - corr;
}

/*
 * P(a, x) and Q(a, x) = 1 - P(a, x), each computed directly where it is
 * small: the power series of P for x < a + 1, the continued fraction of Q
 * (modified Lentz) otherwise.
 */
static void
gamma_pq(double a, double x, double *p, double *q)
{
	if (x <= 0.0)
	{
		*p = 0.0, *q = 1.0;
		return;
	}
	if (x < a + 1.0)
	{
		double		term = 1.0 / a,
					sum = term;

		for (int n = 1; n < 1000000; n++)
		{
			term *= x / (a + n);
			sum += term;
			if (term < sum * 1e-17)
				break;
		}
		*p = sum * exp(gamma_log_factor(a, x));
		*q = 1.0 - *p;
	}
	else
	{
		const double tiny = 1e-300;
		double		b = x + 1.0 - a,
					c = 1.0 / tiny,
					dd = 1.0 / b,
					h = dd;

		for (int i = 1; i < 1000000; i++)
		{
			double		an = -i * (i - a),
						del;

			b += 2.0;
			dd = an * dd + b;
			if (fabs(dd) < tiny)
				dd = tiny;
			c = b + an / c;
			if (fabs(c) < tiny)
				c = tiny;
			dd = 1.0 / dd;
			del = dd * c;
			h *= del;
			if (fabs(del - 1.0) < 1e-17)
				break;
		}
		*q = exp(gamma_log_factor(a, x)) * h;
		*p = 1.0 - *q;
	}
}

/* A rough standard normal quantile (absolute error < 5e-4), a starting point */
static double
rough_normal_quantile(double p)
{
	double		pp = (p < 0.5) ? p : 1.0 - p,
				t = sqrt(-2.0 * log(pp)),
				z;

	z = t - (2.515517 + t * (0.802853 + t * 0.010328)) /
		(1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
	return (p < 0.5) ? -z : z;
}

/*
 * The x with P(a, x) = p, for 0 < p < 1 and a > 0, by Newton's method on
 * log P(a, x) = log p below the median and on log Q(a, x) = log(1 - p)
 * above it (1 - p is exact there), safeguarded by bisection.  The log form
 * keeps both tails at full relative accuracy and converges fast far out in
 * them, where P and Q are nearly exponential.
 */
static double
gamma_p_inverse(double a, double p)
{
	bool		upper = (p > 0.5);
	double		logt = upper ? log1p(-p) : log(p);
	double		lo = 0.0,
				hi = INFINITY,
				x,
				s;

	/* Wilson-Hilferty start; the small-x power law where that fails */
	s = 1.0 / (9.0 * a);
	x = a * pow(1.0 - s + rough_normal_quantile(p) * sqrt(s), 3);
	if (!(x > 0.0) || (!upper && a < 1.0))
	{
		/* P(a, x) ~ x^a / Gamma(a + 1) for small x: a quantile that underflows is 0 */
		double		logx = (log(p) + lgamma(a + 1.0)) / a;

		if (logx < log(DBL_MIN))
			return 0.0;
		x = exp(logx);
	}
	if (!(x > 0.0) || !isfinite(x))
		x = a;

	for (int iter = 0; iter < 300; iter++)
	{
		double		P,
					Q,
					f,
					slope,
					xn;

		gamma_pq(a, x, &P, &Q);
		/* f increases with x; slope = df/dx */
		if (upper)
		{
			f = logt - log(Q);
			slope = exp(gamma_log_factor(a, x) - log(Q)) / x;
		}
		else
		{
			f = log(P) - logt;
			slope = exp(gamma_log_factor(a, x) - log(P)) / x;
		}
		/* converged to the rounding noise of log P or log Q */
		if (fabs(f) <= 16.0 * DBL_EPSILON * fmax(1.0, fabs(logt)))
			break;
		if (f < 0.0)
			lo = x;
		else
			hi = x;
		if (hi - lo <= 4.0 * DBL_EPSILON * x)
			break;				/* the bracket is down to rounding */
		xn = x - f / slope;
		if (fabs(xn - x) <= 2.0 * DBL_EPSILON * x)
		{
			x = xn;
			break;
		}
		if (!(xn > lo && xn < hi))
			xn = isinf(hi) ? 2.0 * x + 1.0 : (lo > 0.0 ? 0.5 * (lo + hi) : 0.25 * hi);
		x = xn;
	}
	return x;
}

/* The chi-square quantile with df degrees of freedom at probability p */
double
gmm_chi2_quantile_value(double p, double df)
{
	if (p <= 0.0)
		return 0.0;
	if (p >= 1.0)
		return INFINITY;
	return 2.0 * gamma_p_inverse(0.5 * df, p);
}
