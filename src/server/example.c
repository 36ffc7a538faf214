/*
 * example.c - `rolegate server --example seed`: the organization of the seed article ("Terraform With AWS
 * AssumeRole"), made on an empty data directory through the API's own code path (dispatch_invoke: validation,
 * authorization, the handlers, the audit trail), as its administrators would make it with the AWS CLI:
 *
 *   Ops (the management account, where people live): CreateOrganization, then CreateAccount Dev, Stage, Prod
 *   each environment: roles `admin` (AdministratorAccess) and `readonly` (ReadOnlyAccess) trusting Ops, with MFA
 *   Ops: groups `dev`, `stage`, `prod` (each may assume that environment's roles, with MFA) and `people`
 *        (self-service on one's own user, its password included; assigning a virtual MFA device, removing it
 *        with MFA); users anay (dev, stage, prod) and abhi (dev) with a console password, an access key and an
 *        enabled virtual MFA device
 *
 * It prints, and keeps in DIR/example-seed.txt (mode 0600), the ~/.aws/credentials and ~/.aws/config snippets
 * (profiles with role_arn, source_profile, mfa_serial, endpoint_url), each person's MFA seed as an otpauth://
 * URI and console password (the web console: /console/). A later start with --example seed finds it made and changes nothing.
 */
#include "server/example.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/arn.h"
#include "server/dispatch.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/file.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/totp.h"

#define SEED_META "example.seed"
#define REGION "us-east-1"

static const char *const envs[] = {"Dev", "Stage", "Prod"};
#define NENVS 3

/* Who enters which environment (the article: Anay all three, Abhi only Dev). */
static const struct person {
	const char *name;
	bool env[NENVS];
} people[] = {
	{"anay", {true, true, true}},
	{"abhi", {true, false, false}},
};
#define NPEOPLE 2

struct seed {
	struct rg_server *srv;
	struct principal ops; /* the management account's root */
	char account[NENVS][ACCOUNT_ID_LEN + 1];
	char key_id[NPEOPLE][32], secret[NPEOPLE][64], serial[NPEOPLE][ARN_MAX + 1], uri[NPEOPLE][512];
	char password[NPEOPLE][32]; /* the web console's (CreateLoginProfile) */
};

static void root_of(struct principal *p, const char *account)
{
	memset(p, 0, sizeof(*p));
	p->kind = PRINCIPAL_ROOT;
	snprintf(p->account_id, sizeof(p->account_id), "%s", account);
	snprintf(p->id, sizeof(p->id), "%s", account);
	arn_root(p->arn, sizeof(p->arn), account);
}

/* One API call as `who`; its input is built by json_pack(fmt, ...) (the reference passes here). *out (optional)
 * gets the result. C_OK, or C_ERR with AWS's error logged. */
static int invoke(struct seed *s, const struct principal *who, const char *service, const char *op, json_t **out,
                  const char *fmt, ...)
{
	struct aws_err err;
	json_error_t jerr;
	json_t *in, *result = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	in = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	if (!in) {
		log_warnx("example: %s:%s: cannot build the input: %s", service, op, jerr.text);
		return C_ERR;
	}
	rc = dispatch_invoke(s->srv, who, service, op, in, &result, &err);
	json_decref(in);
	if (rc != C_OK) {
		log_warnx("example: %s:%s as %s: %s: %s", service, op, who->arn, aws_code_name(err.code), err.message);
		return C_ERR;
	}
	if (out)
		*out = result;
	else
		json_decref(result);
	return C_OK;
}

