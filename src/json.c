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

/* A jsonb number as a double (out of range: an infinity) */
double
gmm_json_number(const GmmJsonContext *cx, const JsonbValue *v, const char *key)
{
	if (v->type != jbvNumeric)
		gmm_json_error(cx, "\"%s\" must contain only numbers", key);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
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

/* The container of a jsonb array; what (or NULL) names its elements */
static JsonbContainer *
array_container(const GmmJsonContext *cx, const JsonbValue *v,
				const char *key, const char *what)
{
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
	{
		if (what)
			gmm_json_error(cx, "\"%s\" must be an array (%s)", key, what);
		gmm_json_error(cx, "\"%s\" must be an array", key);
	}
	return v->val.binary.data;
}

/* The length of a jsonb array */
int
gmm_json_length(const GmmJsonContext *cx, const JsonbValue *v, const char *key)
{
	return (int) JsonContainerSize(array_container(cx, v, key, NULL));
}

/* Read a nested array of numbers of shape dims into out (see json.h) */
Size
gmm_json_read(const GmmJsonContext *cx, const JsonbValue *v, const int *dims,
			  int ndims, const char *key, const char *const *what, double *out)
{
	JsonbContainer *jc = array_container(cx, v, key, what[0]);
	Size		n = 0;

	if ((int) JsonContainerSize(jc) != dims[0])
		gmm_json_error(cx, "\"%s\" has %d elements where %d %s were expected",
					   key, (int) JsonContainerSize(jc), dims[0], what[0]);
	for (int i = 0; i < dims[0]; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(jc, i);

		if (ndims == 1)
			out[n++] = gmm_json_number(cx, e, key);
		else
			n += gmm_json_read(cx, e, dims + 1, ndims - 1, key, what + 1, out + n);
	}
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
