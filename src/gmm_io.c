/*
 * gmm_io.c
 *	  The gmm type's text form (a JSON object, floats printed shortest-exact,
 *	  parsed with PostgreSQL's jsonb input), its binary send/recv form and the
 *	  jsonb casts.  Every input path ends in gmm_validate().
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "gmm_io.h"
#include "json.h"
#include "kernel/missing.h"

/* ---------------------------------------------------------------------
 * JSON text form
 * ---------------------------------------------------------------------
 */

StaticAssertDecl(GMM_JSONB_MAX_BYTES == JENTRY_OFFLENMASK,
				 "GMM_JSONB_MAX_BYTES must be jsonb's JENTRY_OFFLENMASK");

/* The JSON text of a model */
/* the keys under "fit" of the observed-data section, in its order */
static const char *const observed_keys[GMM_OBS_FIELDS] = {
	"n_rows_used", "n_rows_skipped", "n_values_missing"
};

/* The observed-data section's keys under "fit", when m has one */
static void
append_fit_observed(StringInfo buf, const Gmm *m)
{
	int			n;
	const double *v = gmm_section(m, GMM_FLAG_OBSERVED, &n);

	if (v == NULL)
		return;
	for (int f = 0; f < GMM_OBS_FIELDS && f < n; f++)
		appendStringInfo(buf, ",\"%s\":" INT64_FORMAT, observed_keys[f], (int64) v[f]);
}

char *
gmm_to_cstring(const Gmm *m)
{
	StringInfoData buf;
	int			k = m->k,
				d = m->d;
	const double *c = GMM_COVS(m);

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"covariance_type\":\"%s\",\"n_components\":%d,\"dimension\":%d,\"weights\":",
					 gmm_cov_type_name(m->cov_type), k, d);
	gmm_json_append_vector(&buf, GMM_WEIGHTS(m), k);
	appendStringInfoString(&buf, ",\"means\":");
	gmm_json_append_matrix(&buf, GMM_MEANS(m), k, d);
	appendStringInfoString(&buf, ",\"covariances\":");
	switch (m->cov_type)
	{
		case GMM_COV_FULL:
			appendStringInfoChar(&buf, '[');
			for (int j = 0; j < k; j++)
			{
				if (j > 0)
					appendStringInfoChar(&buf, ',');
				gmm_json_append_matrix(&buf, c + (Size) j * d * d, d, d);
			}
			appendStringInfoChar(&buf, ']');
			break;
		case GMM_COV_DIAG:
			gmm_json_append_matrix(&buf, c, k, d);
			break;
		case GMM_COV_SPHERICAL:
			gmm_json_append_vector(&buf, c, k);
			break;
		case GMM_COV_TIED:
			gmm_json_append_matrix(&buf, c, d, d);
			break;
	}
	if (GMM_IS_FITTED(m))
	{
		appendStringInfoString(&buf, ",\"fit\":{\"n_rows\":");
		gmm_json_append_double(&buf, m->n_seen);
		appendStringInfoString(&buf, ",\"log_likelihood\":");
		gmm_json_append_double(&buf, m->log_likelihood);
		appendStringInfo(&buf, ",\"n_iter\":%d,\"converged\":%s",
						 m->n_iter, (m->flags & GMM_FLAG_CONVERGED) ? "true" : "false");
		if (m->flags & GMM_FLAG_SELECTION)
		{
			appendStringInfoString(&buf, ",\"selection\":[");
			for (int r = 0; r < m->n_selection; r++)
			{
				const double *row = GMM_SELECTION(m) + (Size) r * GMM_SEL_FIELDS;

				appendStringInfo(&buf, "%s{\"k\":%d,\"log_likelihood\":",
								 r > 0 ? "," : "", (int) row[0]);
				gmm_json_append_double(&buf, row[1]);
				appendStringInfo(&buf, ",\"n_iter\":%d,\"converged\":%s}",
								 (int) row[2], row[3] != 0.0 ? "true" : "false");
			}
			appendStringInfoChar(&buf, ']');
		}
		if (m->flags & GMM_FLAG_BAYES)
			gmm_vb_json_append(&buf, m);
		append_fit_observed(&buf, m);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Errors of the text form */
static const GmmJsonContext gmm_json = {
	"gmm",
	"A gmm is a JSON object with keys \"covariance_type\", \"weights\", \"means\" and \"covariances\"."
};

/*
 * A key of the observed-data section under "fit": its value into
 * obs[field], its bit into *seen; false for any other key
 */
static bool
read_fit_observed(const char *key, const JsonbValue *v, double *obs, int *seen)
{
	for (int f = 0; f < GMM_OBS_FIELDS; f++)
		if (strcmp(key, observed_keys[f]) == 0)
		{
			char		what[64];

			snprintf(what, sizeof(what), "fit.%s", key);
			obs[f] = (double) gmm_json_integer(&gmm_json, v, what,
											   INT64CONST(1) << 53);
			*seen |= 1 << f;
			return true;
		}
	return false;
}

/* Read one row of "fit.selection" into row[GMM_SEL_FIELDS] */
static void
read_selection_row(JsonbValue *ev, double *row)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			seen = 0;

	if (ev->type != jbvBinary || !JsonContainerIsObject(ev->val.binary.data))
		gmm_json_error(&gmm_json, "\"fit.selection\" must be an array of objects");
	it = JsonbIteratorInit(ev->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			if (strcmp(key, "k") == 0)
				row[0] = (double) gmm_json_integer(&gmm_json, &v, "fit.selection.k", GMM_MAX_K), seen |= 1;
			else if (strcmp(key, "log_likelihood") == 0)
				row[1] = gmm_json_number(&gmm_json, &v, "fit.selection.log_likelihood"), seen |= 2;
			else if (strcmp(key, "n_iter") == 0)
				row[2] = (double) gmm_json_integer(&gmm_json, &v, "fit.selection.n_iter", PG_INT32_MAX), seen |= 4;
			else if (strcmp(key, "converged") == 0)
			{
				if (v.type != jbvBool)
					gmm_json_error(&gmm_json, "\"fit.selection.converged\" must be true or false");
				row[3] = v.val.boolean ? 1.0 : 0.0;
				seen |= 8;
			}
			else
				gmm_json_error(&gmm_json, "unknown key \"fit.selection.%s\"", key);
		}
	}
	if (seen != 15)
		gmm_json_error(&gmm_json, "each row of \"fit.selection\" needs \"k\", \"log_likelihood\", \"n_iter\" and \"converged\"");
}