/* CreateOrganization, then the three accounts, requested together and polled until they are made. */
static int make_accounts(struct seed *s)
{
	char request[NENVS][64], email[128];
	json_t *out;
	int done = 0;

	if (invoke(s, &s->ops, "organizations", "CreateOrganization", NULL, "{s:s}", "FeatureSet", "ALL") != C_OK)
		return C_ERR;
	for (int i = 0; i < NENVS; i++) {
		snprintf(email, sizeof(email), "%s@rolegate.example", envs[i]);
		if (invoke(s, &s->ops, "organizations", "CreateAccount", &out, "{s:s, s:s}", "AccountName", envs[i],
		           "Email", email) != C_OK)
			return C_ERR;
		snprintf(request[i], sizeof(request[i]), "%s",
		         json_string_value(json_object_get(json_object_get(out, "CreateAccountStatus"), "Id")));
		json_decref(out);
	}
	for (int tries = 0; done < NENVS && tries < 200; tries++) {
		done = 0;
		for (int i = 0; i < NENVS; i++) {
			json_t *st;
			const char *state;
			if (s->account[i][0]) {
				done++;
				continue;
			}
			if (invoke(s, &s->ops, "organizations", "DescribeCreateAccountStatus", &out, "{s:s}",
			           "CreateAccountRequestId", request[i]) != C_OK)
				return C_ERR;
			st = json_object_get(out, "CreateAccountStatus");
			state = json_string_value(json_object_get(st, "State"));
			if (state && strcmp(state, "SUCCEEDED") == 0) {
				snprintf(s->account[i], sizeof(s->account[i]), "%s",
				         json_string_value(json_object_get(st, "AccountId")));
				done++;
			} else if (!state || strcmp(state, "IN_PROGRESS") != 0) {
				log_warnx("example: CreateAccount %s: %s", envs[i], state ? state : "no state");
				json_decref(out);
				return C_ERR;
			}
			json_decref(out);
		}
		if (done < NENVS)
			nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
	return done == NENVS ? C_OK : C_ERR;
}

/* In each environment, as its root: roles admin and readonly that Ops may assume with MFA. */
static int make_roles(struct seed *s)
{
	static const struct {
		const char *name, *policy, *description;
	} roles[] = {
		{"admin", "arn:aws:iam::aws:policy/AdministratorAccess", "Administrators, entering from Ops with MFA"},
		{"readonly", "arn:aws:iam::aws:policy/ReadOnlyAccess", "Read-only access, entering from Ops with MFA"},
	};
	char trust[512];
	struct principal root;

	/* The trust names the Ops account: Ops's own policies (its groups) decide who of its people may enter. */
	snprintf(trust, sizeof(trust),
	         "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"FromOpsWithMFA\",\"Effect\":\"Allow\","
	         "\"Principal\":{\"AWS\":\"arn:aws:iam::%s:root\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{"
	         "\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"},"
	         "\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":\"3600\"}}}]}",
	         s->ops.account_id);
	for (int i = 0; i < NENVS; i++) {
		root_of(&root, s->account[i]);
		for (size_t r = 0; r < ARRAY_LEN(roles); r++) {
			if (invoke(s, &root, "iam", "CreateRole", NULL, "{s:s, s:s, s:s, s:[{s:s, s:s}]}", "RoleName",
			           roles[r].name, "AssumeRolePolicyDocument", trust, "Description", roles[r].description,
			           "Tags", "Key", "environment", "Value", envs[i]) != C_OK ||
			    invoke(s, &root, "iam", "AttachRolePolicy", NULL, "{s:s, s:s}", "RoleName", roles[r].name,
			           "PolicyArn", roles[r].policy) != C_OK)
				return C_ERR;
		}
	}
	return C_OK;
}

