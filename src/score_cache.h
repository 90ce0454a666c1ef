/*
 * score_cache.h
 *	  The per-query cache of prepared models (score_cache.c): the prepared
 *	  form of a gmm argument, kept in fn_extra across the rows of a query.
 */
#ifndef GMM_SCORE_CACHE_H
#define GMM_SCORE_CACHE_H

#include "gmm.h"

/*
 * The prepared model of argument argno (validated and factorised once per
 * distinct model value), in fn_mcxt; its "extra" is the caller's.
 */
extern GmmPrepared *gmm_prepared_from_arg(FunctionCallInfo fcinfo, int argno);

#endif							/* GMM_SCORE_CACHE_H */
