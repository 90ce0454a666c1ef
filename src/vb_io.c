/*
 * vb_io.c
 *	  The posterior section of a variational model (kernel/vb.h) in the gmm
 *	  type's text form: key "variational" of "fit",
 *	    {"prior": {"type": ..., "weight_concentration": .., "mean_precision": ..,
 *	               "mean": [..], "degrees_of_freedom": .., "covariance": ..},
 *	     "reg_covar": .., "lower_bound": ..,
 *	     "weight_concentration": [[a_1..a_k], [b_1..b_k]] (Dirichlet process)
 *	                             or [..] (Dirichlet distribution),
 *	     "mean_precision": [..k], "degrees_of_freedom": [..k]}
 *	  plus "form": "estep" for the E-step form of a model.  Floats print
 *	  shortest-exact, so that the text reads back bit-identically.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "gmm_io.h"
#include "json.h"
#include "kernel/vb.h"
#include "options.h"

static const GmmJsonContext vb_json = {
	"gmm",
	"A gmm is a JSON object with keys \"covariance_type\", \"weights\", \"means\" and \"covariances\"."
};

/* Append the prior covariance c0 per covariance type */
static void
append_cov_prior(StringInfo buf, const double *c0, int cov_type, int d)
{
	if (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED)
		gmm_json_append_matrix(buf, c0, d, d);
	else if (cov_type == GMM_COV_DIAG)
		gmm_json_append_vector(buf, c0, d);
	else
		gmm_json_append_double(buf, c0[0]);
}

/*
 * Append the prior of variational model m as a JSON object with the keys of
 * option "prior", plus "reg_covar" when with_reg
 */
void
gmm_vb_prior_append(StringInfo buf, const Gmm *m, bool with_reg)
{
	int			d = m->d,
				n;
	const double *v = gmm_section(m, GMM_FLAG_BAYES, &n);

	appendStringInfo(buf, "{\"type\":\"%s\",\"weight_concentration\":",
					 gmm_vb_type_name((int) v[GMM_VB_TYPE]));
	gmm_json_append_double(buf, v[GMM_VB_WC0]);
	appendStringInfoString(buf, ",\"mean_precision\":");
	gmm_json_append_double(buf, v[GMM_VB_BETA0]);
	appendStringInfoString(buf, ",\"mean\":");
	gmm_json_append_vector(buf, v + GMM_VB_M0, d);
	appendStringInfoString(buf, ",\"degrees_of_freedom\":");
	gmm_json_append_double(buf, v[GMM_VB_NU0]);
	appendStringInfoString(buf, ",\"covariance\":");
	append_cov_prior(buf, v + GMM_VB_M0 + d, m->cov_type, d);
	if (with_reg)
	{
		appendStringInfoString(buf, ",\"reg_covar\":");
		gmm_json_append_double(buf, v[GMM_VB_REG]);
	}
	appendStringInfoChar(buf, '}');
}

/* Append ,"variational":{...} for variational model m */
void
gmm_vb_json_append(StringInfo buf, const Gmm *m)
{
	int			k = m->k,
				d = m->d,
				n;
	const double *v = gmm_section(m, GMM_FLAG_BAYES, &n);
	int			type = (int) v[GMM_VB_TYPE];
	const double *wc = v + gmm_vb_prior_count(m->cov_type, d),
			   *beta = wc + (type == GMM_VB_DIRICHLET_PROCESS ? 2 * k : k),
			   *nu = beta + k;

	appendStringInfoString(buf, ",\"variational\":{\"prior\":");
	gmm_vb_prior_append(buf, m, false);
	appendStringInfoString(buf, ",\"reg_covar\":");
	gmm_json_append_double(buf, v[GMM_VB_REG]);
	appendStringInfoString(buf, ",\"lower_bound\":");
	gmm_json_append_double(buf, v[GMM_VB_LB]);
	if (v[GMM_VB_FORM] == GMM_VB_FORM_ESTEP)
		appendStringInfoString(buf, ",\"form\":\"estep\"");
	appendStringInfoString(buf, ",\"weight_concentration\":");
	if (type == GMM_VB_DIRICHLET_PROCESS)
		gmm_json_append_matrix(buf, wc, 2, k);
	else
		gmm_json_append_vector(buf, wc, k);
	appendStringInfoString(buf, ",\"mean_precision\":");
	gmm_json_append_vector(buf, beta, k);
	appendStringInfoString(buf, ",\"degrees_of_freedom\":");
	gmm_json_append_vector(buf, nu, k);
	appendStringInfoChar(buf, '}');
}