/* In Ops: a group per environment (who may enter it) and `people` (what everyone may do to their own user). */
static int make_groups(struct seed *s)
{
	char doc[2048], group[16];

	for (int i = 0; i < NENVS; i++) {
		snprintf(group, sizeof(group), "%s", envs[i]);
		group[0] = (char)(group[0] - 'A' + 'a');
		snprintf(doc, sizeof(doc),
		         "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Enter%s\",\"Effect\":\"Allow\","
		         "\"Action\":\"sts:AssumeRole\",\"Resource\":[\"arn:aws:iam::%s:role/admin\","
		         "\"arn:aws:iam::%s:role/readonly\"],\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":"
		         "\"true\"}}}]}",
		         envs[i], s->account[i], s->account[i]);
		if (invoke(s, &s->ops, "iam", "CreateGroup", NULL, "{s:s}", "GroupName", group) != C_OK ||
		    invoke(s, &s->ops, "iam", "PutGroupPolicy", NULL, "{s:s, s:s, s:s}", "GroupName", group, "PolicyName",
		           "enter-environment", "PolicyDocument", doc) != C_OK)
			return C_ERR;
	}
	snprintf(doc, sizeof(doc),
	         "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"OwnUser\",\"Effect\":\"Allow\",\"Action\":["
	         "\"iam:GetUser\",\"iam:ListGroupsForUser\",\"iam:ListAccessKeys\",\"iam:CreateAccessKey\","
	         "\"iam:UpdateAccessKey\",\"iam:DeleteAccessKey\",\"iam:ListMFADevices\",\"iam:ResyncMFADevice\","
	         "\"iam:ChangePassword\",\"iam:GetLoginProfile\",\"iam:EnableMFADevice\"],"
	         "\"Resource\":\"arn:aws:iam::%s:user/${aws:username}\"},"
	         "{\"Sid\":\"OwnVirtualMFADevice\",\"Effect\":\"Allow\",\"Action\":[\"iam:CreateVirtualMFADevice\","
	         "\"iam:DeleteVirtualMFADevice\"],\"Resource\":\"arn:aws:iam::%s:mfa/${aws:username}\"},"
	         "{\"Sid\":\"RemoveOwnMFADeviceWithMFA\",\"Effect\":\"Allow\",\"Action\":\"iam:DeactivateMFADevice\","
	         "\"Resource\":\"arn:aws:iam::%s:user/${aws:username}\",\"Condition\":{\"Bool\":"
	         "{\"aws:MultiFactorAuthPresent\":\"true\"}}}]}",
	         s->ops.account_id, s->ops.account_id, s->ops.account_id);
	if (invoke(s, &s->ops, "iam", "CreateGroup", NULL, "{s:s}", "GroupName", "people") != C_OK ||
	    invoke(s, &s->ops, "iam", "PutGroupPolicy", NULL, "{s:s, s:s, s:s}", "GroupName", "people", "PolicyName",
	           "self-service", "PolicyDocument", doc) != C_OK)
		return C_ERR;
	return C_OK;
}