/*
 * Read the optional "fit" object into m; returns its "selection" value, if
 * any, for the caller to attach
 */
static JsonbValue *
read_fit(const JsonbValue *fv, Gmm *m, JsonbValue **variational, double *obs,
		 int *obs_seen)
{
	JsonbValue *sel = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	bool		seen_rows = false,
				seen_ll = false,
				seen_iter = false,
				seen_conv = false;

	if (fv->type != jbvBinary || !JsonContainerIsObject(fv->val.binary.data))
		gmm_json_error(&gmm_json, "\"fit\" must be an object");
	it = JsonbIteratorInit(fv->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			if (strcmp(key, "n_rows") == 0)
				m->n_seen = gmm_json_number(&gmm_json, &v, "fit.n_rows"), seen_rows = true;
			else if (strcmp(key, "log_likelihood") == 0)
				m->log_likelihood = gmm_json_number(&gmm_json, &v, "fit.log_likelihood"), seen_ll = true;
			else if (strcmp(key, "n_iter") == 0)
				m->n_iter = (int) gmm_json_integer(&gmm_json, &v, "fit.n_iter", PG_INT32_MAX), seen_iter = true;
			else if (strcmp(key, "converged") == 0)
			{
				if (v.type != jbvBool)
					gmm_json_error(&gmm_json, "\"fit.converged\" must be true or false");
				if (v.val.boolean)
					m->flags |= GMM_FLAG_CONVERGED;
				seen_conv = true;
			}
			else if (strcmp(key, "selection") == 0)
				sel = gmm_json_copy(&v);
			else if (strcmp(key, "variational") == 0)
				*variational = gmm_json_copy(&v);
			else if (read_fit_observed(key, &v, obs, obs_seen))
				continue;
			else
				gmm_json_error(&gmm_json, "unknown key \"fit.%s\"", key);
		}
	}
	if (!(seen_rows && seen_ll && seen_iter && seen_conv))
		gmm_json_error(&gmm_json, "\"fit\" needs \"n_rows\", \"log_likelihood\", \"n_iter\" and \"converged\"");
	if (*obs_seen != 0 && *obs_seen != (1 << GMM_OBS_FIELDS) - 1)
		gmm_json_error(&gmm_json, "\"fit\" needs all of \"n_rows_used\", \"n_rows_skipped\" and \"n_values_missing\" or none");
	m->flags |= GMM_FLAG_FITTED;
	return sel;
}

