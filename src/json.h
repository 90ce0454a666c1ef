/*
 * json.h
 *	  Reading and writing the JSON text forms of the gmm and gmm_stats types:
 *	  numbers, arrays and nested arrays out of jsonb values (parsed by
 *	  PostgreSQL's own jsonb input), with errors that name the type, and
 *	  floats printed shortest-exact so that they read back bit-identically.
 *	  Also the one reader of nested arrays of numbers, non-throwing, shared
 *	  with the fitting options (options.c), whose callers word their own
 *	  errors.
 */
#ifndef GMM_JSON_H
#define GMM_JSON_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* The type being read, for errors "invalid <type_name>: ..." */
typedef struct GmmJsonContext
{
	const char *type_name;		/* "gmm" */
	const char *hint;			/* errhint of every error: the expected form */
} GmmJsonContext;

/* ERRCODE_INVALID_TEXT_REPRESENTATION error "invalid <type>: <message>" */
extern void gmm_json_error(const GmmJsonContext *cx, const char *fmt,...)
			pg_attribute_printf(2, 3) pg_attribute_noreturn();

/* error unless jb is a JSON object */
extern void gmm_json_check_object(const GmmJsonContext *cx, const Jsonb *jb);

/*
 * A number as a double; too large a number becomes an infinity, for the
 * type's validation to reject with a clear message.
 */
extern double gmm_json_number(const GmmJsonContext *cx, const JsonbValue *v,
							  const char *key);

/* a whole number from 0 to max */
extern int64 gmm_json_integer(const GmmJsonContext *cx, const JsonbValue *v,
							  const char *key, int64 max);

/* the length of an array */
extern int	gmm_json_length(const GmmJsonContext *cx, const JsonbValue *v,
							const char *key);

/*
 * Read a nested array of numbers of shape dims[0] x ... x dims[ndims-1]
 * into out (row-major); what[i] names the elements at depth i in errors.
 * Returns the number of values read.
 */
extern Size gmm_json_read(const GmmJsonContext *cx, const JsonbValue *v,
						  const int *dims, int ndims, const char *key,
						  const char *const *what, double *out);

/* What is wrong with a nested array, for gmm_json_read_array's callers */
typedef enum GmmJsonShapeFault
{
	GMM_JSON_OK = 0,
	GMM_JSON_NOT_ARRAY,			/* a value where an array was expected */
	GMM_JSON_WRONG_LENGTH,		/* an array of the wrong length */
	GMM_JSON_NOT_NUMBER,		/* a leaf that is not a number */
	GMM_JSON_NOT_FINITE			/* a leaf out of range for a float8 */
} GmmJsonShapeFault;

typedef struct GmmJsonShapeError
{
	GmmJsonShapeFault fault;
	int			level;			/* 0-based depth of the offending array or leaf */
	int			len;			/* length of the offending array (WRONG_LENGTH) */
	const JsonbValue *value;	/* the offending value */
} GmmJsonShapeError;

/*
 * Read v, a nested array of numbers of shape dims[0] x ... x dims[ndims-1],
 * into out (row-major), depth first, numbers through
 * numeric_float8_no_overflow (too large: an infinity).  Stops at the first
 * array of the wrong kind or length, leaf that is not a number, or (with
 * finite_only) leaf that is not finite: returns false with *err filled.
 */
extern bool gmm_json_read_array(const JsonbValue *v, const int *dims,
								int ndims, bool finite_only, double *out,
								GmmJsonShapeError *err);

/*
 * The dims of a nested array found by following first elements (at most
 * max_ndim of them): the depth, 0 when v is not an array, -1 when it is
 * deeper than max_ndim.  An empty array on the way ends the walk with
 * *has_empty set (checked after the depth, so -1 comes first).
 */
extern int	gmm_json_array_dims(const JsonbValue *v, int max_ndim, int *dims,
								bool *has_empty);

/* a palloc'd copy of a jsonb value (scalar or container reference) */
extern JsonbValue *gmm_json_copy(const JsonbValue *v);

/* append a double in the shortest form that reads back exactly */
extern void gmm_json_append_double(StringInfo buf, double x);

/* append n doubles as a JSON array */
extern void gmm_json_append_vector(StringInfo buf, const double *v, int n);

/* append rows x cols doubles (row-major) as a JSON array of arrays */
extern void gmm_json_append_matrix(StringInfo buf, const double *v,
								   int rows, int cols);

#endif							/* GMM_JSON_H */
