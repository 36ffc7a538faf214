/*
 * audit_explain.h - `rolegate audit --explain REQUEST_ID` (see audit_explain.c).
 */
#ifndef ROLEGATE_AUDIT_EXPLAIN_H
#define ROLEGATE_AUDIT_EXPLAIN_H

#include <stdbool.h>

/* Prints the audit record of request_id with its denial's reasoning (json: one JSON object) from DIR's databases or
 * the PostgreSQL database pg names. Returns the exit status: 0 explained, 1 no such record / no explanation. */
int audit_explain_main(const char *dir, const char *pg, const char *request_id, bool json);

#endif
