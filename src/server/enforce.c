/*
 * enforce.c - enforcement modes (see enforce.h): which mode a call has, and what soft mode does with a denial.
 */
#include "server/enforce.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/metrics.h"
#include "store/orgs.h"
#include "store/store.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

int enforce_parse(const char *s, enum enforce_mode *out)
{
	if (s && strcasecmp(s, "strict") == 0)
		*out = ENFORCE_STRICT;
	else if (s && strcasecmp(s, "soft") == 0)
		*out = ENFORCE_SOFT;
	else
		return C_ERR;
	return C_OK;
}

enum enforce_mode enforce_mode_of(const struct rg_server *srv, struct db_tx *tx, const char *account_id)
{
	char mode[STORE_ENFORCEMENT_MAX], tag_id[64], value[TAG_VALUE_MAX * 4 + 1];
	enum enforce_mode m = ENFORCE_STRICT;
	int rc;

	/* 1. the account's own setting */
	rc = store_enforcement_get(tx, account_id, mode);
	if (rc == C_OK)
		return enforce_parse(mode, &m) == C_OK ? m : ENFORCE_STRICT;
	if (rc != STORE_NOT_FOUND)
		return ENFORCE_STRICT;
	/* 2. its Organizations tag (orgs' tags are keyed "org:" + the account id) */
	snprintf(tag_id, sizeof(tag_id), ORG_TAG_PREFIX "%s", account_id);
	rc = store_tag_get(tx, tag_id, ENFORCE_TAG_KEY, value, sizeof(value));
	if (rc == C_OK) {
		if (enforce_parse(value, &m) == C_OK)
			return m;
		log_warnx("enforcement: account %s has tag " ENFORCE_TAG_KEY " = \"%.32s\", neither strict nor soft: "
		          "ignored",
		          account_id, value);
	} else if (rc != STORE_NOT_FOUND) {
		return ENFORCE_STRICT;
	}
	/* 3. the server's --enforce; when not given, soft under --compat (a moto suite's calls were never checked),
	 * strict otherwise */
	if (srv && srv->cfg && enforce_parse(srv->cfg->enforce, &m) == C_OK)
		return m;
	if (srv && srv->cfg && !srv->cfg->enforce && srv->cfg->compat)
		return ENFORCE_SOFT;
	return ENFORCE_STRICT;
}

bool enforce_soften(struct call *c)
{
	if (c->dry_run || c->err.code != ERR_ACCESS_DENIED || !c->tx || !c->caller.account_id[0])
		return false;
	if (c->enforce == ENFORCE_UNKNOWN)
		c->enforce = (int)enforce_mode_of(c->srv, c->tx, c->caller.account_id);
	if (c->enforce != ENFORCE_SOFT)
		return false;
	if (!c->soft_denied) /* the first denial of the call is the one AWS would have answered */
		snprintf(c->soft_message, sizeof(c->soft_message), "%s", c->err.message);
	c->soft_denied = true;
	c->err.code = ERR_NONE;
	c->err.message[0] = c->err.reason[0] = '\0';
	return true;
}

/* The warning lines' budget: ENFORCE_WARN_PER_S a second, the rest counted and said by the next line. */
static pthread_mutex_t warn_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t warn_second;
static unsigned warn_used;
static uint64_t warn_left_out;

void enforce_report(const struct call *c)
{
	int64_t second = mono_us() / 1000000;
	uint64_t left_out = 0;
	bool say;
	char action[160];

	snprintf(action, sizeof(action), "%s:%s", c->svc ? c->svc->id : "-", c->op ? c->op->name : "-");
	metrics_soft_denial(c->action);
	pthread_mutex_lock(&warn_mu);
	if (second != warn_second) {
		warn_second = second;
		warn_used = 0;
	}
	say = warn_used < ENFORCE_WARN_PER_S;
	if (say) {
		warn_used++;
		left_out = warn_left_out;
		warn_left_out = 0;
	} else {
		warn_left_out++;
	}
	pthread_mutex_unlock(&warn_mu);
	if (!say)
		return;
	if (left_out)
		log_warnx("soft mode: req=%s principal=%s action=%s would have been denied: %s (and %" PRIu64
		          " more soft denials not logged: see the audit and rolegate_soft_denials_total)",
		          c->request_id, c->caller.arn, action, c->soft_message, left_out);
	else
		log_warnx("soft mode: req=%s principal=%s action=%s would have been denied: %s", c->request_id,
		          c->caller.arn, action, c->soft_message);
}
