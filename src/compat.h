/*
 * compat.h
 *	  Differences between PostgreSQL versions, in one place.  gmm targets
 *	  PostgreSQL 15; the shims below are all that an older server needs.
 */
#ifndef GMM_COMPAT_H
#define GMM_COMPAT_H

#if PG_VERSION_NUM < 140000
#error "gmm needs PostgreSQL 14 or later"
#endif

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(p)	EmitWarningsOnPlaceholders(p)
#define InitMaterializedSRF(fcinfo, flags)	SetSingleFuncCall(fcinfo, flags)
#endif

#endif							/* GMM_COMPAT_H */
