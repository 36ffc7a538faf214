/*
 * main.c - rolegate's verbs.
 *
 *   rolegate server [OPTIONS]     the AWS-compatible IAM/STS/Organizations endpoint
 *   rolegate policy eval|validate the policy engine on the command line
 *   rolegate keys|audit|snapshot  session-token keys, the audit trail, backups of DATA
 *   rolegate master-key rotate    re-seal DATA's secrets under a new master key
 *   rolegate migrate              move DATA into an empty PostgreSQL database
 *   rolegate root-password        the web console password of an account's root user
 *   rolegate analyze              access analysis of the whole organization (src/analyze)
 *   rolegate accounts             an account's enforcement mode (strict / soft)
 *   rolegate exec|env|credential-process|serve-credentials|whoami|list|clear|login   the engineer's side (src/cli)
 *   rolegate version
 *   rolegate help
 */
#include <stdio.h>
#include <string.h>

#include "analyze/cli.h"
#include "cli/verbs.h"
#include "console/rootpw.h"
#include "orgcode/cli.h"
#include "policy/cli.h"
#include "server/accounts_cli.h"
#include "server/audit_cli.h"
#include "server/keyring.h"
#include "server/masterkey.h"
#include "server/migrate_cli.h"
#include "server/server.h"
#include "server/snapshot.h"
#include "util/common.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static int version_main(int argc, char **argv);
static int help_main(int argc, char **argv);

static const struct verb verbs[] = {
	{"server", server_main, "run the AWS-compatible IAM/STS endpoint (rolegate server --help)"},
	{"policy", policy_main, "evaluate or validate IAM policies (rolegate policy --help)"},
	{"keys", keys_main, "rotate, list or retire the keys that seal session tokens (rolegate keys --help)"},
	{"master-key", masterkey_main, "re-seal every secret under a new master key (rolegate master-key --help)"},
	{"root-password", root_password_main, "set the web console password of an account's root user"},
	{"analyze", analyze_main, "access analysis: who can reach which role, escalation paths, unused access"},
	{"audit", audit_main, "show the audit trail (rolegate audit --help)"},
	{"migrate", migrate_main, "move DATA's databases into an empty PostgreSQL database (rolegate migrate --help)"},
	{"snapshot", snapshot_main, "save or restore a consistent copy of the databases (rolegate snapshot --help)"},
	{"export", export_main, "the organization as Terraform with import blocks (rolegate export --help)"},
	{"import", import_main, "build an account from get-account-authorization-details JSON (rolegate import --help)"},
	{"accounts", accounts_main, "an account's enforcement mode: strict or soft (rolegate accounts --help)"},
	{"exec", exec_main, "run a command with a profile's credentials (rolegate exec --help)"},
	{"env", env_main, "print a profile's credentials as variables for sh, fish or JSON"},
	{"credential-process", credential_process_main, "credentials for a credential_process = line"},
	{"serve-credentials", serve_credentials_main, "serve renewing credentials to a command (ECS-style endpoint)"},
	{"whoami", whoami_main, "sts:GetCallerIdentity as a profile"},
	{"list", list_main, "profiles, their chains and cached sessions"},
	{"clear", clear_main, "forget cached sessions"},
	{"login", login_main, "sign in to the AWS console as a profile's role"},
	{"version", version_main, "print the version"},
	{"help", help_main, "this list"},
};

static int version_main(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	printf("rolegate %s\n", ROLEGATE_VERSION);
	return 0;
}

static int help_main(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	printf("usage: rolegate VERB [ARGS]\n\nverbs:\n");
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		printf("  %-19s %s\n", verbs[i].name, verbs[i].help);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help_main(0, NULL);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return help_main(0, NULL);
	if (strcmp(argv[1], "--version") == 0)
		return version_main(0, NULL);
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 2, argv + 2);
	fprintf(stderr, "rolegate: unknown verb '%s' (rolegate help lists them)\n", argv[1]);
	return 2;
}
