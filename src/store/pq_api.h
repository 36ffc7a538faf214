/*
 * pq_api.h - libpq, loaded on first use (util/dynlib.h). Include this instead of <libpq-fe.h>: the calls read as
 * libpq's own (PQexec(...)) and go through a table that pq_api() fills once. libpq brings Kerberos, LDAP, SASL and
 * GnuTLS with it (some twenty libraries): linked, they cost every `rolegate exec` ~6 ms of start-up it never uses.
 */
#ifndef ROLEGATE_PQ_API_H
#define ROLEGATE_PQ_API_H

#include <libpq-fe.h>

/* Every libpq function rolegate calls. */
#define PQ_API_FUNCS(X)                                                                                               \
	X(PQstatus)                                                                                                   \
	X(PQresultStatus)                                                                                             \
	X(PQfinish)                                                                                                   \
	X(PQtransactionStatus)                                                                                        \
	X(PQgetisnull)                                                                                                \
	X(PQclear)                                                                                                    \
	X(PQgetvalue)                                                                                                 \
	X(PQgetlength)                                                                                                \
	X(PQntuples)                                                                                                  \
	X(PQftype)                                                                                                    \
	X(PQexec)                                                                                                     \
	X(PQerrorMessage)                                                                                             \
	X(PQresultErrorMessage)                                                                                       \
	X(PQreset)                                                                                                    \
	X(PQnfields)                                                                                                  \
	X(PQsocket)                                                                                                   \
	X(PQresultErrorField)                                                                                         \
	X(PQprepare)                                                                                                  \
	X(PQnotifies)                                                                                                 \
	X(PQhost)                                                                                                     \
	X(PQfreemem)                                                                                                  \
	X(PQexecPrepared)                                                                                             \
	X(PQconsumeInput)                                                                                             \
	X(PQconninfoParse)                                                                                            \
	X(PQconninfoFree)                                                                                             \
	X(PQconnectdb)                                                                                                \
	X(PQcmdTuples)                                                                                                \
	X(PQcmdStatus)                                                                                                \
	X(PQenterPipelineMode)                                                                                        \
	X(PQexitPipelineMode)                                                                                         \
	X(PQpipelineSync)                                                                                             \
	X(PQsendQueryParams)                                                                                          \
	X(PQsendQueryPrepared)                                                                                        \
	X(PQgetResult)

struct pq_api {
#define PQ_API_MEMBER(f) __typeof__(&f) f;
	PQ_API_FUNCS(PQ_API_MEMBER)
#undef PQ_API_MEMBER
};

/* The table, loaded on the first call (thread-safe; fatal when libpq cannot be loaded). */
const struct pq_api *pq_api(void);

#ifndef PQ_API_IMPLEMENTATION
#define PQstatus (pq_api()->PQstatus)
#define PQresultStatus (pq_api()->PQresultStatus)
#define PQfinish (pq_api()->PQfinish)
#define PQtransactionStatus (pq_api()->PQtransactionStatus)
#define PQgetisnull (pq_api()->PQgetisnull)
#define PQclear (pq_api()->PQclear)
#define PQgetvalue (pq_api()->PQgetvalue)
#define PQgetlength (pq_api()->PQgetlength)
#define PQntuples (pq_api()->PQntuples)
#define PQftype (pq_api()->PQftype)
#define PQexec (pq_api()->PQexec)
#define PQerrorMessage (pq_api()->PQerrorMessage)
#define PQresultErrorMessage (pq_api()->PQresultErrorMessage)
#define PQreset (pq_api()->PQreset)
#define PQnfields (pq_api()->PQnfields)
#define PQsocket (pq_api()->PQsocket)
#define PQresultErrorField (pq_api()->PQresultErrorField)
#define PQprepare (pq_api()->PQprepare)
#define PQnotifies (pq_api()->PQnotifies)
#define PQhost (pq_api()->PQhost)
#define PQfreemem (pq_api()->PQfreemem)
#define PQexecPrepared (pq_api()->PQexecPrepared)
#define PQconsumeInput (pq_api()->PQconsumeInput)
#define PQconninfoParse (pq_api()->PQconninfoParse)
#define PQconninfoFree (pq_api()->PQconninfoFree)
#define PQconnectdb (pq_api()->PQconnectdb)
#define PQcmdTuples (pq_api()->PQcmdTuples)
#define PQcmdStatus (pq_api()->PQcmdStatus)
#define PQenterPipelineMode (pq_api()->PQenterPipelineMode)
#define PQexitPipelineMode (pq_api()->PQexitPipelineMode)
#define PQpipelineSync (pq_api()->PQpipelineSync)
#define PQsendQueryParams (pq_api()->PQsendQueryParams)
#define PQsendQueryPrepared (pq_api()->PQsendQueryPrepared)
#define PQgetResult (pq_api()->PQgetResult)
#endif

#endif
