/*
 * test_special.c
 *	  Unit tests of kernel/special.c: the chi-square quantile against known
 *	  values and the closed form for 2 degrees of freedom.
 */
#include "postgres.h"

#include "unit.h"
#include "kernel/special.h"

/* known values (scipy.stats.chi2.ppf) */
UNIT_TEST(special_chi2_quantile_known)
{
	UNIT_CLOSE(gmm_chi2_quantile_value(0.95, 2), 5.991464547107979, 1e-12);
	UNIT_CLOSE(gmm_chi2_quantile_value(0.5, 1), 0.454936423119572, 1e-12);
	UNIT_CLOSE(gmm_chi2_quantile_value(0.95, 1), 3.841458820694124, 1e-12);
	UNIT_CLOSE(gmm_chi2_quantile_value(0.99, 3), 11.344866730144373, 1e-12);
	UNIT_CLOSE(gmm_chi2_quantile_value(0.5, 10), 9.34181776559197, 1e-12);
}

/* df = 2: the quantile is -2 log(1 - p) */
UNIT_TEST(special_chi2_quantile_df2_closed_form)
{
	static const double ps[] = {1e-6, 0.01, 0.25, 0.5, 0.9, 0.999, 1 - 1e-9};

	for (int i = 0; i < (int) lengthof(ps); i++)
		UNIT_CLOSE(gmm_chi2_quantile_value(ps[i], 2), -2.0 * log1p(-ps[i]), 1e-12);
}

/* increasing in p and in df */
UNIT_TEST(special_chi2_quantile_monotone)
{
	for (int df = 1; df <= 20; df++)
	{
		double		prev = 0.0;

		for (double p = 0.05; p < 1.0; p += 0.05)
		{
			double		q = gmm_chi2_quantile_value(p, df);

			UNIT_CHECK(q > prev, "df %d: q(%g) = %g not above %g", df, p, q, prev);
			UNIT_CHECK(q < gmm_chi2_quantile_value(p, df + 1),
					   "df %d: q(%g) not below df + 1", df, p);
			prev = q;
		}
	}
}