/* A copy of m with the section read from the "fit.variational" object jv */
Gmm *
gmm_vb_json_attach(Gmm *m, const JsonbValue *jv)
{
	int			k = m->k,
				d = m->d;
	static const char *const what[] = {"rows", "values"};
	JsonbIterator *it;
	JsonbValue	x;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	GmmVbPrior *prior = NULL;
	JsonbValue *jwc = NULL,
			   *jbeta = NULL,
			   *jnu = NULL;
	bool		have_reg = false,
				have_lb = false;
	int			form = GMM_VB_FORM_MODEL;
	double		reg = 0.0,
				lb = 0.0;
	double	   *v;
	Size		np,
				nv,
				cp = gmm_vb_cov_prior_count(m->cov_type, d);
	int			dims[2];
	Gmm		   *out;

	if (jv->type != jbvBinary || !JsonContainerIsObject(jv->val.binary.data))
		gmm_json_error(&vb_json, "\"fit.variational\" must be an object");
	it = JsonbIteratorInit(jv->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(x.val.string.val, x.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (strcmp(key, "prior") == 0)
			prior = gmm_vb_prior_parse("gmm", &x);
		else if (strcmp(key, "reg_covar") == 0)
			reg = gmm_json_number(&vb_json, &x, "fit.variational.reg_covar"), have_reg = true;
		else if (strcmp(key, "lower_bound") == 0)
			lb = gmm_json_number(&vb_json, &x, "fit.variational.lower_bound"), have_lb = true;
		else if (strcmp(key, "form") == 0)
		{
			if (x.type != jbvString || x.val.string.len != 5 ||
				strncmp(x.val.string.val, "estep", 5) != 0)
				gmm_json_error(&vb_json, "\"fit.variational.form\" must be \"estep\" when given");
			form = GMM_VB_FORM_ESTEP;
		}
		else if (strcmp(key, "weight_concentration") == 0)
			jwc = gmm_json_copy(&x);
		else if (strcmp(key, "mean_precision") == 0)
			jbeta = gmm_json_copy(&x);
		else if (strcmp(key, "degrees_of_freedom") == 0)
			jnu = gmm_json_copy(&x);
		else
			gmm_json_error(&vb_json, "unknown key \"fit.variational.%s\"", key);
	}
	if (prior == NULL || !have_reg || !have_lb || jwc == NULL || jbeta == NULL || jnu == NULL)
		gmm_json_error(&vb_json, "\"fit.variational\" needs \"prior\", \"reg_covar\", \"lower_bound\", \"weight_concentration\", \"mean_precision\" and \"degrees_of_freedom\"");
	if (prior->weight_concentration <= 0 || prior->mean_precision <= 0 ||
		prior->degrees_of_freedom <= 0 || prior->mean == NULL || prior->covariance == NULL)
		gmm_json_error(&vb_json, "\"fit.variational.prior\" needs every key: type, weight_concentration, mean_precision, mean, degrees_of_freedom and covariance");
	gmm_vb_prior_check_dimension(prior, m->cov_type, d, "gmm");

	np = gmm_vb_prior_count(m->cov_type, d);
	nv = gmm_vb_section_count(m->cov_type, k, d, prior->type);
	v = palloc(sizeof(double) * nv);
	v[GMM_VB_TYPE] = prior->type;
	v[GMM_VB_FORM] = form;
	v[GMM_VB_LB] = lb;
	v[GMM_VB_REG] = reg;
	v[GMM_VB_WC0] = prior->weight_concentration;
	v[GMM_VB_BETA0] = prior->mean_precision;
	v[GMM_VB_NU0] = prior->degrees_of_freedom;
	memcpy(v + GMM_VB_M0, prior->mean, sizeof(double) * d);
	memcpy(v + GMM_VB_M0 + d, prior->covariance, sizeof(double) * cp);
	if (prior->type == GMM_VB_DIRICHLET_PROCESS)
	{
		dims[0] = 2, dims[1] = k;
		gmm_json_read(&vb_json, jwc, dims, 2, "fit.variational.weight_concentration", what, v + np);
		np += 2 * k;
	}
	else
	{
		dims[0] = k;
		gmm_json_read(&vb_json, jwc, dims, 1, "fit.variational.weight_concentration", what + 1, v + np);
		np += k;
	}
	dims[0] = k;
	gmm_json_read(&vb_json, jbeta, dims, 1, "fit.variational.mean_precision", what + 1, v + np);
	gmm_json_read(&vb_json, jnu, dims, 1, "fit.variational.degrees_of_freedom", what + 1, v + np + k);
	out = gmm_with_section(m, GMM_FLAG_BAYES, v, (int) nv);
	pfree(v);
	return out;
}
