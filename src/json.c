/*
 * json.c
 *	  Helpers for the JSON text forms of gmm and gmm_stats (see json.h):
 *	  typed reads out of jsonb values with errors naming the type and the
 *	  key, and shortest-exact printing of floats.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "json.h"

/* Error "invalid <type>: <message>" with the type's hint */
void
gmm_json_error(const GmmJsonContext *cx, const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid %s: %s", cx->type_name, msg.data),
			 errhint("%s", cx->hint)));
	pg_unreachable();
}

/* Error unless jb is a JSON object */
void
gmm_json_check_object(const GmmJsonContext *cx, const Jsonb *jb)
{
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		gmm_json_error(cx, "not a JSON object");
}

/* A jsonb numeric as a double (out of range: an infinity) */
static double
numeric_value(const JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
}

/* A jsonb number as a double (out of range: an infinity) */
double
gmm_json_number(const GmmJsonContext *cx, const JsonbValue *v, const char *key)
{
	if (v->type != jbvNumeric)
		gmm_json_error(cx, "\"%s\" must contain only numbers", key);
	return numeric_value(v);
}

/* A jsonb number that is a whole number from 0 to max */
int64
gmm_json_integer(const GmmJsonContext *cx, const JsonbValue *v,
				 const char *key, int64 max)
{
	double		x = gmm_json_number(cx, v, key);

	if (x != floor(x) || x < 0 || x > (double) max)
		gmm_json_error(cx, "\"%s\" must be a non-negative integer", key);
	return (int64) x;
}

/* Is v a JSON array (not a scalar pseudo-array)? */
static bool
is_array(const JsonbValue *v)
{
	return v->type == jbvBinary &&
		JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

/* Error that v is not an array; what (or NULL) names its elements */
static void
pg_attribute_noreturn()
not_array_error(const GmmJsonContext *cx, const char *key, const char *what)
{
	if (what)
		gmm_json_error(cx, "\"%s\" must be an array (%s)", key, what);
	gmm_json_error(cx, "\"%s\" must be an array", key);
}

/* The length of a jsonb array */
int
gmm_json_length(const GmmJsonContext *cx, const JsonbValue *v, const char *key)
{
	if (!is_array(v))
		not_array_error(cx, key, NULL);
	return (int) JsonContainerSize(v->val.binary.data);
}

/* Walk v at depth level of the shape dims into out (see gmm_json_read_array) */
static bool
read_level(const JsonbValue *v, const int *dims, int ndims, int level,
		   bool finite_only, double *out, Size *n, GmmJsonShapeError *err)
{
	JsonbContainer *jc;

	err->level = level;
	err->value = v;
	if (!is_array(v))
	{
		err->fault = GMM_JSON_NOT_ARRAY;
		return false;
	}
	jc = v->val.binary.data;
	if ((int) JsonContainerSize(jc) != dims[level])
	{
		err->fault = GMM_JSON_WRONG_LENGTH;
		err->len = (int) JsonContainerSize(jc);
		return false;
	}
	for (int i = 0; i < dims[level]; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(jc, i);

		if (level + 1 < ndims)
		{
			if (!read_level(e, dims, ndims, level + 1, finite_only, out, n, err))
				return false;
			continue;
		}
		err->level = level + 1;
		err->value = e;
		if (e->type != jbvNumeric)
		{
			err->fault = GMM_JSON_NOT_NUMBER;
			return false;
		}
		out[*n] = numeric_value(e);
		if (finite_only && !isfinite(out[*n]))
		{
			err->fault = GMM_JSON_NOT_FINITE;
			return false;
		}
		(*n)++;
	}
	return true;
}

/* Read a nested array of numbers of shape dims into out, without erroring */
bool
gmm_json_read_array(const JsonbValue *v, const int *dims, int ndims,
					bool finite_only, double *out, GmmJsonShapeError *err)
{
	Size		n = 0;

	err->fault = GMM_JSON_OK;
	err->level = 0;
	err->len = 0;
	err->value = NULL;
	return read_level(v, dims, ndims, 0, finite_only, out, &n, err);
}

/* The dims of a nested array, following first elements (see json.h) */
int
gmm_json_array_dims(const JsonbValue *v, int max_ndim, int *dims,
					bool *has_empty)
{
	int			depth = 0;

	*has_empty = false;
	while (is_array(v))
	{
		int			len = (int) JsonContainerSize(v->val.binary.data);

		if (depth == max_ndim)
			return -1;
		dims[depth++] = len;
		if (len == 0)
		{
			*has_empty = true;
			break;
		}
		v = getIthJsonbValueFromContainer(v->val.binary.data, 0);
	}
	return depth;
}

/* Read a nested array of numbers of shape dims into out (see json.h) */
Size
gmm_json_read(const GmmJsonContext *cx, const JsonbValue *v, const int *dims,
			  int ndims, const char *key, const char *const *what, double *out)
{
	GmmJsonShapeError e;
	Size		n = 1;

	if (!gmm_json_read_array(v, dims, ndims, false, out, &e))
	{
		switch (e.fault)
		{
			case GMM_JSON_NOT_ARRAY:
				not_array_error(cx, key, what[e.level]);
				break;
			case GMM_JSON_WRONG_LENGTH:
				gmm_json_error(cx, "\"%s\" has %d elements where %d %s were expected",
							   key, e.len, dims[e.level], what[e.level]);
				break;
			case GMM_JSON_NOT_NUMBER:
			case GMM_JSON_NOT_FINITE:	/* not reached: finite_only is false */
			case GMM_JSON_OK:
				gmm_json_error(cx, "\"%s\" must contain only numbers", key);
				break;
		}
	}
	for (int i = 0; i < ndims; i++)
		n *= dims[i];
	return n;
}

/* A palloc'd copy of a jsonb value */
JsonbValue *
gmm_json_copy(const JsonbValue *v)
{
	JsonbValue *c = palloc(sizeof(JsonbValue));

	*c = *v;
	return c;
}

/* Append a double in shortest form that reads back exactly */
void
gmm_json_append_double(StringInfo buf, double x)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(x, tmp);
	appendStringInfoString(buf, tmp);
}

/* Append n doubles as a JSON array */
void
gmm_json_append_vector(StringInfo buf, const double *v, int n)
{
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		gmm_json_append_double(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
}

/* Append rows x cols doubles as a JSON array of arrays */
void
gmm_json_append_matrix(StringInfo buf, const double *v, int rows, int cols)
{
	appendStringInfoChar(buf, '[');
	for (int r = 0; r < rows; r++)
	{
		if (r > 0)
			appendStringInfoChar(buf, ',');
		gmm_json_append_vector(buf, v + (Size) r * cols, cols);
	}
	appendStringInfoChar(buf, ']');
}