/* m with the selection table in JSON array sel attached */
static Gmm *
attach_selection(Gmm *m, JsonbValue *sel)
{
	int			n;
	double	   *rows;

	if (sel->type != jbvBinary || !JsonContainerIsArray(sel->val.binary.data) ||
		JsonContainerIsScalar(sel->val.binary.data))
		gmm_json_error(&gmm_json, "\"fit.selection\" must be an array of objects");
	n = (int) JsonContainerSize(sel->val.binary.data);
	if (n < 1 || n > GMM_MAX_K)
		gmm_json_error(&gmm_json, "\"fit.selection\" must have between 1 and %d rows", GMM_MAX_K);
	rows = palloc(sizeof(double) * GMM_SEL_FIELDS * n);
	for (int r = 0; r < n; r++)
		read_selection_row(getIthJsonbValueFromContainer(sel->val.binary.data, r),
						   rows + (Size) r * GMM_SEL_FIELDS);
	return gmm_with_selection(m, rows, n);
}

/* Build and validate a model from a jsonb object */
Gmm *
gmm_from_jsonb(Jsonb *jb)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	JsonbValue *jw = NULL,
			   *jm = NULL,
			   *jc = NULL,
			   *jf = NULL;
	char	   *type_name = NULL;
	int			nk = -1,
				nd = -1,
				n_means,
				k,
				d,
				cov_type;
	Gmm		   *m;

	gmm_json_check_object(&gmm_json, jb);

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			if (strcmp(key, "covariance_type") == 0)
			{
				if (v.type != jbvString)
					gmm_json_error(&gmm_json, "\"covariance_type\" must be a string");
				type_name = pnstrdup(v.val.string.val, v.val.string.len);
			}
			else if (strcmp(key, "n_components") == 0)
				nk = (int) gmm_json_integer(&gmm_json, &v, key, PG_INT32_MAX);
			else if (strcmp(key, "dimension") == 0)
				nd = (int) gmm_json_integer(&gmm_json, &v, key, PG_INT32_MAX);
			else if (strcmp(key, "weights") == 0)
				jw = gmm_json_copy(&v);
			else if (strcmp(key, "means") == 0)
				jm = gmm_json_copy(&v);
			else if (strcmp(key, "covariances") == 0)
				jc = gmm_json_copy(&v);
			else if (strcmp(key, "fit") == 0)
				jf = gmm_json_copy(&v);
			else
				gmm_json_error(&gmm_json, "unknown key \"%s\"", key);
		}
	}
	if (type_name == NULL || jw == NULL || jm == NULL || jc == NULL)
		gmm_json_error(&gmm_json, "missing key \"%s\"",
					   type_name == NULL ? "covariance_type" : jw == NULL ? "weights" :
					   jm == NULL ? "means" : "covariances");

	cov_type = gmm_parse_cov_type(type_name);
	k = gmm_json_length(&gmm_json, jw, "weights");
	if (k == 0)
		gmm_json_error(&gmm_json, "\"weights\" is empty");
	n_means = gmm_json_length(&gmm_json, jm, "means");
	if (n_means != k)
		gmm_json_error(&gmm_json, "\"means\" has %d rows but there are %d weights",
					   n_means, k);
	d = gmm_json_length(&gmm_json,
						getIthJsonbValueFromContainer(jm->val.binary.data, 0), "means");
	if (nk >= 0 && nk != k)
		gmm_json_error(&gmm_json, "\"n_components\" is %d but there are %d weights", nk, k);
	if (nd >= 0 && nd != d)
		gmm_json_error(&gmm_json, "\"dimension\" is %d but the means have %d elements", nd, d);
	gmm_check_shape(k, d);

	m = gmm_alloc(cov_type, k, d);
	{
		static const char *const wv[] = {"weights"};
		static const char *const mv[] = {"means", "mean elements"};
		static const char *const fv[] = {"matrices", "matrix rows", "matrix elements"};
		static const char *const dv[] = {"variance vectors", "variances"};
		static const char *const sv[] = {"variances"};
		int			dims[3];

		dims[0] = k;
		gmm_json_read(&gmm_json, jw, dims, 1, "weights", wv, GMM_WEIGHTS(m));
		dims[1] = d;
		gmm_json_read(&gmm_json, jm, dims, 2, "means", mv, GMM_MEANS(m));
		switch (cov_type)
		{
			case GMM_COV_FULL:
				dims[2] = d;
				gmm_json_read(&gmm_json, jc, dims, 3, "covariances", fv, GMM_COVS(m));
				break;
			case GMM_COV_DIAG:
				gmm_json_read(&gmm_json, jc, dims, 2, "covariances", dv, GMM_COVS(m));
				break;
			case GMM_COV_SPHERICAL:
				gmm_json_read(&gmm_json, jc, dims, 1, "covariances", sv, GMM_COVS(m));
				break;
			case GMM_COV_TIED:
				dims[0] = d;
				gmm_json_read(&gmm_json, jc, dims, 2, "covariances", fv + 1, GMM_COVS(m));
				break;
		}
	}
	if (jf != NULL)
	{
		JsonbValue *vb = NULL;
		double		obs[GMM_OBS_FIELDS];
		int			obs_seen = 0;
		JsonbValue *sel = read_fit(jf, m, &vb, obs, &obs_seen);

		if (sel != NULL)
			m = attach_selection(m, sel);
		if (vb != NULL)
			m = gmm_vb_json_attach(m, vb);
		if (obs_seen)
			m = gmm_with_section(m, GMM_FLAG_OBSERVED, obs, GMM_OBS_FIELDS);
	}
	gmm_canonicalize(m);
	gmm_validate(m);
	return m;
}

