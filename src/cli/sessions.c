/*
 * sessions.c - the verbs about who one is and what is cached: whoami, list, clear.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/awsconfig.h"
#include "cli/cliopts.h"
#include "cli/sts_client.h"
#include "cli/verbs.h"
#include "util/common.h"
#include "util/crypto.h"

static const char whoami_usage[] =
	"usage: rolegate whoami [OPTIONS] [PROFILE]\n"
	"\n"
	"Calls sts:GetCallerIdentity with PROFILE's credentials (default: AWS_DEFAULT_PROFILE, AWS_PROFILE, default)\n"
	"and prints UserId, Account and Arn as `aws sts get-caller-identity` does.\n"
	"\n"
	"options:\n" CLI_BROKER_HELP;

static const char list_usage[] =
	"usage: rolegate list\n"
	"\n"
	"Lists the profiles of the AWS config and credentials files, each with its chain, the role session cached for\n"
	"it (shared with the AWS CLI) and the MFA session cached for its device, with when they expire.\n"
	"\n"
	"options:\n"
	"  -h, --help              this text\n";

static const char clear_usage[] =
	"usage: rolegate clear [PROFILE]\n"
	"\n"
	"Forgets cached sessions: PROFILE's role sessions (its whole chain) and its MFA session, or, without PROFILE,\n"
	"those of every profile, every MFA session and the key that seals them.\n"
	"\n"
	"options:\n"
	"  -h, --help              this text\n";

int whoami_main(int argc, char **argv)
{
	struct cli_opts o;
	struct broker_result r;
	struct sts_client c;
	struct sts_result res;
	struct sts_error e;
	struct sigv4_credentials s;
	char err[BROKER_ERR_MAX];
	int rc = cli_parse("whoami", whoami_usage, CLI_BROKER | CLI_PROFILE_OPT, argc, argv, &o);

	if (rc != CLI_GO)
		return rc;
	if (cli_credentials(&o, &r) != C_OK)
		return 1;
	memset(&res, 0, sizeof(res));
	rc = 1;
	if (broker_sts_client(o.profile, &o.b, &c, err) != C_OK) {
		fprintf(stderr, "rolegate: %s\n", err);
		goto done;
	}
	s.access_key_id = r.creds.access_key_id;
	s.secret_access_key = r.creds.secret_access_key;
	s.session_token = r.temporary ? r.creds.session_token : NULL;
	if (sts_client_get_caller_identity(&c, &s, &res, &e) != C_OK) {
		fprintf(stderr, "rolegate: profile %s: %s\n", awsconfig_profile_name(o.profile, NULL), e.text);
		goto done;
	}
	printf("{\n    \"UserId\": \"%s\",\n    \"Account\": \"%s\",\n    \"Arn\": \"%s\"\n}\n", res.user_id, res.account,
	       res.arn);
	rc = 0;
done:
	sts_client_free(&c);
	sts_result_clear(&res);
	broker_result_clear(&r);
	return rc;
}

/* Starts the crypto library (the MFA cache is sealed) and reads the AWS config files, for list and clear. C_OK with
 * *cfg set, or C_ERR with the reason printed. */
static int load_config(struct awsconfig **cfg)
{
	struct awsconfig_err aerr;

	*cfg = NULL;
	if (crypto_init() != C_OK) {
		fprintf(stderr, "rolegate: the crypto library could not be initialised\n");
		return C_ERR;
	}
	if (awsconfig_load(cfg, &aerr) != C_OK) {
		fprintf(stderr, "rolegate: %s\n", aerr.msg);
		return C_ERR;
	}
	return C_OK;
}

/* "until 2026-11-26T03:00:00Z (42 min left)" or "expired at ..." */
static void print_until(int64_t exp)
{
	char t[ISO8601_LEN];
	int64_t left = exp - (int64_t)time(NULL);

	time_iso8601(exp, t);
	if (left > 0)
		printf("until %s (%lld min left)", t, (long long)(left / 60));
	else
		printf("expired at %s", t);
}

/* The device of a profile's chain: the first mfa_serial of its role links, else the profile's own. */
static const char *chain_serial(const struct awsconfig *cfg, const char *profile, const struct awsconfig_chain *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		if (ch->links[i].kind == AWSCONFIG_LINK_ASSUME_ROLE && ch->links[i].mfa_serial)
			return ch->links[i].mfa_serial;
	return awsconfig_get(cfg, profile, "mfa_serial");
}