/* Overwrites the seed and the QR code (which encodes it) of a CreateVirtualMFADevice result before it is freed. */
static void wipe_secrets(json_t *device)
{
	static const char *const members[] = {"Base32StringSeed", "QRCodePNG"};

	for (size_t i = 0; i < ARRAY_LEN(members); i++) {
		json_t *v = json_object_get(device, members[i]);
		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
}

/* Decodes CreateVirtualMFADevice's Base32StringSeed (base64 of the base32 text) into the raw seed. */
static int mfa_seed(json_t *device, uint8_t seed[TOTP_SEED_LEN], char b32[TOTP_SEED_B32_LEN + 1])
{
	const char *b64 = json_string_value(json_object_get(device, "Base32StringSeed"));
	uint8_t *text;
	size_t n = 0, len = 0;
	int rc = C_ERR;

	if (!b64 || !(text = base64_decode(b64, strlen(b64), &n)))
		return C_ERR;
	if (n == TOTP_SEED_B32_LEN) {
		memcpy(b32, text, n);
		b32[n] = '\0';
		rc = base32_decode(b32, seed, TOTP_SEED_LEN, &len) == C_OK && len == TOTP_SEED_LEN ? C_OK : C_ERR;
	}
	explicit_bzero(text, n);
	free(text);
	return rc;
}

/* A user of Ops: groups, an access key, and a virtual MFA device enabled with two codes from steps already past
 * (so that the person's first code, from the current step, is not taken for a replay). */
static int make_person(struct seed *s, int p)
{
	const struct person *who = &people[p];
	json_t *out = NULL, *dev = NULL;
	uint8_t seed[TOTP_SEED_LEN];
	char b32[TOTP_SEED_B32_LEN + 1], code1[TOTP_DIGITS + 1], code2[TOTP_DIGITS + 1], label[128], group[16];
	uint64_t now = totp_counter(now_ms() / 1000);
	int rc = C_ERR;

	if (invoke(s, &s->ops, "iam", "CreateUser", NULL, "{s:s, s:[{s:s, s:s}]}", "UserName", who->name, "Tags", "Key",
	           "team", "Value", "platform") != C_OK ||
	    invoke(s, &s->ops, "iam", "AddUserToGroup", NULL, "{s:s, s:s}", "GroupName", "people", "UserName",
	           who->name) != C_OK)
		return C_ERR;
	for (int i = 0; i < NENVS; i++) {
		if (!who->env[i])
			continue;
		snprintf(group, sizeof(group), "%s", envs[i]);
		group[0] = (char)(group[0] - 'A' + 'a');
		if (invoke(s, &s->ops, "iam", "AddUserToGroup", NULL, "{s:s, s:s}", "GroupName", group, "UserName",
		           who->name) != C_OK)
			return C_ERR;
	}
	/* a console password: 20 random letters and digits, then one of each kind a password policy may ask for */
	crypto_random_chars("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 57, s->password[p], 20);
	memcpy(s->password[p] + 20, "Aa7-", 5);
	if (invoke(s, &s->ops, "iam", "CreateLoginProfile", NULL, "{s:s, s:s, s:b}", "UserName", who->name, "Password",
	           s->password[p], "PasswordResetRequired", 0) != C_OK)
		return C_ERR;
	if (invoke(s, &s->ops, "iam", "CreateAccessKey", &out, "{s:s}", "UserName", who->name) != C_OK)
		return C_ERR;
	snprintf(s->key_id[p], sizeof(s->key_id[p]), "%s",
	         json_string_value(json_object_get(json_object_get(out, "AccessKey"), "AccessKeyId")));
	snprintf(s->secret[p], sizeof(s->secret[p]), "%s",
	         json_string_value(json_object_get(json_object_get(out, "AccessKey"), "SecretAccessKey")));
	json_decref(out);
	out = NULL;
	if (invoke(s, &s->ops, "iam", "CreateVirtualMFADevice", &out, "{s:s}", "VirtualMFADeviceName", who->name) !=
	    C_OK)
		return C_ERR;
	dev = json_object_get(out, "VirtualMFADevice");
	snprintf(s->serial[p], sizeof(s->serial[p]), "%s", json_string_value(json_object_get(dev, "SerialNumber")));
	if (mfa_seed(dev, seed, b32) != C_OK)
		goto done;
	totp_code(seed, sizeof(seed), now - 2, code1);
	totp_code(seed, sizeof(seed), now - 1, code2);
	snprintf(label, sizeof(label), "%s@%s", who->name, s->ops.account_id);
	if (totp_uri(s->uri[p], sizeof(s->uri[p]), "rolegate", label, b32) != C_OK ||
	    invoke(s, &s->ops, "iam", "EnableMFADevice", NULL, "{s:s, s:s, s:s, s:s}", "UserName", who->name,
	           "SerialNumber", s->serial[p], "AuthenticationCode1", code1, "AuthenticationCode2", code2) != C_OK)
		goto done;
	rc = C_OK;
done:
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(b32, sizeof(b32));
	wipe_secrets(dev);
	json_decref(out);
	return rc;
}

/* The endpoint clients use: the listen address, with a wildcard host replaced by the loopback address. */
/* The endpoint URL the printed profiles use: --listen's host (a wildcard address as loopback) and the bound port,
 * https:// when the server serves TLS. */
static void endpoint_of(const char *listen, bool tls, unsigned port, char *out, size_t cap)
{
	const char *colon = strrchr(listen, ':');
	const char *scheme = tls ? "https" : "http";
	int hostlen = colon ? (int)(colon - listen) : 0;

	if (hostlen == 0 || (hostlen == 7 && strncmp(listen, "0.0.0.0", 7) == 0))
		snprintf(out, cap, "%s://127.0.0.1:%u", scheme, port);
	else if (hostlen == 4 && strncmp(listen, "[::]", 4) == 0)
		snprintf(out, cap, "%s://[::1]:%u", scheme, port);
	else
		snprintf(out, cap, "%s://%.*s:%u", scheme, hostlen, listen, port);
}

/* The text printed and kept in DIR/example-seed.txt. */
static void describe(const struct seed *s, const char *endpoint, bool tls, struct buf *b)
{
	buf_printf(b,
	           "# rolegate --example seed: the jump-account organization of \"Terraform With AWS AssumeRole\".\n"
	           "#   Ops   %s  management account: the people (anay, abhi) live here\n",
	           s->ops.account_id);
	for (int i = 0; i < NENVS; i++)
		buf_printf(b, "#   %-5s %s  roles admin and readonly, trusting Ops with MFA\n", envs[i], s->account[i]);
	buf_printf(b, "#\n# ---- ~/.aws/credentials ----\n");
	for (int p = 0; p < NPEOPLE; p++)
		buf_printf(b, "[rolegate-%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", people[p].name,
		           s->key_id[p], s->secret[p]);
	buf_printf(b, "# ---- ~/.aws/config ----\n");
	if (tls)
		buf_printf(b, "# The endpoint serves TLS: unless its CA is in the system's trust store, add\n"
		              "# ca_bundle = /path/to/ca.pem to each profile, or export AWS_CA_BUNDLE=/path/to/ca.pem\n"
		              "# (rolegate exec and serve-credentials honour both, as the AWS CLI does).\n\n");
	for (int p = 0; p < NPEOPLE; p++) {
		buf_printf(b, "[profile rolegate-%s]\nregion = %s\nendpoint_url = %s\n\n", people[p].name, REGION, endpoint);
		for (int i = 0; i < NENVS; i++) {
			char env[16];
			if (!people[p].env[i])
				continue;
			snprintf(env, sizeof(env), "%s", envs[i]);
			env[0] = (char)(env[0] - 'A' + 'a');
			for (int ro = 0; ro < 2; ro++)
				buf_printf(b,
				           "[profile %s-%s%s]\nrole_arn = arn:aws:iam::%s:role/%s\nsource_profile = rolegate-%s\n"
				           "mfa_serial = %s\nrole_session_name = %s\nregion = %s\nendpoint_url = %s\n\n",
				           people[p].name, env, ro ? "-readonly" : "", s->account[i], ro ? "readonly" : "admin",
				           people[p].name, s->serial[p], people[p].name, REGION, endpoint);
		}
	}
	buf_printf(b, "# ---- MFA: add each seed to an authenticator app (or: oathtool --totp -b SECRET) ----\n");
	for (int p = 0; p < NPEOPLE; p++)
		buf_printf(b, "# %s: %s\n", people[p].name, s->uri[p]);
	buf_printf(b, "#\n# Then, for example: aws --profile anay-prod sts get-caller-identity (asks for anay's code)\n");
	buf_printf(b, "#\n# ---- the web console: %s/console/ (account %s, the user name, its password and MFA code) ----\n",
	           endpoint, s->ops.account_id);
	for (int p = 0; p < NPEOPLE; p++)
		buf_printf(b, "# console password of %s: %s\n", people[p].name, s->password[p]);
}

int example_run(struct rg_server *srv, const char *name, unsigned port)
{
	struct seed *s;
	struct db_tx *tx;
	struct buf text;
	char done[32] = "", path[4096], endpoint[300];
	int rc;

	if (strcmp(name, "seed") != 0) {
		log_warnx("--example: unknown example '%s' (there is: seed)", name);
		return C_ERR;
	}
	snprintf(path, sizeof(path), "%s/example-seed.txt", srv->cfg->data_dir);
	if (db_begin(srv->db, false, &tx) != C_OK)
		return C_ERR;
	rc = store_meta_get(tx, SEED_META, done, sizeof(done));
	if (rc == STORE_NOT_FOUND)
		rc = store_account_org_id(tx, srv->management_account, done, sizeof(done)) == STORE_NOT_FOUND ? 1 : 2;
	db_rollback(tx);
	if (rc == C_OK) {
		log_info("example seed: made on an earlier start; its profiles are in %s", path);
		return C_OK;
	}
	if (rc != 1) {
		log_warnx("--example seed needs an empty data directory (this one already has an organization)");
		return C_ERR;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return C_ERR;
	s->srv = srv;
	root_of(&s->ops, srv->management_account);
	rc = C_ERR;
	if (make_accounts(s) != C_OK || make_roles(s) != C_OK || make_groups(s) != C_OK)
		goto done;
	for (int p = 0; p < NPEOPLE; p++)
		if (make_person(s, p) != C_OK)
			goto done;
	endpoint_of(srv->cfg->listen, srv->cfg->tls_cert_file != NULL, port, endpoint, sizeof(endpoint));
	buf_init(&text, 64 * 1024);
	describe(s, endpoint, srv->cfg->tls_cert_file != NULL, &text);
	if (file_write_private(path, buf_str(&text)) == C_OK &&
	    db_begin(srv->db, true, &tx) == C_OK) {
		if (store_meta_set(tx, SEED_META, "1") != C_OK)
			db_rollback(tx);
		else if (db_commit(tx) == C_OK)
			rc = C_OK;
	}
	if (rc == C_OK) {
		fputs(buf_str(&text), stdout);
		fflush(stdout);
		log_info("example seed: made; its profiles are in %s", path);
	}
	buf_free_secret(&text);
done:
	explicit_bzero(s, sizeof(*s));
	free(s);
	return rc;
}
