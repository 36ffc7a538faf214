/*
 * whocan.c - `rolegate analyze who-can ACTION RESOURCE` (every IAM user and role the engine allows ACTION on
 * RESOURCE, and the statements that decide) and `rolegate analyze can PRINCIPAL_ARN ACTION RESOURCE` (one decision
 * explained as the simulator explains it). The request carries the principal's baseline context (aws:username,
 * aws:PrincipalArn, its tags ...): conditions on anything else are not met. Identity policies, boundary and the
 * caller account's SCPs apply; for sts:AssumeRole on a role, its trust policy is the resource policy.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/cli.h"
#include "analyze/reach.h"
#include "analyze/verbs.h"
#include "server/cli_store.h"
#include "util/common.h"

static const char *source_name(enum policy_source s)
{
	static const char *const names[] = {"identity", "resource", "boundary", "session", "scp", "rcp"};

	return (size_t)s < ARRAY_LEN(names) ? names[s] : "?";
}

/* Decides for p; *out gets {principal, decision, reason, statements}. C_OK or C_ERR. */
static int decide(struct am_model *m, struct am_principal *p, const char *action, const char *resource,
                  json_t **out)
{
	struct am_principal *target = am_principal_find(m, resource);
	struct policy *res = target && target->is_role && strcasecmp(action, "sts:AssumeRole") == 0 ? target->trust : NULL;
	struct policy_set set;
	struct policy_request req;
	struct policy_explain ex;
	struct am_ctx c;
	char racct[ACCOUNT_ID_LEN + 1] = "";
	enum policy_decision d;
	json_t *st;

	if (am_policy_set(m, p, res, &set) != C_OK || am_ctx_build(&c, p, NULL, NULL, 0) != C_OK)
		return C_ERR;
	if (strncmp(resource, "arn:", 4) == 0) {
		const char *s = resource;
		for (int colons = 0; *s && colons < 4; s++)
			colons += *s == ':';
		if (strlen(s) >= ACCOUNT_ID_LEN && s[ACCOUNT_ID_LEN] == ':')
			snprintf(racct, sizeof(racct), "%.12s", s);
	}
	if (!racct[0])
		snprintf(racct, sizeof(racct), "%s", m->accounts[p->account].id);
	req = (struct policy_request){.action = action, .resource = resource, .resource_account = racct,
	                              .principal = p->is_role ? p->session_arn : p->arn,
	                              .principal_account = m->accounts[p->account].id, .principal_id = p->id,
	                              .ctx = c.e, .nctx = c.n};
	d = policy_evaluate(&req, &set, &ex);
	st = json_array();
	for (size_t i = 0; i < ex.n; i++) {
		char origin[512] = "";
		if (ex.items[i].source == SRC_IDENTITY)
			am_policy_origin(m, p, (size_t)ex.items[i].policy, origin, sizeof(origin));
		json_array_append_new(st, json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "source",
		                                    source_name(ex.items[i].source), "effect",
		                                    ex.items[i].allow ? "Allow" : "Deny", "policy", ex.items[i].policy,
		                                    "statement", ex.items[i].statement, "sid", ex.items[i].sid, "origin",
		                                    origin));
	}
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "principal", p->arn, "action", action, "resource", resource,
	                 "decision", policy_decision_name(d), "reason", ex.reason ? ex.reason : "", "statements", st);
	am_ctx_free(&c);
	return *out ? C_OK : C_ERR;
}

static int run(const char *verb, int argc, char **argv, int nargs, const char *usage_text)
{
	struct analyze_store_opts so = {.dir = "./data"};
	const char *args[3] = {NULL, NULL, NULL};
	bool json = false;
	int n = 0, status = 1;
	struct am_model m;
	struct db *db;
	json_t *out = json_array();

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s", usage_text);
			json_decref(out);
			return 0;
		}
		if (analyze_store_flag(argc, argv, &i, &so))
			continue;
		if (strcmp(argv[i], "--json") == 0 || (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		                                        strcmp(argv[i + 1], "json") == 0 && ++i))
			json = true;
		else if (argv[i][0] == '-' || n == nargs) {
			fprintf(stderr, "%s", usage_text);
			json_decref(out);
			return 2;
		} else
			args[n++] = argv[i];
	}
	if (n != nargs || !strchr(args[nargs - 2], ':')) {
		fprintf(stderr, "%s", usage_text);
		json_decref(out);
		return 2;
	}
	if (!(db = cli_store_open(verb, so.dir, so.conninfo))) {
		json_decref(out);
		return 1;
	}
	if (am_load(&m, db, verb) != C_OK)
		goto close;
	if (nargs == 3) {
		struct am_principal *p = am_principal_find(&m, args[0]);
		json_t *d;
		if (!p) {
			fprintf(stderr, "rolegate %s: %s: no such user or role\n", verb, args[0]);
			goto out;
		}
		if (decide(&m, p, args[1], args[2], &d) != C_OK)
			goto out;
		json_array_append_new(out, d);
	} else {
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < (pass ? m.nroles : m.nusers); i++) {
				json_t *d;
				if (decide(&m, pass ? &m.roles[i] : &m.users[i], args[0], args[1], &d) != C_OK)
					goto out;
				if (strcmp(json_string_value(json_object_get(d, "decision")), "Allowed") == 0)
					json_array_append_new(out, d);
				else
					json_decref(d);
			}
	}
	if (json) {
		json_dumpf(nargs == 3 ? json_array_get(out, 0) : out, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		json_t *d, *s;
		size_t i, k;
		json_array_foreach(out, i, d) {
			printf("%s %s %s on %s (%s)\n", json_string_value(json_object_get(d, "principal")),
			       json_string_value(json_object_get(d, "decision")), args[nargs - 2], args[nargs - 1],
			       json_string_value(json_object_get(d, "reason")));
			json_array_foreach(json_object_get(d, "statements"), k, s)
				printf("    %s %s statement %lld%s%s%s%s\n", json_string_value(json_object_get(s, "effect")),
				       json_string_value(json_object_get(s, "source")),
				       (long long)json_integer_value(json_object_get(s, "statement")),
				       *json_string_value(json_object_get(s, "sid")) ? " sid " : "",
				       json_string_value(json_object_get(s, "sid")),
				       *json_string_value(json_object_get(s, "origin")) ? ": " : "",
				       json_string_value(json_object_get(s, "origin")));
		}
	}
	status = nargs == 3 && strcmp(json_string_value(json_object_get(json_array_get(out, 0), "decision")),
	                              "Allowed") != 0 ? 3 : 0;
out:
	am_free(&m);
close:
	db_close(db);
	json_decref(out);
	am_hints_clear();
	policy_cache_clear();
	return status;
}

int analyze_who_can_main(int argc, char **argv)
{
	return run("analyze who-can", argc, argv, 2,
	           "usage: rolegate analyze who-can [--data DIR | --postgres CONNINFO] [--json] ACTION RESOURCE\n"
	           "Every IAM user and role allowed ACTION on RESOURCE, and the statements that decide.\n");
}

int analyze_can_main(int argc, char **argv)
{
	return run("analyze can", argc, argv, 3,
	           "usage: rolegate analyze can [--data DIR | --postgres CONNINFO] [--json] PRINCIPAL_ARN ACTION RESOURCE\n"
	           "Whether the user or role may do ACTION on RESOURCE (exit 0 allowed, 3 denied), and why.\n");
}
