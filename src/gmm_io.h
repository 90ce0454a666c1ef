/*
 * gmm_io.h
 *	  The gmm type's text (JSON), jsonb and binary forms at the C level
 *	  (gmm_io.c), for the types that embed a model (stats_type.c).
 */
#ifndef GMM_IO_H
#define GMM_IO_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "gmm.h"

/* the text form: a JSON object with shortest exact floats, palloc'd */
extern char *gmm_to_cstring(const Gmm *m);

/* a validated model from a jsonb object */
extern Gmm *gmm_from_jsonb(Jsonb *jb);

/* the binary form (what gmm_send returns) */
extern bytea *gmm_to_binary(const Gmm *m);

/* a validated model read from buf (what gmm_recv reads) */
extern Gmm *gmm_from_binary(StringInfo buf);

/* the "fit.variational" key of a variational model (vb_io.c) */
extern void gmm_vb_json_append(StringInfo buf, const Gmm *m);
extern Gmm *gmm_vb_json_attach(Gmm *m, const JsonbValue *jv);
extern void gmm_vb_prior_append(StringInfo buf, const Gmm *m, bool with_reg);

#endif							/* GMM_IO_H */
