/*
 * enforce.h - enforcement modes: what a denial by the policies does.
 *
 *   strict  the call is refused with AWS's AccessDenied (the default)
 *   soft    the call proceeds as if allowed; the would-be denial is audited (the audit's enforcement column:
 *           'soft-denied', AWS's AccessDenied message in the record's detail), logged (a warning, rate-limited) and
 *           counted (/metrics: rolegate_soft_denials_total{action})
 *
 * The mode of a call is its caller's account's, the first of: the account's own setting (`rolegate accounts
 * set-enforcement ACCOUNT strict|soft`, the store's account_enforcement table), the account's Organizations tag
 * rolegate:enforcement = strict|soft, the server's --enforce. An operator's explicit word on one account wins over
 * a tag any organization administrator may set, which wins over the server-wide default.
 *
 * Only a decision of the policy engine (identity, boundary, SCP, session and resource/trust policies, conditions
 * included: aws:MultiFactorAuthPresent is a policy's word) is ever soft. Authentication (SigV4, secrets, session
 * tokens, MFA codes), GetSessionToken credentials' limits, throttling, validation, quotas and storage failures are
 * never soft. The mode is looked up only once a policy has denied, so strict and soft cost the same on allowed
 * calls.
 */
#ifndef ROLEGATE_ENFORCE_H
#define ROLEGATE_ENFORCE_H

#include <stdbool.h>

#include "server/call.h"
#include "store/store.h"

#define ENFORCE_TAG_KEY ENFORCEMENT_TAG_KEY /* store.h */
#define ENFORCE_SOFT_DENIED "soft-denied" /* the audit's enforcement column */

enum enforce_mode { ENFORCE_UNKNOWN, ENFORCE_STRICT, ENFORCE_SOFT };

/* "strict" or "soft" (ASCII case ignored) into *out: C_OK, else C_ERR. */
int enforce_parse(const char *s, enum enforce_mode *out);
/* The mode of a call made by a principal of account_id, read in tx (see the top). A storage failure gives strict:
 * fail closed. */
enum enforce_mode enforce_mode_of(const struct rg_server *srv, struct db_tx *tx, const char *account_id);
/* Whether the policies' denial now in c->err (AccessDenied) is to be let through: c's mode is soft and c is not a
 * dry run. If so, c->soft_denied is set, AWS's message kept in c->soft_message, and c->err cleared. */
bool enforce_soften(struct call *c);
/* Once per call that proceeded soft-denied: the warning log line (at most ENFORCE_WARN_PER_S a second; the next
 * one says how many were left out) and the /metrics counter. */
void enforce_report(const struct call *c);

#define ENFORCE_WARN_PER_S 20

#endif