PG_FUNCTION_INFO_V1(gmm_in);
/* Text input: a JSON object */
Datum
gmm_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Jsonb	   *jb;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	PG_RETURN_GMM_P(gmm_from_jsonb(jb));
}

PG_FUNCTION_INFO_V1(gmm_out);
/* Text output: a JSON object with shortest exact floats */
Datum
gmm_out(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	PG_RETURN_CSTRING(gmm_to_cstring(m));
}

PG_FUNCTION_INFO_V1(gmm_to_jsonb);
/* Cast gmm to jsonb */
Datum
gmm_to_jsonb(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(gmm_to_cstring(m)));
}

PG_FUNCTION_INFO_V1(gmm_from_jsonb_cast);
/* Cast jsonb to gmm */
Datum
gmm_from_jsonb_cast(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);

	PG_RETURN_GMM_P(gmm_from_jsonb(jb));
}

/* ---------------------------------------------------------------------
 * Binary form
 * ---------------------------------------------------------------------
 */

/* Binary form: header fields then the values, in network order */
bytea *
gmm_to_binary(const Gmm *m)
{
	StringInfoData buf;
	Size		n = gmm_value_count(m->cov_type, m->k, m->d);

	pq_begintypsend(&buf);
	pq_sendint8(&buf, m->version);
	pq_sendint8(&buf, m->cov_type);
	pq_sendint16(&buf, m->flags);
	pq_sendint32(&buf, m->k);
	pq_sendint32(&buf, m->d);
	pq_sendint32(&buf, m->n_iter);
	pq_sendfloat8(&buf, m->n_seen);
	pq_sendfloat8(&buf, m->log_likelihood);
	for (Size i = 0; i < n; i++)
		pq_sendfloat8(&buf, m->data[i]);
	/* version 2: the selection table, row by row */
	if (m->flags & GMM_FLAG_SELECTION)
	{
		pq_sendint32(&buf, m->n_selection);
		for (int r = 0; r < m->n_selection; r++)
		{
			const double *row = GMM_SELECTION(m) + (Size) r * GMM_SEL_FIELDS;

			pq_sendint32(&buf, (int32) row[0]);
			pq_sendfloat8(&buf, row[1]);
			pq_sendint32(&buf, (int32) row[2]);
			pq_sendint8(&buf, row[3] != 0.0 ? 1 : 0);
		}
	}
	/* version 2: each section, as its length then its values */
	for (int f = 1; f <= GMM_FLAG_MASK; f <<= 1)
	{
		const double *vals;
		int			len;

		if (!(f & GMM_SECTION_FLAGS) || (vals = gmm_section(m, f, &len)) == NULL)
			continue;
		pq_sendint32(&buf, len);
		for (int i = 0; i < len; i++)
			pq_sendfloat8(&buf, vals[i]);
	}
	return pq_endtypsend(&buf);
}

