/*
 * gmm.h
 *	  The gmm SQL type: fmgr macros and the readers of SQL arrays (point.c).
 *	  The layout is in kernel/model.h, prepared models in kernel/logpdf.h.
 */
#ifndef GMM_H
#define GMM_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/array.h"

#include "kernel/model.h"
#include "kernel/logpdf.h"

#define DatumGetGmmP(x)			((Gmm *) PG_DETOAST_DATUM(x))
#define PG_GETARG_GMM_P(n)		DatumGetGmmP(PG_GETARG_DATUM(n))
#define PG_RETURN_GMM_P(x)		PG_RETURN_POINTER(x)

/* point.c: float8[] / real[] points and result arrays */
extern int	gmm_point_length(ArrayType *a);
extern int	gmm_point_length_missing(ArrayType *a);
extern void gmm_point_read(ArrayType *a, int d, double *out);
extern void gmm_point_read_datum(Datum datum, int d, double *out);
extern ArrayType *gmm_array_1d(const double *v, int n);
extern ArrayType *gmm_array_nd(const double *v, int ndims, const int *dims);
extern double *gmm_array_values(ArrayType *a, int *n, const char *what);
extern int *gmm_read_dims(ArrayType *a, int d, int *n, bool allow_all,
						  const char *verb);

/* point.c: the one row-weight check of gmm_fit_weighted, gmm_stats_agg, gmm_em_step and gmm_train */
extern void gmm_row_weight_error(double w, const char *caller, int64 row) pg_attribute_noreturn();

/*
 * Error unless a row weight is finite and non-negative; caller (or NULL)
 * names the function, row (> 0) numbers the row in the DETAIL
 */
static inline void
gmm_check_row_weight(double w, const char *caller, int64 row)
{
	if (unlikely(!(w >= 0.0) || isinf(w)))
		gmm_row_weight_error(w, caller, row);
}

/* gmm.c: the settings */
extern int	gmm_threads;
extern int	gmm_fit_memory_limit_kb;

/*
 * gmm.fit_memory_limit for rows held in memory (gmm_fit, gmm_train's
 * sample): the rows of per_row bytes (gmm_fit_row_bytes) the limit allows,
 * and the error when a group or sample exceeds it
 */
extern int64 gmm_fit_memory_limit_rows(Size per_row);
extern void gmm_fit_memory_limit_error(const char *caller, int64 n, int d,
									   Size per_row, const char *hint) pg_attribute_noreturn();

#endif							/* GMM_H */