int list_main(int argc, char **argv)
{
	struct cli_opts o;
	struct awsconfig *cfg = NULL;
	struct awsconfig_err aerr;
	int rc = cli_parse("list", list_usage, 0, argc, argv, &o);

	if (rc != CLI_GO)
		return rc;
	if (load_config(&cfg) != C_OK)
		return 1;
	for (size_t i = 0; i < awsconfig_profile_count(cfg); i++) {
		const char *name = awsconfig_profile_at(cfg, i), *serial;
		struct awsconfig_chain ch = {0};
		struct cache_creds c;
		char key[CACHE_KEY_LEN + 1];
		struct buf d;

		printf("%s\n", name);
		if (awsconfig_resolve(cfg, name, &ch, &aerr) != C_OK) {
			printf("  chain:   not usable: %s\n", aerr.msg);
			continue;
		}
		buf_init(&d, 8192);
		awsconfig_chain_describe(&ch, &d);
		printf("  chain:   %s\n", buf_str(&d));
		buf_free(&d);
		if (ch.links[0].kind == AWSCONFIG_LINK_ASSUME_ROLE) {
			printf("  session: ");
			if (broker_cache_key(&ch.links[0], key) == C_OK && cache_aws_read(key, 0, &c) == C_OK) {
				printf("%s ", c.arn[0] ? c.arn : "cached");
				print_until(c.expiration_s);
			} else {
				printf("none cached");
			}
			putchar('\n');
		}
		serial = chain_serial(cfg, name, &ch);
		if (serial && *serial) {
			printf("  mfa:     %s, ", serial);
			if (cache_mfa_read(serial, 0, &c) == C_OK) {
				printf("session ");
				print_until(c.expiration_s);
			} else {
				printf("no session cached");
			}
			putchar('\n');
		}
		cache_creds_clear(&c);
		awsconfig_chain_free(&ch);
	}
	awsconfig_free(cfg);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Removes the cached sessions of profile's chain and its MFA session; counts the files removed. */
static void clear_profile(const struct awsconfig *cfg, const char *profile, int *removed)
{
	struct awsconfig_chain ch = {0};
	struct awsconfig_err aerr;
	char key[CACHE_KEY_LEN + 1];
	const char *serial;
	bool gone;

	if (awsconfig_resolve(cfg, profile, &ch, &aerr) != C_OK)
		return;
	for (size_t i = 0; i < ch.n; i++)
		if (ch.links[i].kind == AWSCONFIG_LINK_ASSUME_ROLE && broker_cache_key(&ch.links[i], key) == C_OK &&
		    cache_aws_delete(key, &gone) == C_OK && gone)
			(*removed)++;
	serial = chain_serial(cfg, profile, &ch);
	if (serial && *serial && cache_mfa_delete(serial, &gone) == C_OK && gone)
		(*removed)++;
	awsconfig_chain_free(&ch);
}

int clear_main(int argc, char **argv)
{
	struct cli_opts o;
	struct awsconfig *cfg = NULL;
	int removed = 0, rc = cli_parse("clear", clear_usage, CLI_PROFILE_OPT, argc, argv, &o);

	if (rc != CLI_GO)
		return rc;
	if (load_config(&cfg) != C_OK)
		return 1;
	if (o.profile) {
		if (!awsconfig_has_profile(cfg, o.profile)) {
			fprintf(stderr, "rolegate: The config profile (%s) could not be found\n", o.profile);
			awsconfig_free(cfg);
			return 1;
		}
		clear_profile(cfg, o.profile, &removed);
	} else {
		for (size_t i = 0; i < awsconfig_profile_count(cfg); i++)
			clear_profile(cfg, awsconfig_profile_at(cfg, i), &removed);
		if (cache_mfa_clear() != C_OK) {
			fprintf(stderr, "rolegate: the MFA session cache could not be cleared\n");
			rc = 1;
		}
	}
	awsconfig_free(cfg);
	printf("Cleared %d session%s.\n", removed, removed == 1 ? "" : "s");
	return rc == CLI_GO ? 0 : rc;
}