/* A model from its binary form, validated exactly like the text form */
Gmm *
gmm_from_binary(StringInfo buf)
{
	int			version,
				cov_type,
				flags,
				k,
				d;
	Size		n;
	Gmm		   *m;

	version = pq_getmsgint(buf, 1);
	cov_type = pq_getmsgint(buf, 1);
	flags = pq_getmsgint(buf, 2);
	k = pq_getmsgint(buf, 4);
	d = pq_getmsgint(buf, 4);
	if (version != GMM_FORMAT_VERSION && version != GMM_FORMAT_VERSION_SELECTION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported gmm binary format version %d", version)));
	if (cov_type < 0 || cov_type >= GMM_NUM_COV_TYPES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid gmm covariance type code %d", cov_type)));
	gmm_check_shape(k, d);
	n = gmm_value_count(cov_type, k, d);
	/*
	 * 4 + 8 + 8 bytes of metadata follow, then the values (version 2: then
	 * the row count and 17-byte rows of the selection table)
	 */
	if (version == GMM_FORMAT_VERSION &&
		(Size) (buf->len - buf->cursor) != 20 + n * sizeof(float8))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("gmm binary value has %d bytes where %zu were expected",
						buf->len - buf->cursor, 20 + n * sizeof(float8))));
	m = gmm_alloc(cov_type, k, d);
	m->flags = (uint16) flags;
	m->n_iter = pq_getmsgint(buf, 4);
	m->n_seen = pq_getmsgfloat8(buf);
	m->log_likelihood = pq_getmsgfloat8(buf);
	for (Size i = 0; i < n; i++)
		m->data[i] = pq_getmsgfloat8(buf);
	if (version == GMM_FORMAT_VERSION_SELECTION)
	{
		if (!(flags & (GMM_FLAG_SELECTION | GMM_SECTION_FLAGS)) ||
			!(flags & GMM_FLAG_FITTED) || (flags & ~GMM_FLAG_MASK))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid gmm flags %d for format version %d", flags, version)));
		m->flags &= ~(GMM_FLAG_SELECTION | GMM_SECTION_FLAGS);
	}
	if (version == GMM_FORMAT_VERSION_SELECTION && (flags & GMM_FLAG_SELECTION))
	{
		int			nsel = pq_getmsgint(buf, 4);
		double	   *rows;

		if (nsel < 1 || nsel > GMM_MAX_K ||
			(Size) (buf->len - buf->cursor) < (Size) nsel * 17)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("gmm binary selection table is malformed"),
					 errdetail("%d rows with %d bytes left.", nsel, buf->len - buf->cursor)));
		rows = palloc(sizeof(double) * GMM_SEL_FIELDS * nsel);
		for (int r = 0; r < nsel; r++)
		{
			double	   *row = rows + (Size) r * GMM_SEL_FIELDS;

			row[0] = (int32) pq_getmsgint(buf, 4);
			row[1] = pq_getmsgfloat8(buf);
			row[2] = (int32) pq_getmsgint(buf, 4);
			row[3] = pq_getmsgint(buf, 1);
		}
		m = gmm_with_selection(m, rows, nsel);
	}
	for (int f = 1; f <= GMM_FLAG_MASK; f <<= 1)
	{
		int			len;
		double	   *vals;

		if (version != GMM_FORMAT_VERSION_SELECTION || !(f & GMM_SECTION_FLAGS) || !(flags & f))
			continue;
		len = pq_getmsgint(buf, 4);
		if (len < 0 || len > GMM_MAX_SECTION ||
			(Size) (buf->len - buf->cursor) < (Size) len * sizeof(float8))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("gmm binary fit metadata section is malformed"),
					 errdetail("A section of %d values with %d bytes left.", len, buf->len - buf->cursor)));
		vals = palloc(sizeof(double) * Max(len, 1));
		for (int i = 0; i < len; i++)
			vals[i] = pq_getmsgfloat8(buf);
		m = gmm_with_section(m, f, vals, len);
	}
	if (buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("gmm binary value has %d bytes of trailing data", buf->len - buf->cursor)));
	gmm_canonicalize(m);
	gmm_validate(m);
	return m;
}

PG_FUNCTION_INFO_V1(gmm_send);
/* Binary output */
Datum
gmm_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(gmm_to_binary(PG_GETARG_GMM_P(0)));
}

PG_FUNCTION_INFO_V1(gmm_recv);
/* Binary input */
Datum
gmm_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_GMM_P(gmm_from_binary((StringInfo) PG_GETARG_POINTER(0)));
}

