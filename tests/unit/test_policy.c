/*
 * test_policy.c - tests src/policy/ (policy.h) against the worked examples of AWS's IAM documentation.
 *
 * Every group below names the AWS page and section its examples come from. The policies are AWS's, as printed
 * (written as real JSON through J(), which stringizes its argument); where the page leaves a placeholder
 * ("account-id", "REGION", "BUCKET-NAME") a concrete value stands in, and where a printed policy could not be
 * saved in IAM as it stands (an Action without a vendor prefix) the comment says what was completed. Each case
 * builds a policy_request and a policy_set, calls policy_evaluate and asserts the decision the page describes.
 *
 * Then: policy_compile's MalformedPolicyDocument messages per kind of policy, evaluation allocating nothing, the
 * cache of compiled policies and policy_release of the last reference (ASan's leak checker sees what is not freed).
 *
 * Cases do not stop at the first wrong decision: each is reported with its line, and the test fails at its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "util/common.h"
#include "util/crypto.h"

/* J({...}): a JSON document written as JSON in the source. Passed through another macro (IDENTITY(...) below), its
 * words are macro-expanded before J stringizes them: write JSON's true / false through J() directly. */
#define J(...) #__VA_ARGS__

#define A "111122223333" /* the account of most examples */
#define ALICE "arn:aws:iam::111122223333:user/Alice"

/* ---- context entries ------------------------------------------------------------------------------------------ */

#define NVALS(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
/* A single-valued key. */
#define KV(k, v) {.key = (k), .values = (const char *const[]){(v)}, .nvalues = 1, .multi = false}
/* A multivalued key (a list in the request context, even of one element). */
#define KM(k, ...)                                                                                                  \
	{.key = (k), .values = (const char *const[]){__VA_ARGS__}, .nvalues = NVALS(__VA_ARGS__), .multi = true}
/* A multivalued key present with no values (an empty list). */
#define KEMPTY(k) {.key = (k), .values = NULL, .nvalues = 0, .multi = true}
/* The context of a request: CTX(KV(..), KM(..)) fills the ctx and nctx fields of struct rq. */
#define CTX(...)                                                                                                    \
	.ctx = (const struct policy_ctx_entry[]){__VA_ARGS__},                                                     \
	.nctx = sizeof((const struct policy_ctx_entry[]){__VA_ARGS__}) / sizeof(struct policy_ctx_entry)

/* ---- policies: compiled once per case, released after each test ------------------------------------------------ */

static struct policy *held[256];
static size_t nheld;
static int failures;

static struct policy *compile_ok(enum policy_kind kind, const char *doc, int line)
{
	char err[POLICY_ERROR_MAX];
	struct policy *p = NULL;

	if (policy_compile(doc, strlen(doc), kind, &p, err) != C_OK || !p)
		fail_msg("line %d: policy_compile (%s) failed: %s\n%s", line, policy_kind_name(kind), err, doc);
	if (nheld == ARRAY_LEN(held))
		fail_msg("too many policies held");
	held[nheld++] = p;
	return p;
}

#define IDENTITY(...) compile_ok(POLICY_IDENTITY, J(__VA_ARGS__), __LINE__)
#define RESOURCE(...) compile_ok(POLICY_RESOURCE, J(__VA_ARGS__), __LINE__)
#define TRUST(...) compile_ok(POLICY_TRUST, J(__VA_ARGS__), __LINE__)
#define BOUNDARY(...) compile_ok(POLICY_BOUNDARY, J(__VA_ARGS__), __LINE__)
#define SESSION(...) compile_ok(POLICY_SESSION, J(__VA_ARGS__), __LINE__)
#define SCP(...) compile_ok(POLICY_SCP, J(__VA_ARGS__), __LINE__)
#define RCP(...) compile_ok(POLICY_RCP, J(__VA_ARGS__), __LINE__)

static int setup(void **state)
{
	(void)state;
	nheld = 0;
	failures = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nheld; i++)
		policy_release(held[i]);
	nheld = 0;
	return 0;
}

/* Ends a test: fails it when a case above reported a wrong decision. */
static void done(void)
{
	if (failures)
		fail_msg("%d case(s) decided otherwise than AWS documents (listed above)", failures);
}

/* ---- requests --------------------------------------------------------------------------------------------------- */

/* One request. resource_account NULL means the principal's own account. */
struct rq {
	const char *principal;
	const char *principal_id; /* the caller's unique id (policy_request.principal_id), or NULL */
	const char *action;
	const char *resource;
	const char *resource_account;
	const struct policy_ctx_entry *ctx;
	size_t nctx;
};

/* The account of a principal ARN (its fifth ':'-separated field), kept in a small table; NULL for a service. */
static const char *account_of(const char *arn)
{
	static char accounts[16][13];
	static size_t naccounts;
	const char *p = arn;
	int colons = 0;

	if (strncmp(arn, "arn:", 4) != 0)
		return NULL;
	while (*p && colons < 4)
		if (*p++ == ':')
			colons++;
	if (colons != 4 || strlen(p) < 13 || p[12] != ':')
		fail_msg("no account in principal %s", arn);
	for (size_t i = 0; i < naccounts; i++)
		if (memcmp(accounts[i], p, 12) == 0)
			return accounts[i];
	if (naccounts == ARRAY_LEN(accounts))
		fail_msg("too many accounts");
	memcpy(accounts[naccounts], p, 12);
	accounts[naccounts][12] = '\0';
	return accounts[naccounts++];
}

static enum policy_decision decide(const struct policy_set *set, const struct rq *q, struct policy_explain *ex)
{
	struct policy_request req = {
		.action = q->action,
		.resource = q->resource,
		.principal = q->principal,
		.principal_account = account_of(q->principal),
		.principal_id = q->principal_id,
		.ctx = q->ctx,
		.nctx = q->nctx,
	};
	enum policy_decision d, again;
	struct policy_explain ex2;

	req.resource_account = q->resource_account ? q->resource_account : req.principal_account;
	d = policy_evaluate(&req, set, ex);
	/* The same request decides the same way, with or without an explanation. */
	again = policy_evaluate(&req, set, NULL);
	if (again != d || policy_evaluate(&req, set, &ex2) != d)
		fail_msg("%s %s: policy_evaluate is not deterministic", q->principal, q->action);
	if (!ex->reason)
		fail_msg("%s %s: no reason in the explanation", q->principal, q->action);
	return d;
}

static const char *ctx_text(const struct rq *q, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < q->nctx && n < cap; i++) {
		n += (size_t)snprintf(buf + n, cap - n, "%s%s=", i ? " " : "", q->ctx[i].key);
		for (size_t k = 0; k < q->ctx[i].nvalues && n < cap; k++)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", k ? "," : "", q->ctx[i].values[k]);
		if (q->ctx[i].multi && q->ctx[i].nvalues == 0 && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "[]");
	}
	return buf;
}

/* Checks one decision (and, when reason is given, the explanation's reason); reports and counts a mismatch. */
static void expect(int line, const struct policy_set *set, struct rq q, enum policy_decision want, const char *reason)
{
	struct policy_explain ex;
	enum policy_decision got = decide(set, &q, &ex);
	char ctx[512];

	if (got != want || (reason && strcmp(ex.reason, reason) != 0)) {
		print_error("test_policy.c:%d: %s %s on %s [%s]: %s (%s), AWS documents %s%s%s\n", line, q.principal,
		            q.action, q.resource, ctx_text(&q, ctx, sizeof(ctx)), policy_decision_name(got), ex.reason,
		            policy_decision_name(want), reason ? " " : "", reason ? reason : "");
		failures++;
	}
}

#define ALLOWED POLICY_ALLOWED
#define EXPLICIT POLICY_EXPLICIT_DENY
#define IMPLICIT POLICY_IMPLICIT_DENY

/* EXPECT(set, decision, principal, action, resource[, resource_account][, CTX(...)]) */
#define RQ(p, a, r, ...) ((struct rq){.principal = (p), .action = (a), .resource = (r), __VA_ARGS__})
#define EXPECT(set, want, ...) expect(__LINE__, (set), RQ(__VA_ARGS__), (want), NULL)
/* The same, checking the explanation's reason too. */
#define EXPECT_WHY(set, want, why, ...) expect(__LINE__, (set), RQ(__VA_ARGS__), (want), (why))

/* Policy sets. */
#define LIST(...) (struct policy *const[]){__VA_ARGS__}
#define NLIST(...) (sizeof(LIST(__VA_ARGS__)) / sizeof(struct policy *))
#define ONLY_IDENTITY(...) (&(struct policy_set){.identity = LIST(__VA_ARGS__), .nidentity = NLIST(__VA_ARGS__)})

/* ================================================================================================================
 * Policy evaluation logic
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and its pages
 * reference_policies_evaluation-logic_policy-eval-basics.html ("Example identity-based and resource-based policy
 * evaluation") and reference_policies_evaluation-logic_policy-eval-denyallow.html ("The difference between explicit
 * and implicit denies", and the steps Deny evaluation / Organizations SCPs / Resource-based policies /
 * Identity-based policies / IAM permissions boundaries / Session policies).
 * ============================================================================================================== */

#define CARLOS "arn:aws:iam::123456789012:user/carlossalazar"
#define CARLOS_IDENTITY                                                                                             \
	IDENTITY({"Version": "2012-10-17",                                                                          \
	          "Statement": [                                                                                    \
	                  {"Sid": "AllowS3ListRead",                                                                \
	                   "Effect": "Allow",                                                                       \
	                   "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock",                     \
	                              "s3:ListAccessPoints", "s3:ListAllMyBuckets"],                                \
	                   "Resource": "arn:aws:s3:::*"},                                                           \
	                  {"Sid": "AllowS3Self",                                                                    \
	                   "Effect": "Allow",                                                                       \
	                   "Action": "s3:*",                                                                        \
	                   "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",                         \
	                                "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"]},                         \
	                  {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}]})

/* Example identity-based and resource-based policy evaluation: Carlos saves a file to a bucket. */
static void test_eval_example_same_account(void **state)
{
	struct policy *id = CARLOS_IDENTITY;
	struct policy *bucket = RESOURCE({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
				"Action": "s3:*",
				"Resource": [
					"arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",
					"arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"
				]
			}
		]
	});
	struct policy_set both = {.identity = LIST(id), .nidentity = 1, .resource = bucket};
	struct policy_set only_bucket = {.resource = bucket};

	(void)state;
	/* The logs bucket has no bucket policy; DenyS3Logs explicitly denies: Carlos is denied. */
	EXPECT_WHY(ONLY_IDENTITY(id), EXPLICIT, "with an explicit deny", CARLOS, "s3:PutObject",
	           "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/report.txt", "123456789012");
	/* His own bucket: both the identity-based and the bucket policy allow. */
	EXPECT_WHY(&both, ALLOWED, "allowed", CARLOS, "s3:PutObject",
	           "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/report.txt", "123456789012");
	/* "If one of the policy types allows the request and the other doesn't, the request is still allowed." */
	EXPECT(ONLY_IDENTITY(id), ALLOWED, CARLOS, "s3:PutObject",
	       "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/report.txt", "123456789012");
	EXPECT(&only_bucket, ALLOWED, CARLOS, "s3:PutObject",
	       "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/report.txt",
	       "123456789012");
	/* AllowS3ListRead: any bucket's location; but not a logs bucket's (DenyS3Logs). */
	EXPECT(ONLY_IDENTITY(id), ALLOWED, CARLOS, "s3:GetBucketLocation", "arn:aws:s3:::amzn-s3-demo-bucket-other",
	       "123456789012");
	EXPECT(ONLY_IDENTITY(id), EXPLICIT, CARLOS, "s3:GetBucketLocation", "arn:aws:s3:::amzn-s3-demo-bucket-weblogs",
	       "123456789012");
	/* Anything else is implicitly denied. */
	EXPECT_WHY(ONLY_IDENTITY(id), IMPLICIT, "no identity-based policy", CARLOS, "s3:PutObject",
	           "arn:aws:s3:::amzn-s3-demo-bucket-other/report.txt", "123456789012");
	/* An explicit deny in the bucket policy overrides the identity-based allow. */
	{
		struct policy *deny = RESOURCE({
			"Version": "2012-10-17",
			"Statement": [
				{
					"Effect": "Deny",
					"Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
					"Action": "s3:DeleteObject",
					"Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*"
				}
			]
		});
		struct policy_set s = {.identity = LIST(id), .nidentity = 1, .resource = deny};
		EXPECT(&s, EXPLICIT, CARLOS, "s3:DeleteObject",
		       "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/report.txt",
		       "123456789012");
		EXPECT(&s, ALLOWED, CARLOS, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/report.txt",
		       "123456789012");
	}
	done();
}

/* The difference between explicit and implicit denies: AllowGetList / DenyReports. */
static void test_eval_explicit_and_implicit_denies(void **state)
{
	struct policy *p = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Sid": "AllowGetList",
				"Effect": "Allow",
				"Action": ["iam:Get*", "iam:List*"],
				"Resource": "*"
			},
			{"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"}
		]
	});
	struct policy *reports = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "iam:GenerateCredentialReport", "Resource": "*"}
	});
	struct policy_explain ex;
	struct rq q = RQ(ALICE, "iam:GetOrganizationsAccessReport", "*");

	(void)state;
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "iam:GetUser", "arn:aws:iam::111122223333:user/Bob");
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "iam:ListUsers", "*");
	/* Actions match without regard to case. */
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "IAM:listusers", "*");
	/* "All other actions in IAM, such as iam:CreatePolicy are implicitly denied." */
	EXPECT_WHY(ONLY_IDENTITY(p), IMPLICIT, "no identity-based policy", ALICE, "iam:CreatePolicy", "*");
	/* "...explicitly denies access to ... actions that include the Report suffix". */
	EXPECT(ONLY_IDENTITY(p), EXPLICIT, ALICE, "iam:GetOrganizationsAccessReport", "*");
	/* Another policy granting iam:GenerateCredentialReport does not help: still denied. */
	EXPECT(ONLY_IDENTITY(reports), ALLOWED, ALICE, "iam:GenerateCredentialReport", "*");
	EXPECT(ONLY_IDENTITY(p, reports), EXPLICIT, ALICE, "iam:GenerateCredentialReport", "*");
	/* The explanation names the deciding statement. */
	assert_int_equal(decide(ONLY_IDENTITY(p), &q, &ex), POLICY_EXPLICIT_DENY);
	assert_true(ex.n >= 1);
	assert_int_equal(ex.items[0].source, SRC_IDENTITY);
	assert_false(ex.items[0].allow);
	assert_int_equal(ex.items[0].statement, 1);
	assert_string_equal(ex.items[0].sid, "DenyReports");
	done();
}

/* Deny evaluation: "In all those policies [SCPs, resource-based, identity-based, permissions boundaries, session
 * policies], the enforcement code looks for a Deny statement that applies to the request ... If the code finds even
 * one explicit deny that applies, the code returns a final decision of Deny." */
static void test_eval_explicit_deny_in_any_policy(void **state)
{
	struct policy *allow = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
	});
	struct policy *deny_id = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
	});
	struct policy *deny_res = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Deny",
			"Principal": "*",
			"Action": "s3:PutObject",
			"Resource": "arn:aws:s3:::example-bucket/*"
		}
	});
	struct policy *deny_pb = BOUNDARY({
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
			{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
		]
	});
	struct policy *deny_sess = SESSION({
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
			{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
		]
	});
	struct policy *full = SCP({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}
	});
	struct policy *deny_scp = SCP({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
	});
	struct policy *deny_rcp = RCP({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}
	});
	const char *session = "arn:aws:sts::111122223333:assumed-role/ExampleRole/s1";
	const char *obj = "arn:aws:s3:::example-bucket/key";

	(void)state;
	EXPECT(ONLY_IDENTITY(allow), ALLOWED, ALICE, "s3:PutObject", obj);
	EXPECT(ONLY_IDENTITY(allow, deny_id), EXPLICIT, ALICE, "s3:PutObject", obj);
	EXPECT(&((struct policy_set){.identity = LIST(allow), .nidentity = 1, .resource = deny_res}), EXPLICIT, ALICE,
	       "s3:PutObject", obj);
	EXPECT(&((struct policy_set){.identity = LIST(allow), .nidentity = 1, .boundaries = LIST(deny_pb),
	                             .nboundaries = 1}),
	       EXPLICIT, ALICE, "s3:PutObject", obj);
	EXPECT(&((struct policy_set){.identity = LIST(allow), .nidentity = 1, .session = deny_sess}), EXPLICIT, session,
	       "s3:PutObject", obj);
	EXPECT(&((struct policy_set){.identity = LIST(allow), .nidentity = 1,
	                             .scp = (struct policy_layer[]){{LIST(full, deny_scp), 2, "r-root"}}, .nscp = 1}),
	       EXPLICIT, ALICE, "s3:PutObject", obj);
	EXPECT(&((struct policy_set){.identity = LIST(allow), .nidentity = 1,
	                             .rcp = (struct policy_layer[]){{LIST(deny_rcp), 1, "r-root"}}, .nrcp = 1}),
	       EXPLICIT, ALICE, "s3:PutObject", obj);
	/* The deny applies to s3:PutObject only: the rest is still allowed. */
	EXPECT(&((struct policy_set){.identity = LIST(allow), .nidentity = 1, .resource = deny_res,
	                             .boundaries = LIST(deny_pb), .nboundaries = 1,
	                             .scp = (struct policy_layer[]){{LIST(full, deny_scp), 2, "r-root"}}, .nscp = 1,
	                             .rcp = (struct policy_layer[]){{LIST(deny_rcp), 1, "r-root"}}, .nrcp = 1}),
	       ALLOWED, ALICE, "s3:GetObject", obj);
	done();
}

/*
 * Permissions boundaries: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html, the
 * ShirleyRodriguez example at the top of the page, "Evaluating effective permissions with boundaries", and
 * "Delegating responsibility to others using permissions boundaries" (María, Zhang: XCompanyBoundaries,
 * DelegatedUserBoundary, DelegatedUserPermissions - its first two statements).
 */
static void test_eval_permissions_boundary(void **state)
{
	const char *shirley = "arn:aws:iam::111122223333:user/ShirleyRodriguez";
	struct policy *pb = BOUNDARY({
		"Version": "2012-10-17",
		"Statement": [{"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}]
	});
	struct policy *create_user = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}
	});
	struct policy *s3 = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
	});
	struct policy_set with_create = {.identity = LIST(create_user), .nidentity = 1, .boundaries = LIST(pb),
	                                 .nboundaries = 1};
	struct policy_set with_s3 = {.identity = LIST(s3), .nidentity = 1, .boundaries = LIST(pb), .nboundaries = 1};
	struct policy_set boundary_only = {.boundaries = LIST(pb), .nboundaries = 1};

	(void)state;
	/* "If ... Shirley tries to create a user, the operation fails": the boundary does not allow iam:CreateUser. */
	EXPECT(ONLY_IDENTITY(create_user), ALLOWED, shirley, "iam:CreateUser", "arn:aws:iam::111122223333:user/new");
	EXPECT_WHY(&with_create, IMPLICIT, "no permissions boundary", shirley, "iam:CreateUser",
	           "arn:aws:iam::111122223333:user/new");
	/* A permissions policy within the boundary works. */
	EXPECT(&with_s3, ALLOWED, shirley, "s3:GetObject", "arn:aws:s3:::bucket/key");
	/* "...it limits the user's permissions but does not provide permissions on its own." */
	EXPECT_WHY(&boundary_only, IMPLICIT, "no identity-based policy", shirley, "s3:GetObject",
	           "arn:aws:s3:::bucket/key");
	done();
}

static void test_eval_permissions_boundary_delegation(void **state)
{
	const char *zhang = "arn:aws:iam::111122223333:user/Zhang";
	const char *newuser = "arn:aws:iam::111122223333:user/Nikhil";
	struct policy *xcompany = BOUNDARY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Sid": "ServiceBoundaries",
				"Effect": "Allow",
				"Action": ["s3:*", "cloudwatch:*", "ec2:*", "dynamodb:*"],
				"Resource": "*"
			},
			{
				"Sid": "AllowIAMConsoleForCredentials",
				"Effect": "Allow",
				"Action": ["iam:ListUsers", "iam:GetAccountPasswordPolicy"],
				"Resource": "*"
			},
			{
				"Sid": "AllowManageOwnPasswordAndAccessKeys",
				"Effect": "Allow",
				"Action": [
					"iam:*AccessKey*", "iam:ChangePassword", "iam:GetUser",
					"iam:*ServiceSpecificCredential*", "iam:*SigningCertificate*"
				],
				"Resource": ["arn:aws:iam::*:user/${aws:username}"]
			},
			{
				"Sid": "DenyS3Logs",
				"Effect": "Deny",
				"Action": "s3:*",
				"Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]
			},
			{
				"Sid": "DenyEC2Production",
				"Effect": "Deny",
				"Action": "ec2:*",
				"Resource": "arn:aws:ec2:*:*:instance/i-1234567890abcdef0"
			}
		]
	});
	struct policy *delegated_boundary = BOUNDARY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Sid": "CreateOrChangeOnlyWithBoundary",
				"Effect": "Allow",
				"Action": [
					"iam:CreateUser", "iam:DeleteUserPolicy", "iam:AttachUserPolicy",
					"iam:DetachUserPolicy", "iam:PutUserPermissionsBoundary"
				],
				"Resource": "*",
				"Condition": {
					"StringEquals": {
						"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/XCompanyBoundaries"
					}
				}
			},
			{
				"Sid": "CloudWatchAndOtherIAMTasks",
				"Effect": "Allow",
				"Action": [
					"cloudwatch:*", "iam:GetUser", "iam:ListUsers", "iam:DeleteUser",
					"iam:UpdateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile",
					"iam:GetAccountPasswordPolicy", "iam:GetLoginProfile", "iam:*Group*",
					"iam:CreatePolicy", "iam:DeletePolicy", "iam:DeletePolicyVersion",
					"iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetUserPolicy",
					"iam:GetRolePolicy", "iam:ListPolicies", "iam:ListPolicyVersions",
					"iam:ListEntitiesForPolicy", "iam:ListUserPolicies",
					"iam:ListAttachedUserPolicies", "iam:ListRolePolicies",
					"iam:ListAttachedRolePolicies", "iam:PutUserPolicy",
					"iam:SetDefaultPolicyVersion", "iam:SimulatePrincipalPolicy",
					"iam:SimulateCustomPolicy"
				],
				"Resource": "*"
			},
			{
				"Sid": "NoBoundaryPolicyEdit",
				"Effect": "Deny",
				"Action": [
					"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
					"iam:SetDefaultPolicyVersion"
				],
				"Resource": [
					"arn:aws:iam::123456789012:policy/XCompanyBoundaries",
					"arn:aws:iam::123456789012:policy/DelegatedUserBoundary"
				]
			},
			{
				"Sid": "NoBoundaryUserDelete",
				"Effect": "Deny",
				"Action": "iam:DeleteUserPermissionsBoundary",
				"Resource": "*"
			}
		]
	});
	struct policy *delegated_permissions = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{"Sid": "IAM", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
			{
				"Sid": "CloudWatchLimited",
				"Effect": "Allow",
				"Action": [
					"cloudwatch:GetDashboard", "cloudwatch:GetMetricData",
					"cloudwatch:ListDashboards", "cloudwatch:GetMetricStatistics",
					"cloudwatch:ListMetrics"
				],
				"Resource": "*"
			}
		]
	});
	struct policy *admin = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}
	});
	struct policy_set z = {.identity = LIST(delegated_permissions), .nidentity = 1,
	                       .boundaries = LIST(delegated_boundary), .nboundaries = 1};
	struct policy_set u = {.identity = LIST(admin), .nidentity = 1, .boundaries = LIST(xcompany), .nboundaries = 1};

	(void)state;
	/* CreateOrChangeOnlyWithBoundary: Zhang creates users only with the XCompanyBoundaries boundary. */
	EXPECT(&z, ALLOWED, zhang, "iam:CreateUser", newuser,
	       CTX(KV("iam:PermissionsBoundary", "arn:aws:iam::111122223333:policy/XCompanyBoundaries")));
	EXPECT(&z, IMPLICIT, zhang, "iam:CreateUser", newuser,
	       CTX(KV("iam:PermissionsBoundary", "arn:aws:iam::111122223333:policy/AdministratorBoundary")));
	EXPECT(&z, IMPLICIT, zhang, "iam:CreateUser", newuser);
	/* CloudWatchAndOtherIAMTasks within DelegatedUserPermissions. */
	EXPECT(&z, ALLOWED, zhang, "iam:ListUsers", "*");
	EXPECT(&z, ALLOWED, zhang, "cloudwatch:GetDashboard", "*");
	/* The boundary allows cloudwatch:*, but the permissions policy only CloudWatchLimited. */
	EXPECT(&z, IMPLICIT, zhang, "cloudwatch:PutDashboard", "*");
	/* iam:* in the permissions policy, but not in the boundary. */
	EXPECT(&z, IMPLICIT, zhang, "iam:CreateRole", "arn:aws:iam::111122223333:role/r");
	/* NoBoundaryUserDelete, NoBoundaryPolicyEdit: explicit denies in the boundary. */
	EXPECT(&z, EXPLICIT, zhang, "iam:DeleteUserPermissionsBoundary", newuser);
	EXPECT(&z, EXPLICIT, zhang, "iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/XCompanyBoundaries",
	       "123456789012");
	/* A new user with the XCompanyBoundaries boundary and broad permissions. */
	EXPECT(&u, ALLOWED, newuser, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/t");
	EXPECT(&u, IMPLICIT, newuser, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q");
	EXPECT(&u, ALLOWED, newuser, "iam:CreateAccessKey", newuser, CTX(KV("aws:username", "Nikhil")));
	EXPECT(&u, IMPLICIT, newuser, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/Zhang",
	       CTX(KV("aws:username", "Nikhil")));
	EXPECT(&u, EXPLICIT, newuser, "s3:GetObject", "arn:aws:s3:::logs/2024/01/01.log");
	EXPECT(&u, ALLOWED, newuser, "s3:GetObject", "arn:aws:s3:::data/2024/01/01.csv");
	EXPECT(&u, EXPLICIT, newuser, "ec2:StopInstances",
	       "arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0");
	EXPECT(&u, ALLOWED, newuser, "ec2:StopInstances",
	       "arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa");
	done();
}

/*
 * Resource-based policies and implicit denies in other policy types (same account): the table and the principal
 * types listed under "Resource-based policies" in reference_policies_evaluation-logic_policy-eval-denyallow.html
 * ("IAM role", "IAM role session", "IAM user", "IAM federated user sessions").
 */
static void test_eval_resource_policy_and_implicit_denies(void **state)
{
	const char *obj = "arn:aws:s3:::example-bucket/key";
	const char *user = "arn:aws:iam::111122223333:user/exampleuser";
	const char *session = "arn:aws:sts::111122223333:assumed-role/examplerole/examplerolesessionname";
	const char *fed = "arn:aws:sts::111122223333:federated-user/exampleuser";
	struct policy *none = BOUNDARY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
	});
	struct policy *sess_none = SESSION({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
	});
	struct policy *to_user = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::111122223333:user/exampleuser"},
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::example-bucket/*"
		}
	});
	struct policy *to_role = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::111122223333:role/examplerole"},
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::example-bucket/*"
		}
	});
	struct policy *to_session = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {
				"AWS": "arn:aws:sts::111122223333:assumed-role/examplerole/examplerolesessionname"
			},
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::example-bucket/*"
		}
	});
	struct policy *to_fed = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:sts::111122223333:federated-user/exampleuser"},
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::example-bucket/*"
		}
	});

	(void)state;
	/* IAM user: "not limited by an implicit deny in an identity-based policy or permissions boundary". */
	EXPECT(&((struct policy_set){.resource = to_user}), ALLOWED, user, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.resource = to_user, .boundaries = LIST(none), .nboundaries = 1}), ALLOWED, user,
	       "s3:GetObject", obj);
	/* IAM role session: "not limited by an implicit deny in an identity-based policy, a permissions boundary, or
	 * session policy". */
	EXPECT(&((struct policy_set){.resource = to_session}), ALLOWED, session, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.resource = to_session, .boundaries = LIST(none), .nboundaries = 1}), ALLOWED,
	       session, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.resource = to_session, .session = sess_none}), ALLOWED, session, "s3:GetObject",
	       obj);
	/* IAM role: "limited by an implicit deny in a permissions boundary or session policy" (the caller is a session
	 * of the role; with neither, the role's grant applies). */
	EXPECT(&((struct policy_set){.resource = to_role}), ALLOWED, session, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.resource = to_role, .boundaries = LIST(none), .nboundaries = 1}), IMPLICIT,
	       session, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.resource = to_role, .session = sess_none}), IMPLICIT, session, "s3:GetObject",
	       obj);
	/* IAM federated user sessions: named directly, not limited by boundary or session policy... */
	EXPECT(&((struct policy_set){.resource = to_fed, .session = sess_none}), ALLOWED, fed, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.resource = to_fed, .boundaries = LIST(none), .nboundaries = 1,
	                             .session = sess_none}),
	       ALLOWED, fed, "s3:GetObject", obj);
	/* ...but "if a resource-based policy grants permission to the ARN of the IAM user who federated, then requests
	 * made by the federated user during the session are limited by an implicit deny in a permission boundary or
	 * session policy". */
	EXPECT(&((struct policy_set){.resource = to_user, .session = sess_none}), IMPLICIT, fed, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.resource = to_user, .boundaries = LIST(none), .nboundaries = 1}), IMPLICIT, fed,
	       "s3:GetObject", obj);
	done();
}

/*
 * Session policies: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 * ("Session policies") and the Session policies step of reference_policies_evaluation-logic_policy-eval-denyallow.html.
 */
static void test_eval_session_policies(void **state)
{
	const char *session = "arn:aws:sts::111122223333:assumed-role/ExampleRole/s1";
	const char *obj = "arn:aws:s3:::example-bucket/key";
	struct policy *role_policy = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
	});
	struct policy *get_only = SESSION({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
	});
	struct policy *put_only = SESSION({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}
	});
	struct policy *rbp_role = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
			"Action": "s3:PutObject",
			"Resource": "arn:aws:s3:::example-bucket/*"
		}
	});
	struct policy *rbp_session = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:sts::111122223333:assumed-role/ExampleRole/s1"},
			"Action": "s3:PutObject",
			"Resource": "arn:aws:s3:::example-bucket/*"
		}
	});
	struct policy *pb = BOUNDARY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}
	});

	(void)state;
	/* "The permissions for a session are the intersection of the identity-based policies ... and the session
	 * policies." */
	EXPECT(&((struct policy_set){.identity = LIST(role_policy), .nidentity = 1, .session = get_only}), ALLOWED,
	       session, "s3:GetObject", obj);
	EXPECT_WHY(&((struct policy_set){.identity = LIST(role_policy), .nidentity = 1, .session = get_only}), IMPLICIT,
	           "no session policy", session, "s3:PutObject", obj);
	EXPECT(&((struct policy_set){.session = put_only}), IMPLICIT, session, "s3:PutObject", obj);
	/* "If there is no session policy ... If the principal is a role session, then the request is Allowed." */
	EXPECT(ONLY_IDENTITY(role_policy), ALLOWED, session, "s3:PutObject", obj);
	/* A resource-based policy naming the role: added before the session is created, limited by the session
	 * policy ("the intersection of the session policies and either the resource-based policy or the
	 * identity-based policy"). */
	EXPECT(&((struct policy_set){.resource = rbp_role, .session = get_only}), IMPLICIT, session, "s3:PutObject",
	       obj);
	EXPECT(&((struct policy_set){.resource = rbp_role, .session = put_only}), ALLOWED, session, "s3:PutObject",
	       obj);
	/* A resource-based policy naming the session: "not limited by the session policy ... all the permissions of
	 * the resource-based policy plus the intersection of the identity-based policy and the session policy". */
	EXPECT(&((struct policy_set){.resource = rbp_session, .session = get_only}), ALLOWED, session, "s3:PutObject",
	       obj);
	EXPECT(&((struct policy_set){.identity = LIST(role_policy), .nidentity = 1, .resource = rbp_session,
	                             .session = get_only}),
	       ALLOWED, session, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.identity = LIST(role_policy), .nidentity = 1, .resource = rbp_session,
	                             .session = get_only}),
	       IMPLICIT, session, "s3:DeleteObject", obj);
	/* "A permissions boundary ... the intersection of the session policy, the permissions boundary, and the
	 * identity-based policy." */
	EXPECT(&((struct policy_set){.identity = LIST(role_policy), .nidentity = 1, .boundaries = LIST(pb),
	                             .nboundaries = 1, .session = get_only}),
	       ALLOWED, session, "s3:GetObject", obj);
	EXPECT(&((struct policy_set){.identity = LIST(role_policy), .nidentity = 1, .boundaries = LIST(pb),
	                             .nboundaries = 1, .session = put_only}),
	       IMPLICIT, session, "s3:PutObject", obj);
	done();
}

/*
 * SCPs: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
 * ("How SCPs work with Allow": an explicit Allow at every level from the root through each OU to the account;
 * "How SCPs work with Deny"), and "Evaluating identity-based policies with Organizations SCPs" / the Organizations
 * SCPs step of the evaluation logic pages; access_policies_boundaries.html "Organizations SCPs" (all three must
 * allow).
 */
static void test_eval_scps(void **state)
{
	struct policy *full = SCP({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}
	});
	struct policy *ec2_only = SCP({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
	});
	struct policy *deny_s3 = SCP({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
	});
	struct policy *id = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": ["s3:*", "ec2:*", "iam:*"], "Resource": "*"}
	});
	struct policy *pb = BOUNDARY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}
	});
	const struct policy_layer all_allow[] = {{LIST(full), 1, "r-root"}, {LIST(full), 1, "ou-prod"},
	                                         {LIST(full), 1, "account-b"}};
	const struct policy_layer account_ec2[] = {{LIST(full), 1, "r-root"}, {LIST(full), 1, "ou-prod"},
	                                           {LIST(ec2_only), 1, "account-b"}};
	const struct policy_layer ou_missing[] = {{LIST(full), 1, "r-root"}, {LIST(ec2_only), 1, "ou-prod"},
	                                          {LIST(full), 1, "account-b"}};
	const struct policy_layer ou_deny[] = {{LIST(full), 1, "r-root"}, {LIST(full, deny_s3), 2, "ou-prod"},
	                                       {LIST(full), 1, "account-b"}};
	const char *bucket = "arn:aws:s3:::example-bucket";

	(void)state;
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .scp = all_allow, .nscp = 3}), ALLOWED,
	       ALICE,
	       "s3:ListBucket", bucket);
	/* A level without an Allow for the action: denied, whatever the others say. */
	EXPECT_WHY(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .scp = account_ec2, .nscp = 3}),
	           IMPLICIT,
	           "no service control policy", ALICE, "s3:ListBucket", bucket);
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .scp = account_ec2, .nscp = 3}), ALLOWED,
	       ALICE, "ec2:DescribeInstances", "*");
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .scp = ou_missing, .nscp = 3}), IMPLICIT,
	       ALICE, "s3:ListBucket", bucket);
	/* A Deny at any level. */
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .scp = ou_deny, .nscp = 3}), EXPLICIT, ALICE,
	       "s3:ListBucket", bucket);
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .scp = ou_deny, .nscp = 3}), ALLOWED, ALICE,
	       "ec2:DescribeInstances", "*");
	/* SCPs grant nothing on their own. */
	EXPECT_WHY(&((struct policy_set){.scp = all_allow, .nscp = 3}), IMPLICIT, "no identity-based policy", ALICE,
	           "s3:ListBucket", bucket);
	/* SCP, permissions boundary and identity-based policy must all allow. */
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .boundaries = LIST(pb), .nboundaries = 1,
	                             .scp = all_allow, .nscp = 3}),
	       ALLOWED, ALICE, "iam:ListUsers", "*");
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .boundaries = LIST(pb), .nboundaries = 1,
	                             .scp = all_allow, .nscp = 3}),
	       IMPLICIT, ALICE, "ec2:DescribeInstances", "*");
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .boundaries = LIST(pb), .nboundaries = 1,
	                             .scp = account_ec2, .nscp = 3}),
	       IMPLICIT, ALICE, "iam:ListUsers", "*");
	done();
}

/*
 * Cross-account:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 * "Example cross-account policy evaluation" (Carlos in 111111111111, the Production bucket in 222222222222) and
 * "Determining whether a cross-account request is allowed" (both accounts must allow).
 */
static void test_eval_cross_account(void **state)
{
	const char *carlos = "arn:aws:iam::111111111111:user/carlossalazar";
	struct policy *id = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{"Sid": "AllowS3ListRead", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
			{
				"Sid": "AllowS3ProductionObjectActions",
				"Effect": "Allow",
				"Action": "s3:*Object*",
				"Resource": "arn:aws:s3:::Production/*"
			},
			{
				"Sid": "DenyS3Logs",
				"Effect": "Deny",
				"Action": "s3:*",
				"Resource": ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"]
			}
		]
	});
	struct policy *bucket = RESOURCE({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Action": ["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
				"Principal": {"AWS": "arn:aws:iam::111111111111:user/carlossalazar"},
				"Resource": "arn:aws:s3:::Production/*"
			}
		]
	});
	struct policy *bucket_account = RESOURCE({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Action": "s3:PutObject",
				"Principal": {"AWS": "arn:aws:iam::111111111111:root"},
				"Resource": "arn:aws:s3:::Production/*"
			}
		]
	});
	struct policy_set both = {.identity = LIST(id), .nidentity = 1, .resource = bucket};

	(void)state;
	/* Production-logs has no bucket policy; the identity-based policy denies: denied. */
	EXPECT(ONLY_IDENTITY(id), EXPLICIT, carlos, "s3:PutObject", "arn:aws:s3:::Production-logs/app.log",
	       "222222222222");
	/* Production: each account's evaluation allows. */
	EXPECT(&both, ALLOWED, carlos, "s3:PutObject", "arn:aws:s3:::Production/app.txt", "222222222222");
	/* One side alone is not enough across accounts. */
	EXPECT_WHY(ONLY_IDENTITY(id), IMPLICIT, "no resource-based policy", carlos, "s3:PutObject",
	           "arn:aws:s3:::Production/app.txt", "222222222222");
	EXPECT_WHY(&((struct policy_set){.resource = bucket}), IMPLICIT, "no identity-based policy", carlos,
	           "s3:PutObject", "arn:aws:s3:::Production/app.txt", "222222222222");
	/* "He can create and edit, but not delete the objects in the bucket." */
	EXPECT(&both, IMPLICIT, carlos, "s3:DeleteObject", "arn:aws:s3:::Production/app.txt", "222222222222");
	/* Naming the whole trusted account: its identity-based policies decide. */
	EXPECT(&((struct policy_set){.identity = LIST(id), .nidentity = 1, .resource = bucket_account}), ALLOWED,
	       carlos,
	       "s3:PutObject", "arn:aws:s3:::Production/app.txt", "222222222222");
	EXPECT(&((struct policy_set){.resource = bucket_account}), IMPLICIT, carlos, "s3:PutObject",
	       "arn:aws:s3:::Production/app.txt", "222222222222");
	done();
}

/*
 * Role trust policies: "IAM role trust policies and KMS key policies are exceptions to this logic, because they must
 * explicitly allow access for principals" (the Resource-based policies step of
 * reference_policies_evaluation-logic_policy-eval-denyallow.html); the role trust policy as the trusting account's
 * resource-based policy (reference_policies_evaluation-logic-cross-account.html). sts:AssumeRole is decided against
 * the role's trust policy.
 */
static void test_eval_trust_policy_must_name_principal(void **state)
{
	const char *role = "arn:aws:iam::111122223333:role/Dev";
	const char *anay = "arn:aws:iam::444455556666:user/anay";
	struct policy *may_assume = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/Dev"}
	});
	struct policy *trust_service = TRUST({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"Service": "ec2.amazonaws.com"},
			"Action": "sts:AssumeRole"
		}
	});
	struct policy *trust_account = TRUST({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::111122223333:root"},
			"Action": "sts:AssumeRole"
		}
	});
	struct policy *trust_alice = TRUST({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::111122223333:user/Alice"},
			"Action": "sts:AssumeRole"
		}
	});
	struct policy *trust_ops = TRUST({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}
	});
	struct policy *trust_deny = TRUST({
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"},
			{
				"Effect": "Deny",
				"Principal": {"AWS": "arn:aws:iam::444455556666:user/anay"},
				"Action": "sts:AssumeRole"
			}
		]
	});

	(void)state;
	/* The trust policy names no one the caller is: an identity-based allow is not enough, even in the same
	 * account. */
	EXPECT_WHY(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = trust_service}),
	           IMPLICIT, "no resource-based policy", ALICE, "sts:AssumeRole", role);
	/* The trust policy names the account: the account's identity-based policies decide. */
	EXPECT(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = trust_account}), ALLOWED,
	       ALICE, "sts:AssumeRole", role);
	EXPECT(&((struct policy_set){.resource = trust_account}), IMPLICIT, ALICE, "sts:AssumeRole", role);
	/* The trust policy names Alice: within the account that is enough. */
	EXPECT(&((struct policy_set){.resource = trust_alice}), ALLOWED, ALICE, "sts:AssumeRole", role);
	/* The service it names may assume the role; another may not. */
	EXPECT(&((struct policy_set){.resource = trust_service}), ALLOWED, "ec2.amazonaws.com", "sts:AssumeRole", role,
	       A);
	EXPECT(&((struct policy_set){.resource = trust_service}), IMPLICIT, "lambda.amazonaws.com", "sts:AssumeRole",
	       role, A);
	/* Across accounts (the jump account pattern): the trust policy and the caller's identity policy. */
	EXPECT(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = trust_ops}), ALLOWED,
	       anay,
	       "sts:AssumeRole", role, A);
	EXPECT(&((struct policy_set){.resource = trust_ops}), IMPLICIT, anay, "sts:AssumeRole", role, A);
	EXPECT(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = trust_account}),
	       IMPLICIT,
	       anay, "sts:AssumeRole", role, A);
	EXPECT(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = trust_deny}), EXPLICIT,
	       anay, "sts:AssumeRole", role, A);
	/* sts:GetCallerIdentity needs no permission. */
	EXPECT(&((struct policy_set){0}), ALLOWED, ALICE, "sts:GetCallerIdentity", "*");
	done();
}

/*
 * A trust policy naming a user or role by unique id (as IAM stores one that named it by ARN,
 * reference_policies_elements_principal.html): it matches that user, or that role's sessions, by identity; a
 * namesake with another id (the principal deleted and re-created) is not named.
 */
static void test_eval_trust_policy_names_unique_ids(void **state)
{
	const char *role = "arn:aws:iam::111122223333:role/Dev";
	const char *alice_id = "AIDAQ2WERTYUIOPASDFG3", *other_id = "AIDAZZZZZZZZZZZZZZZZZ";
	const char *hop = "arn:aws:sts::111122223333:assumed-role/Hop/s1";
	const char *hop_id = "AROAQ2WERTYUIOPASDFG3";
	struct policy *trust_alice = TRUST({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Principal": {"AWS": "AIDAQ2WERTYUIOPASDFG3"}, "Action": "sts:AssumeRole"}
	});
	struct policy *trust_hop = TRUST({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Principal": {"AWS": ["AROAQ2WERTYUIOPASDFG3"]}, "Action": "sts:AssumeRole"}
	});
	struct policy *deny_alice = TRUST({
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"},
			{"Effect": "Deny", "Principal": {"AWS": "AIDAQ2WERTYUIOPASDFG3"}, "Action": "sts:AssumeRole"}
		]
	});
	struct policy *may_assume = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
	});

	(void)state;
	EXPECT(&((struct policy_set){.resource = trust_alice}), ALLOWED, ALICE, "sts:AssumeRole", role,
	       .principal_id = alice_id);
	/* the same ARN with another id: a namesake, not named (even with an identity policy that allows) */
	EXPECT(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = trust_alice}), IMPLICIT,
	       ALICE, "sts:AssumeRole", role, .principal_id = other_id);
	EXPECT(&((struct policy_set){.resource = trust_alice}), IMPLICIT, ALICE, "sts:AssumeRole", role);
	/* a role's id names its sessions (role chaining) */
	EXPECT(&((struct policy_set){.resource = trust_hop}), ALLOWED, hop, "sts:AssumeRole", role,
	       .principal_id = hop_id);
	EXPECT(&((struct policy_set){.resource = trust_hop}), IMPLICIT, hop, "sts:AssumeRole", role,
	       .principal_id = "AROAZZZZZZZZZZZZZZZZZ");
	/* a user's id does not name a role session, nor the reverse */
	EXPECT(&((struct policy_set){.resource = trust_alice}), IMPLICIT, hop, "sts:AssumeRole", role,
	       .principal_id = hop_id);
	/* a Deny naming an id fires for that principal only */
	EXPECT(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = deny_alice}), EXPLICIT,
	       ALICE, "sts:AssumeRole", role, .principal_id = alice_id);
	EXPECT(&((struct policy_set){.identity = LIST(may_assume), .nidentity = 1, .resource = deny_alice}), ALLOWED,
	       ALICE, "sts:AssumeRole", role, .principal_id = other_id);
	done();
}

/* ================================================================================================================
 * Condition operators
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html: String,
 * Numeric, Date, Boolean, Binary, IP address, ARN condition operators, ...IfExists, "Condition operator to check
 * existence of condition keys" (Null); and the rule at the top of the page: a key absent from the request context
 * makes the condition false, except for the negated operators (true), ...IfExists and Null.
 * ============================================================================================================== */

/* String condition operators: aws:PrincipalTag/job-category must be iamuser-admin. */
static void test_cond_string(void **state)
{
	struct policy *eq = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "iam:*AccessKey*",
			"Resource": "arn:aws:iam::111122223333:user/*",
			"Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
		}
	});
#define COND_POLICY(op, key, ...)                                                                                   \
	IDENTITY({"Version": "2012-10-17",                                                                          \
	          "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*",                                     \
	                        "Resource": "arn:aws:iam::111122223333:user/*",                                     \
	                        "Condition": {op: {key: __VA_ARGS__}}}})
	struct policy *ne = COND_POLICY("StringNotEquals", "aws:PrincipalTag/job-category", "iamuser-admin");
	struct policy *eqic = COND_POLICY("StringEqualsIgnoreCase", "aws:PrincipalTag/job-category", "iamuser-admin");
	struct policy *neic =
		COND_POLICY("StringNotEqualsIgnoreCase", "aws:PrincipalTag/job-category", "iamuser-admin");
	struct policy *like = COND_POLICY("StringLike", "aws:PrincipalTag/job-category", ["iamuser-*", "?dmin"]);
	struct policy *notlike = COND_POLICY("StringNotLike", "aws:PrincipalTag/job-category", ["iamuser-*", "?dmin"]);
	const char *bob = "arn:aws:iam::111122223333:user/Bob";
	const char *act = "iam:CreateAccessKey";

	(void)state;
	EXPECT(ONLY_IDENTITY(eq), ALLOWED, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "iamuser-admin")));
	EXPECT(ONLY_IDENTITY(eq), IMPLICIT, ALICE, act, bob, NULL, CTX(KV("aws:PrincipalTag/job-category", "dev-ops")));
	/* "If a user without the tag attempts to view or edit an access key, the condition returns false". */
	EXPECT(ONLY_IDENTITY(eq), IMPLICIT, ALICE, act, bob);
	/* Exact matching, case sensitive; condition key names are not case sensitive. */
	EXPECT(ONLY_IDENTITY(eq), IMPLICIT, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "IAMUser-Admin")));
	EXPECT(ONLY_IDENTITY(eq), ALLOWED, ALICE, act, bob, NULL,
	       CTX(KV("AWS:PRINCIPALTAG/JOB-CATEGORY", "iamuser-admin")));
	/* The action pattern iam:*AccessKey* and the resource pattern of users bound the statement. */
	EXPECT(ONLY_IDENTITY(eq), ALLOWED, ALICE, "iam:UpdateAccessKey", bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "iamuser-admin")));
	EXPECT(ONLY_IDENTITY(eq), IMPLICIT, ALICE, "iam:CreateUser", bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "iamuser-admin")));
	EXPECT(ONLY_IDENTITY(eq), IMPLICIT, ALICE, act, "arn:aws:iam::111122223333:role/Bob", NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "iamuser-admin")));
	/* StringNotEquals: negated matching; an absent key makes a negated condition true. */
	EXPECT(ONLY_IDENTITY(ne), IMPLICIT, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "iamuser-admin")));
	EXPECT(ONLY_IDENTITY(ne), ALLOWED, ALICE, act, bob, NULL, CTX(KV("aws:PrincipalTag/job-category", "dev-ops")));
	EXPECT(ONLY_IDENTITY(ne), ALLOWED, ALICE, act, bob);
	/* ...IgnoreCase. */
	EXPECT(ONLY_IDENTITY(eqic), ALLOWED, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "IAMUser-Admin")));
	EXPECT(ONLY_IDENTITY(eqic), IMPLICIT, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "dev-ops")));
	EXPECT(ONLY_IDENTITY(neic), IMPLICIT, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "IAMUSER-ADMIN")));
	EXPECT(ONLY_IDENTITY(neic), ALLOWED, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "dev-ops")));
	/* StringLike: case-sensitive, '*' and '?' anywhere; StringNotLike its negation. */
	EXPECT(ONLY_IDENTITY(like), ALLOWED, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "iamuser-admin")));
	EXPECT(ONLY_IDENTITY(like), ALLOWED, ALICE, act, bob, NULL, CTX(KV("aws:PrincipalTag/job-category", "Admin")));
	EXPECT(ONLY_IDENTITY(like), IMPLICIT, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "IAMuser-admin")));
	EXPECT(ONLY_IDENTITY(like), IMPLICIT, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "sysadmin")));
	EXPECT(ONLY_IDENTITY(like), IMPLICIT, ALICE, act, bob);
	EXPECT(ONLY_IDENTITY(notlike), IMPLICIT, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "iamuser-x")));
	EXPECT(ONLY_IDENTITY(notlike), ALLOWED, ALICE, act, bob, NULL,
	       CTX(KV("aws:PrincipalTag/job-category", "sysadmin")));
	EXPECT(ONLY_IDENTITY(notlike), ALLOWED, ALICE, act, bob);
	done();
}

/* String condition operators: the StringLike "home directory" example with ${aws:username}. */
static void test_cond_string_like_home_directory(void **state)
{
	const char *david = "arn:aws:iam::111122223333:user/David";
	struct policy *p = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
				"Resource": "arn:aws:s3:::*"
			},
			{
				"Effect": "Allow",
				"Action": "s3:ListBucket",
				"Resource": "arn:aws:s3:::BUCKET-NAME",
				"Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}
			},
			{
				"Effect": "Allow",
				"Action": "s3:*",
				"Resource": [
					"arn:aws:s3:::BUCKET-NAME/home/${aws:username}",
					"arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*"
				]
			}
		]
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(p), ALLOWED, david, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", NULL,
	       CTX(KV("aws:username", "David"), KV("s3:prefix", "")));
	EXPECT(ONLY_IDENTITY(p), ALLOWED, david, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", NULL,
	       CTX(KV("aws:username", "David"), KV("s3:prefix", "home/")));
	EXPECT(ONLY_IDENTITY(p), ALLOWED, david, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", NULL,
	       CTX(KV("aws:username", "David"), KV("s3:prefix", "home/David/")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, david, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", NULL,
	       CTX(KV("aws:username", "David"), KV("s3:prefix", "home/Adele/")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, david, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", NULL,
	       CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(p), ALLOWED, david, "s3:PutObject", "arn:aws:s3:::BUCKET-NAME/home/David/notes.txt", NULL,
	       CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(p), ALLOWED, david, "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/David", NULL,
	       CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, david, "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/Adele/notes.txt", NULL,
	       CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(p), ALLOWED, david, "s3:GetBucketLocation", "arn:aws:s3:::any-bucket", NULL,
	       CTX(KV("aws:username", "David")));
	done();
}

/* Numeric condition operators: s3:max-keys up to 10; then each operator of the family. */
static void test_cond_numeric(void **state)
{
	struct policy *p = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:ListBucket",
			"Resource": "arn:aws:s3:::example_bucket",
			"Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}
		}
	});
	static const struct {
		const char *op, *value;
		const char *yes[3], *no[3];
	} cases[] = {
		{"NumericEquals", "10", {"10", "10.0", "+10"}, {"9", "11", "10.5"}},
		{"NumericNotEquals", "10", {"9", "11", "10.5"}, {"10", "10.00", NULL}},
		{"NumericLessThan", "10", {"9", "-3", "9.99"}, {"10", "11", NULL}},
		{"NumericLessThanEquals", "10", {"10", "9", "0"}, {"11", "10.01", NULL}},
		{"NumericGreaterThan", "10", {"11", "10.5", NULL}, {"10", "9", "-11"}},
		{"NumericGreaterThanEquals", "10", {"10", "11", NULL}, {"9", "9.999", NULL}},
		{"NumericLessThan", "3.5", {"3.49", "3", NULL}, {"3.5", "4", NULL}},
	};

	(void)state;
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "s3:ListBucket", "arn:aws:s3:::example_bucket", NULL,
	       CTX(KV("s3:max-keys", "10")));
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "s3:ListBucket", "arn:aws:s3:::example_bucket", NULL,
	       CTX(KV("s3:max-keys", "1")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "s3:ListBucket", "arn:aws:s3:::example_bucket", NULL,
	       CTX(KV("s3:max-keys", "11")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "s3:ListBucket", "arn:aws:s3:::example_bucket");
	/* A request value that is not a number never matches. */
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "s3:ListBucket", "arn:aws:s3:::example_bucket", NULL,
	       CTX(KV("s3:max-keys", "ten")));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char doc[512];
		struct policy *q;
		snprintf(doc, sizeof(doc),
		         J({"Version": "2012-10-17",
		            "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
		                          "Condition": {"%s": {"s3:max-keys": "%s"}}}}),
		         cases[i].op, cases[i].value);
		q = compile_ok(POLICY_IDENTITY, doc, __LINE__);
		for (size_t k = 0; k < 3; k++) {
			if (cases[i].yes[k])
				EXPECT(ONLY_IDENTITY(q), ALLOWED, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
				       CTX(KV("s3:max-keys", cases[i].yes[k])));
			if (cases[i].no[k])
				EXPECT(ONLY_IDENTITY(q), IMPLICIT, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
				       CTX(KV("s3:max-keys", cases[i].no[k])));
		}
		/* Absent: false for the positive operators, true for NumericNotEquals. */
		EXPECT(ONLY_IDENTITY(q), strcmp(cases[i].op, "NumericNotEquals") == 0 ? ALLOWED : IMPLICIT, ALICE,
		       "s3:ListBucket", "arn:aws:s3:::b");
	}
	done();
}

/*
 * Date condition operators: DateGreaterThan with aws:TokenIssueTime (the page's example), and aws:CurrentTime
 * windows as in "AWS: Allows access within specific dates"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html). Values are W3C ISO
 * 8601 dates or epoch (UNIX) time.
 */
static void test_cond_date(void **state)
{
	struct policy *p = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "iam:*AccessKey*",
			"Resource": "arn:aws:iam::111122223333:user/*",
			"Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
		}
	});
	struct policy *window = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "service-prefix:action-name",
			"Resource": "*",
			"Condition": {
				"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
				"DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}
			}
		}
	});
	static const struct {
		const char *op, *value;
		const char *yes[3], *no[3];
	} cases[] = {
		{"DateEquals",
		 "2020-04-01T00:00:00Z",
		 {"2020-04-01T00:00:00Z", "1585699200", "2020-04-01T02:00:00+02:00"},
		 {"2020-04-01T00:00:01Z", "1585699201", NULL}},
		{"DateNotEquals", "2020-04-01T00:00:00Z", {"2020-04-01T00:00:01Z", "2019-04-01T00:00:00Z", NULL},
		 {"2020-04-01T00:00:00Z", "1585699200", NULL}},
		{"DateLessThan", "2020-04-01", {"2020-03-31T23:59:59Z", "1585699199", NULL},
		 {"2020-04-01T00:00:00Z", "2021-01-01T00:00:00Z", NULL}},
		{"DateLessThanEquals", "1585699200", {"2020-04-01T00:00:00Z", "2020-03-31T23:59:59Z", NULL},
		 {"2020-04-01T00:00:01Z", NULL, NULL}},
		{"DateGreaterThan", "2020-04-01T00:00:00Z", {"2020-04-01T00:00:01Z", "1585699201", NULL},
		 {"2020-04-01T00:00:00Z", "2020-03-01T00:00:00Z", NULL}},
		{"DateGreaterThanEquals",
		 "2020-04-01T00:00:00Z",
		 {"2020-04-01T00:00:00Z", "2030-01-01T00:00:00Z", NULL},
		 {"2020-03-31T23:59:59Z", NULL, NULL}},
	};
	const char *bob = "arn:aws:iam::111122223333:user/Bob";

	(void)state;
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "iam:CreateAccessKey", bob, NULL,
	       CTX(KV("aws:TokenIssueTime", "2020-06-01T12:00:00Z")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "iam:CreateAccessKey", bob, NULL,
	       CTX(KV("aws:TokenIssueTime", "2019-12-31T23:59:59Z")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "iam:CreateAccessKey", bob, NULL,
	       CTX(KV("aws:TokenIssueTime", "2020-01-01T00:00:01Z")));
	/* "The key is not present in ... requests that are made using access keys ... the request is denied." */
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "iam:CreateAccessKey", bob);
	/* Within the window, before it, after it; epoch time compares with ISO 8601. */
	EXPECT(ONLY_IDENTITY(window), ALLOWED, ALICE, "service-prefix:action-name", "*", NULL,
	       CTX(KV("aws:CurrentTime", "2020-05-15T08:30:00Z")));
	EXPECT(ONLY_IDENTITY(window), ALLOWED, ALICE, "service-prefix:action-name", "*", NULL,
	       CTX(KV("aws:CurrentTime", "1589531400")));
	EXPECT(ONLY_IDENTITY(window), IMPLICIT, ALICE, "service-prefix:action-name", "*", NULL,
	       CTX(KV("aws:CurrentTime", "2020-03-31T23:59:59Z")));
	EXPECT(ONLY_IDENTITY(window), IMPLICIT, ALICE, "service-prefix:action-name", "*", NULL,
	       CTX(KV("aws:CurrentTime", "2020-07-01T00:00:00Z")));
	EXPECT(ONLY_IDENTITY(window), IMPLICIT, ALICE, "service-prefix:action-name", "*");
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char doc[512];
		struct policy *q;
		snprintf(doc, sizeof(doc),
		         J({"Version": "2012-10-17",
		            "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
		                          "Condition": {"%s": {"aws:CurrentTime": "%s"}}}}),
		         cases[i].op, cases[i].value);
		q = compile_ok(POLICY_IDENTITY, doc, __LINE__);
		for (size_t k = 0; k < 3; k++) {
			if (cases[i].yes[k])
				EXPECT(ONLY_IDENTITY(q), ALLOWED, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
				       CTX(KV("aws:CurrentTime", cases[i].yes[k])));
			if (cases[i].no[k])
				EXPECT(ONLY_IDENTITY(q), IMPLICIT, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
				       CTX(KV("aws:CurrentTime", cases[i].no[k])));
		}
		EXPECT(ONLY_IDENTITY(q), strcmp(cases[i].op, "DateNotEquals") == 0 ? ALLOWED : IMPLICIT, ALICE,
		       "s3:ListBucket", "arn:aws:s3:::b");
	}
	done();
}

/* Boolean condition operators: BooleanExample denies S3 requests that are not over TLS (aws:SecureTransport). */
static void test_cond_bool_secure_transport(void **state)
{
	struct policy *deny = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Sid": "BooleanExample",
				"Action": "s3:*",
				"Effect": "Deny",
				"Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
				"Condition": {"Bool": {"aws:SecureTransport": "false"}}
			}
		]
	});
	struct policy *allow = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
	});
	/* (J() directly: through IDENTITY() the word true would be macro-expanded to 1 before it is stringized.) */
	struct policy *json_bool = compile_ok(POLICY_IDENTITY,
	                                      J({"Version": "2012-10-17",
	                                         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                                                       "Condition": {"Bool": {"aws:SecureTransport": true}}}}),
	                                      __LINE__);
	const char *obj = "arn:aws:s3:::amzn-s3-demo-bucket/key";

	(void)state;
	/* "This policy does not allow any actions." */
	EXPECT(ONLY_IDENTITY(deny), IMPLICIT, ALICE, "s3:GetObject", obj, NULL, CTX(KV("aws:SecureTransport", "true")));
	EXPECT(ONLY_IDENTITY(deny, allow), EXPLICIT, ALICE, "s3:GetObject", obj, NULL,
	       CTX(KV("aws:SecureTransport", "false")));
	EXPECT(ONLY_IDENTITY(deny, allow), ALLOWED, ALICE, "s3:GetObject", obj, NULL,
	       CTX(KV("aws:SecureTransport", "true")));
	/* Absent key: the (positive) Bool condition is false, so the Deny does not apply. */
	EXPECT(ONLY_IDENTITY(deny, allow), ALLOWED, ALICE, "s3:GetObject", obj);
	/* Other buckets are outside the Deny's Resource. */
	EXPECT(ONLY_IDENTITY(deny, allow), ALLOWED, ALICE, "s3:GetObject", "arn:aws:s3:::other/key", NULL,
	       CTX(KV("aws:SecureTransport", "false")));
	/* A JSON boolean as the condition value reads as "true". */
	EXPECT(ONLY_IDENTITY(json_bool), ALLOWED, ALICE, "s3:GetObject", obj, NULL,
	       CTX(KV("aws:SecureTransport", "true")));
	EXPECT(ONLY_IDENTITY(json_bool), IMPLICIT, ALICE, "s3:GetObject", obj, NULL,
	       CTX(KV("aws:SecureTransport", "false")));
	done();
}

/* Binary condition operators: BinaryEquals compares byte for byte with the base-64 value in the policy. */
static void test_cond_binary(void **state)
{
	struct policy *p = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:GetObject",
			"Resource": "*",
			"Condition": {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}
		}
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "s3:GetObject", "arn:aws:s3:::b/k", NULL,
	       CTX(KV("key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::b/k", NULL,
	       CTX(KV("key", "QmluYXJ5VmFsdWVJbkJhc2U2NB==")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::b/k", NULL,
	       CTX(KV("key", "qmluyxj5vmfsdwvjbkjhc2u2na==")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::b/k");
	done();
}

/* IP address condition operators: aws:SourceIp in 203.0.113.0/24; IPv4 and IPv6 mixed; NotIpAddress. */
static void test_cond_ip_address(void **state)
{
	struct policy *v4 = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "iam:*AccessKey*",
			"Resource": "arn:aws:iam::111122223333:user/*",
			"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
		}
	});
	struct policy *mixed = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "someservice:*",
			"Resource": "*",
			"Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
		}
	});
	struct policy *single = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "someservice:*",
			"Resource": "*",
			"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.7"}}
		}
	});
	struct policy *not_ip = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "someservice:*",
			"Resource": "*",
			"Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8::/32"]}}
		}
	});
	const char *bob = "arn:aws:iam::111122223333:user/Bob";

	(void)state;
	EXPECT(ONLY_IDENTITY(v4), ALLOWED, ALICE, "iam:ListAccessKeys", bob, NULL,
	       CTX(KV("aws:SourceIp", "203.0.113.0")));
	EXPECT(ONLY_IDENTITY(v4), ALLOWED, ALICE, "iam:ListAccessKeys", bob, NULL,
	       CTX(KV("aws:SourceIp", "203.0.113.255")));
	EXPECT(ONLY_IDENTITY(v4), IMPLICIT, ALICE, "iam:ListAccessKeys", bob, NULL,
	       CTX(KV("aws:SourceIp", "203.0.114.1")));
	EXPECT(ONLY_IDENTITY(v4), IMPLICIT, ALICE, "iam:ListAccessKeys", bob, NULL,
	       CTX(KV("aws:SourceIp", "198.51.100.1")));
	/* No aws:SourceIp (a request through a VPC endpoint): "the condition returns false". */
	EXPECT(ONLY_IDENTITY(v4), IMPLICIT, ALICE, "iam:ListAccessKeys", bob);
	EXPECT(ONLY_IDENTITY(mixed), ALLOWED, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "203.0.113.10")));
	EXPECT(ONLY_IDENTITY(mixed), ALLOWED, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "2001:db8:1234:5678:abcd::1")));
	EXPECT(ONLY_IDENTITY(mixed), ALLOWED, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "2001:DB8:1234:5678:FFFF:FFFF:FFFF:FFFF")));
	EXPECT(ONLY_IDENTITY(mixed), IMPLICIT, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "2001:db8:1234:5679::1")));
	EXPECT(ONLY_IDENTITY(mixed), IMPLICIT, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "198.51.100.1")));
	/* "If you specify an IP address without the associated routing prefix, IAM uses the default prefix value of
	 * /32." */
	EXPECT(ONLY_IDENTITY(single), ALLOWED, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "203.0.113.7")));
	EXPECT(ONLY_IDENTITY(single), IMPLICIT, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "203.0.113.8")));
	/* NotIpAddress: all addresses except the ranges; an absent key makes it true. */
	EXPECT(ONLY_IDENTITY(not_ip), ALLOWED, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "198.51.100.1")));
	EXPECT(ONLY_IDENTITY(not_ip), IMPLICIT, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "203.0.113.1")));
	EXPECT(ONLY_IDENTITY(not_ip), IMPLICIT, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "2001:db8::1")));
	EXPECT(ONLY_IDENTITY(not_ip), ALLOWED, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceIp", "2001:db9::1")));
	EXPECT(ONLY_IDENTITY(not_ip), ALLOWED, ALICE, "someservice:Act", "*");
	done();
}

/*
 * Amazon Resource Name (ARN) condition operators: the SQS queue policy with ArnEquals on aws:SourceArn (as an
 * identity-based statement, so that the condition alone decides), ArnLike with wildcards per part, and the page's
 * StringLike-versus-ArnLike example.
 */
static void test_cond_arn(void **state)
{
	struct policy *queue = RESOURCE({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "123456789012"},
			"Action": "SQS:SendMessage",
			"Resource": "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID",
			"Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}
		}
	});
	struct policy *eq = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "SQS:SendMessage",
			"Resource": "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID",
			"Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}
		}
	});
	struct policy *like = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "someservice:*",
			"Resource": "*",
			"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}
		}
	});
	struct policy *slike = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "someservice:*",
			"Resource": "*",
			"Condition": {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}
		}
	});
	struct policy *notlike = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "someservice:*",
			"Resource": "*",
			"Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}
		}
	});
	const char *sender = "arn:aws:iam::123456789012:user/publisher";
	const char *tricky = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";

	(void)state;
	(void)queue; /* the page's policy, as printed, is a valid resource-based policy */
	EXPECT(ONLY_IDENTITY(eq), ALLOWED, sender, "sqs:SendMessage", "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID",
	       NULL,
	       CTX(KV("aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:TOPIC-ID")));
	EXPECT(ONLY_IDENTITY(eq), IMPLICIT, sender, "sqs:SendMessage", "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID",
	       NULL,
	       CTX(KV("aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:TOPIC-ID2")));
	/* "If an IAM user attempts to perform this operation directly, the condition returns false". */
	EXPECT(ONLY_IDENTITY(eq), IMPLICIT, sender, "sqs:SendMessage", "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID");
	/* ArnLike: each of the six parts separately, with wildcards. */
	EXPECT(ONLY_IDENTITY(like), ALLOWED, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceArn", "arn:aws:someservice:us-east-2:111122223333:finance/document.txt")));
	EXPECT(ONLY_IDENTITY(like), IMPLICIT, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceArn", "arn:aws:someservice:us-east-2:111122223333:Finance/document.txt")));
	/* "With a StringLike condition, the match succeeds ... With an ArnLike condition ... the match fails." */
	EXPECT(ONLY_IDENTITY(slike), ALLOWED, ALICE, "someservice:Act", "*", NULL, CTX(KV("aws:SourceArn", tricky)));
	EXPECT(ONLY_IDENTITY(like), IMPLICIT, ALICE, "someservice:Act", "*", NULL, CTX(KV("aws:SourceArn", tricky)));
	/* ArnNotLike: negated; an absent key makes it true. */
	EXPECT(ONLY_IDENTITY(notlike), ALLOWED, ALICE, "someservice:Act", "*", NULL, CTX(KV("aws:SourceArn", tricky)));
	EXPECT(ONLY_IDENTITY(notlike), IMPLICIT, ALICE, "someservice:Act", "*", NULL,
	       CTX(KV("aws:SourceArn", "arn:aws:someservice:eu-west-1:111122223333:finance/x")));
	EXPECT(ONLY_IDENTITY(notlike), ALLOWED, ALICE, "someservice:Act", "*");
	done();
}

/* ...IfExists condition operators: the ec2:InstanceType example (THISPOLICYDOESNOTWORK, then StringLikeIfExists),
 * and a Deny with a negated ...IfExists operator ("the request is still denied even if the tag is missing"). */
static void test_cond_if_exists(void **state)
{
	struct policy *broken = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Sid": "THISPOLICYDOESNOTWORK",
			"Effect": "Allow",
			"Action": "ec2:RunInstances",
			"Resource": "*",
			"Condition": {"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
		}
	});
	struct policy *works = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Sid": "RunInstance",
				"Effect": "Allow",
				"Action": "ec2:RunInstances",
				"Resource": "*",
				"Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
			},
			{
				"Sid": "DescribeActions",
				"Effect": "Allow",
				"Action": [
					"ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeVpcs",
					"ec2:DescribeKeyPairs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"
				],
				"Resource": "*"
			}
		]
	});
	struct policy *deny = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
			{
				"Effect": "Deny",
				"Action": "ec2:RunInstances",
				"Resource": "*",
				"Condition": {"StringNotEqualsIfExists": {"aws:RequestTag/team": "blue"}}
			}
		]
	});
	const char *instance = "arn:aws:ec2:us-east-1:111122223333:instance/*";
	const char *image = "arn:aws:ec2:us-east-1::image/ami-12345678";

	(void)state;
	/* The image, key pair, security group... of a launch have no ec2:InstanceType: StringLike fails for them. */
	EXPECT(ONLY_IDENTITY(broken), ALLOWED, ALICE, "ec2:RunInstances", instance, NULL,
	       CTX(KV("ec2:InstanceType", "t2.micro")));
	EXPECT(ONLY_IDENTITY(broken), IMPLICIT, ALICE, "ec2:RunInstances", image);
	/* StringLikeIfExists: "If the resource being checked does not have that condition key, then don't worry". */
	EXPECT(ONLY_IDENTITY(works), ALLOWED, ALICE, "ec2:RunInstances", image);
	EXPECT(ONLY_IDENTITY(works), ALLOWED, ALICE, "ec2:RunInstances", instance, NULL,
	       CTX(KV("ec2:InstanceType", "t2.micro")));
	EXPECT(ONLY_IDENTITY(works), ALLOWED, ALICE, "ec2:RunInstances", instance, NULL,
	       CTX(KV("ec2:InstanceType", "m3.large")));
	EXPECT(ONLY_IDENTITY(works), IMPLICIT, ALICE, "ec2:RunInstances", instance, NULL,
	       CTX(KV("ec2:InstanceType", "m5.large")));
	EXPECT(ONLY_IDENTITY(works), ALLOWED, ALICE, "ec2:DescribeVpcs", "*");
	/* Deny with StringNotEqualsIfExists: denied when the tag differs and when it is missing. */
	EXPECT(ONLY_IDENTITY(deny), ALLOWED, ALICE, "ec2:RunInstances", instance, NULL,
	       CTX(KV("aws:RequestTag/team", "blue")));
	EXPECT(ONLY_IDENTITY(deny), EXPLICIT, ALICE, "ec2:RunInstances", instance, NULL,
	       CTX(KV("aws:RequestTag/team", "red")));
	EXPECT(ONLY_IDENTITY(deny), EXPLICIT, ALICE, "ec2:RunInstances", instance);
	done();
}

/* Condition operator to check existence of condition keys: Null on aws:TokenIssueTime (no temporary credentials). */
static void test_cond_null(void **state)
{
	struct policy *p = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Action": "ec2:*",
			"Effect": "Allow",
			"Resource": "*",
			"Condition": {"Null": {"aws:TokenIssueTime": "true"}}
		}
	});
	struct policy *present = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Action": "ec2:*",
			"Effect": "Allow",
			"Resource": "*",
			"Condition": {"Null": {"aws:TokenIssueTime": "false"}}
		}
	});
	const char *session = "arn:aws:sts::111122223333:assumed-role/Admin/s1";

	(void)state;
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "ec2:DescribeInstances", "*");
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, session, "ec2:DescribeInstances", "*", NULL,
	       CTX(KV("aws:TokenIssueTime", "2024-05-01T10:00:00Z")));
	EXPECT(ONLY_IDENTITY(present), IMPLICIT, ALICE, "ec2:DescribeInstances", "*");
	EXPECT(ONLY_IDENTITY(present), ALLOWED, session, "ec2:DescribeInstances", "*", NULL,
	       CTX(KV("aws:TokenIssueTime", "2024-05-01T10:00:00Z")));
	done();
}

/*
 * MFA: Bool and NumericLessThan on aws:MultiFactorAuthPresent / aws:MultiFactorAuthAge, as in
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html and the key
 * descriptions of reference_policies_condition-keys.html (aws:MultiFactorAuthPresent is absent for long-term
 * access keys, hence BoolIfExists in a Deny; aws:MultiFactorAuthAge only exists when MFA was used). The trust policy
 * is the jump account's: another account may assume the role with MFA used within the last hour.
 */
static void test_cond_mfa(void **state)
{
	const char *role = "arn:aws:iam::111122223333:role/Admin";
	const char *anay = "arn:aws:iam::444455556666:user/anay";
	struct policy *trust = TRUST({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::444455556666:root"},
			"Action": "sts:AssumeRole",
			"Condition": {
				"Bool": {"aws:MultiFactorAuthPresent": "true"},
				"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}
			}
		}
	});
	struct policy *may_assume = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "sts:AssumeRole",
			"Resource": "arn:aws:iam::111122223333:role/*"
		}
	});
	struct policy *deny_no_mfa = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
			{
				"Effect": "Deny",
				"Action": "ec2:StopInstances",
				"Resource": "*",
				"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
			}
		]
	});
	struct policy_set s = {.identity = LIST(may_assume), .nidentity = 1, .resource = trust};

	(void)state;
	EXPECT(&s, ALLOWED, anay, "sts:AssumeRole", role, A,
	       CTX(KV("aws:MultiFactorAuthPresent", "true"), KV("aws:MultiFactorAuthAge", "120")));
	EXPECT(&s, IMPLICIT, anay, "sts:AssumeRole", role, A,
	       CTX(KV("aws:MultiFactorAuthPresent", "true"), KV("aws:MultiFactorAuthAge", "3600")));
	EXPECT(&s, IMPLICIT, anay, "sts:AssumeRole", role, A,
	       CTX(KV("aws:MultiFactorAuthPresent", "false")));
	/* Long-term access keys: neither key is present. */
	EXPECT(&s, IMPLICIT, anay, "sts:AssumeRole", role, A);
	EXPECT(ONLY_IDENTITY(deny_no_mfa), ALLOWED, ALICE, "ec2:StopInstances", "*", NULL,
	       CTX(KV("aws:MultiFactorAuthPresent", "true"), KV("aws:MultiFactorAuthAge", "10")));
	EXPECT(ONLY_IDENTITY(deny_no_mfa), EXPLICIT, ALICE, "ec2:StopInstances", "*", NULL,
	       CTX(KV("aws:MultiFactorAuthPresent", "false")));
	EXPECT(ONLY_IDENTITY(deny_no_mfa), EXPLICIT, ALICE, "ec2:StopInstances", "*");
	EXPECT(ONLY_IDENTITY(deny_no_mfa), ALLOWED, ALICE, "ec2:DescribeInstances", "*");
	done();
}

/*
 * Several keys and values:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
 * (AND across operators and across keys of one operator; OR across the values of one key; for the negated
 * operators, the request value must differ from every value - a logical NOR).
 */
static void test_cond_and_or(void **state)
{
	struct policy *p = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "ec2:RunInstances",
			"Resource": "*",
			"Condition": {
				"StringEquals": {
					"aws:PrincipalTag/team": ["blue", "green"],
					"aws:RequestedRegion": "us-east-1"
				},
				"Bool": {"aws:SecureTransport": "true"}
			}
		}
	});
	struct policy *nor = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "ec2:RunInstances",
			"Resource": "*",
			"Condition": {"StringNotEquals": {"aws:PrincipalTag/team": ["blue", "green"]}}
		}
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(p), ALLOWED, ALICE, "ec2:RunInstances", "*", NULL,
	       CTX(KV("aws:PrincipalTag/team", "green"), KV("aws:RequestedRegion", "us-east-1"),
	           KV("aws:SecureTransport", "true")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "ec2:RunInstances", "*", NULL,
	       CTX(KV("aws:PrincipalTag/team", "red"), KV("aws:RequestedRegion", "us-east-1"),
	           KV("aws:SecureTransport", "true")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "ec2:RunInstances", "*", NULL,
	       CTX(KV("aws:PrincipalTag/team", "blue"), KV("aws:RequestedRegion", "eu-west-1"),
	           KV("aws:SecureTransport", "true")));
	EXPECT(ONLY_IDENTITY(p), IMPLICIT, ALICE, "ec2:RunInstances", "*", NULL,
	       CTX(KV("aws:PrincipalTag/team", "blue"), KV("aws:RequestedRegion", "us-east-1"),
	           KV("aws:SecureTransport", "false")));
	EXPECT(ONLY_IDENTITY(nor), ALLOWED, ALICE, "ec2:RunInstances", "*", NULL,
	       CTX(KV("aws:PrincipalTag/team", "red")));
	EXPECT(ONLY_IDENTITY(nor), IMPLICIT, ALICE, "ec2:RunInstances", "*", NULL,
	       CTX(KV("aws:PrincipalTag/team", "green")));
	EXPECT(ONLY_IDENTITY(nor), IMPLICIT, ALICE, "ec2:RunInstances", "*", NULL,
	       CTX(KV("aws:PrincipalTag/team", "blue")));
	done();
}

/* ================================================================================================================
 * Multivalued context keys
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 * ("Set operators for multivalued context keys": ForAllValues - true when every request value matches a policy value,
 * and when the key is not in the request; ForAnyValue - true when any does, false when the key is not in the
 * request; "Key points": a multivalued key cannot be a policy variable) and its examples page
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
 * (Deny with ForAllValues on aws:TagKeys and a Null check; Deny with ForAnyValue; the negated operators).
 * ============================================================================================================== */

/* The DynamoDB Thread table example (dynamodb:requestedAttributes); the printed Action "GetItem" / "PutItem" lacks
 * its vendor prefix, which IAM requires: dynamodb: is added. */
static void test_multi_dynamodb_attributes(void **state)
{
	struct policy *get = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Action": "dynamodb:GetItem",
				"Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Thread",
				"Condition": {
					"ForAllValues:StringLike": {
						"dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]
					}
				}
			}
		]
	});
	struct policy *put_deny = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Deny",
				"Action": "dynamodb:PutItem",
				"Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Thread",
				"Condition": {
					"ForAnyValue:StringLike": {
						"dynamodb:requestedAttributes": ["ID", "PostDateTime"]
					}
				}
			}
		]
	});
	struct policy *put_allow = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
	});
	const char *table = "arn:aws:dynamodb:us-east-1:111122223333:table/Thread";

	(void)state;
	EXPECT(ONLY_IDENTITY(get), ALLOWED, ALICE, "dynamodb:GetItem", table, NULL,
	       CTX(KM("dynamodb:requestedAttributes", "PostDateTime", "Message")));
	EXPECT(ONLY_IDENTITY(get), IMPLICIT, ALICE, "dynamodb:GetItem", table, NULL,
	       CTX(KM("dynamodb:requestedAttributes", "PostDateTime", "UserName")));
	EXPECT(ONLY_IDENTITY(get), IMPLICIT, ALICE, "dynamodb:GetItem", table, NULL,
	       CTX(KM("dynamodb:requestedAttributes", "ID", "Message")));
	EXPECT(ONLY_IDENTITY(put_deny, put_allow), EXPLICIT, ALICE, "dynamodb:PutItem", table, NULL,
	       CTX(KM("dynamodb:requestedAttributes", "UserName", "Message", "PostDateTime")));
	EXPECT(ONLY_IDENTITY(put_deny, put_allow), ALLOWED, ALICE, "dynamodb:PutItem", table, NULL,
	       CTX(KM("dynamodb:requestedAttributes", "UserName")));
	EXPECT(ONLY_IDENTITY(put_deny), IMPLICIT, ALICE, "dynamodb:PutItem", table, NULL,
	       CTX(KM("dynamodb:requestedAttributes", "UserName")));
	done();
}

/* ForAllValues with the key missing or empty is true; ForAnyValue is false; a Null check closes the gap. */
static void test_multi_missing_or_empty(void **state)
{
	struct policy *all = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "ec2:CreateTags",
			"Resource": "*",
			"Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
		}
	});
	struct policy *any = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "ec2:CreateTags",
			"Resource": "*",
			"Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
		}
	});
	struct policy *all_null = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "ec2:CreateTags",
			"Resource": "*",
			"Condition": {
				"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]},
				"Null": {"aws:TagKeys": "false"}
			}
		}
	});
	const char *inst = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";

	(void)state;
	EXPECT(ONLY_IDENTITY(all), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL, CTX(KM("aws:TagKeys", "environment")));
	EXPECT(ONLY_IDENTITY(all), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "environment", "cost-center")));
	EXPECT(ONLY_IDENTITY(all), IMPLICIT, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "environment", "owner")));
	/* "It also returns true if there are no context keys in the request." */
	EXPECT(ONLY_IDENTITY(all), ALLOWED, ALICE, "ec2:CreateTags", inst);
	EXPECT(ONLY_IDENTITY(all), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL, CTX(KEMPTY("aws:TagKeys")));
	/* ForAnyValue: "if there is no key in the request, the condition returns false". */
	EXPECT(ONLY_IDENTITY(any), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "owner", "environment")));
	EXPECT(ONLY_IDENTITY(any), IMPLICIT, ALICE, "ec2:CreateTags", inst, NULL, CTX(KM("aws:TagKeys", "owner")));
	EXPECT(ONLY_IDENTITY(any), IMPLICIT, ALICE, "ec2:CreateTags", inst);
	EXPECT(ONLY_IDENTITY(any), IMPLICIT, ALICE, "ec2:CreateTags", inst, NULL, CTX(KEMPTY("aws:TagKeys")));
	/* With a Null check of value false, a missing key no longer passes. */
	EXPECT(ONLY_IDENTITY(all_null), IMPLICIT, ALICE, "ec2:CreateTags", inst);
	EXPECT(ONLY_IDENTITY(all_null), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "cost-center")));
	done();
}

/* "Example: Deny policy with condition set operator ForAllValues": IAM tagging actions with tag keys key1* (then
 * key1* or key2*); and "Example: Deny policy with condition set operator ForAnyValue". */
static void test_multi_tag_keys_deny(void **state)
{
	struct policy *deny1 = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Deny",
			"Action": ["iam:Tag*", "iam:UnTag*"],
			"Resource": ["*"],
			"Condition": {"ForAllValues:StringLike": {"aws:TagKeys": "key1*"}}
		}
	});
	struct policy *deny2 = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Deny",
			"Action": ["iam:Tag*", "iam:UnTag*"],
			"Resource": ["*"],
			"Condition": {"ForAllValues:StringLike": {"aws:TagKeys": ["key1*", "key2*"]}}
		}
	});
	struct policy *deny_any = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Deny",
			"Action": "ec2:DeleteTags",
			"Resource": "*",
			"Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["webserver", "environment"]}}
		}
	});
	struct policy *allow = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": ["iam:*", "ec2:*"], "Resource": "*"}
	});
	const char *bob = "arn:aws:iam::111122223333:user/Bob";
	const char *inst = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";

	(void)state;
	/* "This policy does not allow any actions." */
	EXPECT(ONLY_IDENTITY(deny1), IMPLICIT, ALICE, "iam:TagUser", bob, NULL, CTX(KM("aws:TagKeys", "key2:audit")));
	EXPECT(ONLY_IDENTITY(deny1, allow), EXPLICIT, ALICE, "iam:TagUser", bob, NULL,
	       CTX(KM("aws:TagKeys", "key1:legal")));
	EXPECT(ONLY_IDENTITY(deny1, allow), EXPLICIT, ALICE, "iam:TagUser", bob, NULL,
	       CTX(KM("aws:TagKeys", "key1:hr", "key1:personnel")));
	EXPECT(ONLY_IDENTITY(deny1, allow), ALLOWED, ALICE, "iam:TagUser", bob, NULL,
	       CTX(KM("aws:TagKeys", "key1:hr", "key2:audit")));
	EXPECT(ONLY_IDENTITY(deny1, allow), ALLOWED, ALICE, "iam:TagUser", bob, NULL,
	       CTX(KM("aws:TagKeys", "key2:audit")));
	/* No aws:TagKeys: ForAllValues is true, so the Deny applies. */
	EXPECT(ONLY_IDENTITY(deny1, allow), EXPLICIT, ALICE, "iam:UntagUser", bob);
	EXPECT(ONLY_IDENTITY(deny2, allow), EXPLICIT, ALICE, "iam:TagUser", bob, NULL,
	       CTX(KM("aws:TagKeys", "key1:hr", "key2:audit")));
	EXPECT(ONLY_IDENTITY(deny2, allow), ALLOWED, ALICE, "iam:TagUser", bob, NULL,
	       CTX(KM("aws:TagKeys", "key1:hr", "key3:legal")));
	EXPECT(ONLY_IDENTITY(deny2, allow), EXPLICIT, ALICE, "iam:TagUser", bob);
	/* ForAnyValue: any one request value among the policy's. */
	EXPECT(ONLY_IDENTITY(deny_any, allow), EXPLICIT, ALICE, "ec2:DeleteTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "webserver")));
	EXPECT(ONLY_IDENTITY(deny_any, allow), EXPLICIT, ALICE, "ec2:DeleteTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "environment", "webserver", "test")));
	EXPECT(ONLY_IDENTITY(deny_any, allow), ALLOWED, ALICE, "ec2:DeleteTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "test")));
	EXPECT(ONLY_IDENTITY(deny_any, allow), ALLOWED, ALICE, "ec2:DeleteTags", inst);
	done();
}

/* Negated operators with the set qualifiers: ForAllValues:StringNotEquals (no request value is among the policy's;
 * true when the key is missing) and ForAnyValue:StringNotEquals (some request value is not among them). */
static void test_multi_negated(void **state)
{
	struct policy *all_ne = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "ec2:CreateTags",
			"Resource": "*",
			"Condition": {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
		}
	});
	struct policy *any_ne = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "ec2:CreateTags",
			"Resource": "*",
			"Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
		}
	});
	struct policy *all_nl = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Deny",
			"Action": "ec2:CreateTags",
			"Resource": "*",
			"Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "aws:*"}}
		}
	});
	struct policy *allow = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
	});
	const char *inst = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";

	(void)state;
	EXPECT(ONLY_IDENTITY(all_ne), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "owner", "project")));
	EXPECT(ONLY_IDENTITY(all_ne), IMPLICIT, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "environment")));
	EXPECT(ONLY_IDENTITY(all_ne), IMPLICIT, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "owner", "cost-center")));
	EXPECT(ONLY_IDENTITY(all_ne), ALLOWED, ALICE, "ec2:CreateTags", inst);
	EXPECT(ONLY_IDENTITY(any_ne), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "environment", "owner")));
	EXPECT(ONLY_IDENTITY(any_ne), IMPLICIT, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "environment", "cost-center")));
	EXPECT(ONLY_IDENTITY(any_ne), IMPLICIT, ALICE, "ec2:CreateTags", inst);
	/* Deny tagging unless every key starts with aws: ... (a Deny with ForAllValues:StringNotLike). */
	EXPECT(ONLY_IDENTITY(all_nl, allow), EXPLICIT, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "owner")));
	EXPECT(ONLY_IDENTITY(all_nl, allow), ALLOWED, ALICE, "ec2:CreateTags", inst, NULL,
	       CTX(KM("aws:TagKeys", "aws:cloudformation:stack-name", "owner")));
	done();
}

/* ================================================================================================================
 * Policy variables
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html: "Introduction" (${aws:username}
 * in Resource and in s3:prefix; ${aws:PrincipalTag/team}), "Where you can use policy variables" (Resource element -
 * the per-user access keys and queues, ${aws:PrincipalTag/department}; Condition element - string and ARN
 * operators), "Policy variables with no value", "Special characters" (${*} ${?} ${$}), "Specifying default values"
 * (${aws:PrincipalTag/team, 'company-wide'}, ${aws:userid, 'anonymous'}), and the Version note: without
 * "Version": "2012-10-17" variables are treated as literal strings; key names are case-insensitive.
 * ============================================================================================================== */

static void test_var_username_in_resource(void **state)
{
	const char *david = "arn:aws:iam::111122223333:user/David";
	const char *session = "arn:aws:sts::111122223333:assumed-role/Ops/s1";
	struct policy *keys = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Action": ["iam:*AccessKey*"],
				"Effect": "Allow",
				"Resource": ["arn:aws:iam::111122223333:user/${aws:username}"]
			}
		]
	});
	struct policy *queues = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{"Sid": "ListForConsole", "Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"},
			{
				"Sid": "AllQueueActions",
				"Effect": "Allow",
				"Action": "sqs:*",
				"Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"
			}
		]
	});
	struct policy *home = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Action": ["s3:ListBucket"],
				"Effect": "Allow",
				"Resource": ["arn:aws:s3:::mybucket"],
				"Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}
			},
			{
				"Action": ["s3:GetObject", "s3:PutObject"],
				"Effect": "Allow",
				"Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]
			}
		]
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(keys), ALLOWED, david, "iam:CreateAccessKey", david, NULL,
	       CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(keys), IMPLICIT, david, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/Adele",
	       NULL,
	       CTX(KV("aws:username", "David")));
	/* A role session has no aws:username: the Resource matches nothing. */
	EXPECT(ONLY_IDENTITY(keys), IMPLICIT, session, "iam:CreateAccessKey", david);
	EXPECT(ONLY_IDENTITY(queues), ALLOWED, david, "sqs:SendMessage",
	       "arn:aws:sqs:us-east-2:111122223333:David-queue",
	       NULL, CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(queues), IMPLICIT, david, "sqs:SendMessage",
	       "arn:aws:sqs:us-east-1:111122223333:David-queue",
	       NULL, CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(queues), IMPLICIT, david, "sqs:SendMessage",
	       "arn:aws:sqs:us-east-2:111122223333:Adele-queue",
	       NULL, CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(queues), ALLOWED, david, "sqs:ListQueues", "*", NULL, CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(home), ALLOWED, david, "s3:PutObject", "arn:aws:s3:::mybucket/David/file", NULL,
	       CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(home), IMPLICIT, david, "s3:PutObject", "arn:aws:s3:::mybucket/Adele/file", NULL,
	       CTX(KV("aws:username", "David")));
	EXPECT(ONLY_IDENTITY(home), ALLOWED, david, "s3:ListBucket", "arn:aws:s3:::mybucket", NULL,
	       CTX(KV("aws:username", "David"), KV("s3:prefix", "David/photos")));
	EXPECT(ONLY_IDENTITY(home), IMPLICIT, david, "s3:ListBucket", "arn:aws:s3:::mybucket", NULL,
	       CTX(KV("aws:username", "David"), KV("s3:prefix", "Adele/")));
	/* Key names are case-insensitive, in the variable and in the request context. */
	EXPECT(ONLY_IDENTITY(keys), ALLOWED, david, "iam:DeleteAccessKey", david, NULL,
	       CTX(KV("AWS:UserName", "David")));
	done();
}

static void test_var_principal_tag(void **state)
{
	const char *bob = "arn:aws:iam::111122223333:user/Bob";
	struct policy *team = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Action": ["s3:ListBucket"],
				"Resource": ["arn:aws:s3:::amzn-s3-demo-bucket"],
				"Condition": {"StringLike": {"s3:prefix": ["${aws:PrincipalTag/team}/*"]}}
			},
			{
				"Effect": "Allow",
				"Action": ["s3:GetObject", "s3:PutObject"],
				"Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team}/*"]
			}
		]
	});
	struct policy *dflt = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": ["s3:GetObject"],
			"Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"]
		}
	});
	struct policy *dept = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:*",
			"Resource": ["arn:aws:s3:::bucket/${aws:PrincipalTag/department}"]
		}
	});
	struct policy *userid = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:GetObject",
			"Resource": "*",
			"Condition": {
				"StringEquals": {"aws:Resource": "arn:aws:s3:::/bucket/${aws:userid, 'anonymous'}"}
			}
		}
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(team), ALLOWED, bob, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/marketing/plan.txt",
	       NULL,
	       CTX(KV("aws:PrincipalTag/team", "marketing")));
	EXPECT(ONLY_IDENTITY(team), IMPLICIT, bob, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/finance/plan.txt",
	       NULL,
	       CTX(KV("aws:PrincipalTag/team", "marketing")));
	EXPECT(ONLY_IDENTITY(team), ALLOWED, bob, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket", NULL,
	       CTX(KV("aws:PrincipalTag/team", "marketing"), KV("s3:prefix", "marketing/q3")));
	/* Policy variables with no value: no team tag - neither the Resource nor the condition matches. */
	EXPECT(ONLY_IDENTITY(team), IMPLICIT, bob, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket//plan.txt");
	EXPECT(ONLY_IDENTITY(team), IMPLICIT, bob, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket", NULL,
	       CTX(KV("s3:prefix", "/q3")));
	/* A default value: the tag when there is one, otherwise 'company-wide'. */
	EXPECT(ONLY_IDENTITY(dflt), ALLOWED, bob, "s3:GetObject",
	       "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/handbook.pdf");
	EXPECT(ONLY_IDENTITY(dflt), IMPLICIT, bob, "s3:GetObject",
	       "arn:aws:s3:::amzn-s3-demo-bucket/marketing/handbook.pdf");
	EXPECT(ONLY_IDENTITY(dflt), ALLOWED, bob, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/marketing/plan.txt",
	       NULL,
	       CTX(KV("aws:PrincipalTag/team", "marketing")));
	EXPECT(ONLY_IDENTITY(dflt), IMPLICIT, bob, "s3:GetObject",
	       "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/handbook.pdf",
	       NULL, CTX(KV("aws:PrincipalTag/team", "marketing")));
	EXPECT(ONLY_IDENTITY(dept), ALLOWED, bob, "s3:GetObject", "arn:aws:s3:::bucket/Human Resources", NULL,
	       CTX(KV("aws:PrincipalTag/department", "Human Resources")));
	EXPECT(ONLY_IDENTITY(dept), IMPLICIT, bob, "s3:GetObject", "arn:aws:s3:::bucket/Engineering", NULL,
	       CTX(KV("aws:PrincipalTag/department", "Human Resources")));
	/* ${aws:userid, 'anonymous'} in a condition value. */
	EXPECT(ONLY_IDENTITY(userid), ALLOWED, bob, "s3:GetObject", "arn:aws:s3:::bucket/k", NULL,
	       CTX(KV("aws:Resource", "arn:aws:s3:::/bucket/anonymous")));
	EXPECT(ONLY_IDENTITY(userid), ALLOWED, bob, "s3:GetObject", "arn:aws:s3:::bucket/k", NULL,
	       CTX(KV("aws:Resource", "arn:aws:s3:::/bucket/AIDAJQABLZS4A3QDU576Q"),
	           KV("aws:userid", "AIDAJQABLZS4A3QDU576Q")));
	EXPECT(ONLY_IDENTITY(userid), IMPLICIT, bob, "s3:GetObject", "arn:aws:s3:::bucket/k", NULL,
	       CTX(KV("aws:Resource", "arn:aws:s3:::/bucket/anonymous"), KV("aws:userid", "AIDAJQABLZS4A3QDU576Q")));
	/* A multivalued key cannot be a policy variable ("Key points" of the single- vs multivalued page). */
	EXPECT(ONLY_IDENTITY(dept), IMPLICIT, bob, "s3:GetObject", "arn:aws:s3:::bucket/HR", NULL,
	       CTX(KM("aws:PrincipalTag/department", "HR")));
	done();
}

/* Condition element: variables in string and ARN operators (the SNS endpoint example, as an identity policy). */
static void test_var_in_conditions(void **state)
{
	const char *david = "arn:aws:iam::999999999999:user/David";
	struct policy *sns = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Action": "sns:*",
				"Resource": "*",
				"Condition": {
					"StringLike": {"sns:endpoint": "https://example.com/${aws:username}/"},
					"StringEquals": {"sns:Protocol": "https"}
				}
			}
		]
	});
	struct policy *arn = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "iam:PassRole",
			"Resource": "*",
			"Condition": {
				"ArnLike": {
					"iam:AssociatedResourceArn": "arn:aws:ec2:*:${aws:PrincipalAccount}:instance/*"
				}
			}
		}
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(sns), ALLOWED, david, "sns:Subscribe", "arn:aws:sns:us-east-1:999999999999:t", NULL,
	       CTX(KV("aws:username", "David"), KV("sns:endpoint", "https://example.com/David/"),
	           KV("sns:Protocol", "https")));
	EXPECT(ONLY_IDENTITY(sns), IMPLICIT, david, "sns:Subscribe", "arn:aws:sns:us-east-1:999999999999:t", NULL,
	       CTX(KV("aws:username", "David"), KV("sns:endpoint", "https://example.com/Adele/"),
	           KV("sns:Protocol", "https")));
	EXPECT(ONLY_IDENTITY(sns), IMPLICIT, david, "sns:Subscribe", "arn:aws:sns:us-east-1:999999999999:t", NULL,
	       CTX(KV("aws:username", "David"), KV("sns:endpoint", "https://example.com/David/"),
	           KV("sns:Protocol", "http")));
	/* No aws:username: the value with the variable compares with nothing. */
	EXPECT(ONLY_IDENTITY(sns), IMPLICIT, david, "sns:Subscribe", "arn:aws:sns:us-east-1:999999999999:t", NULL,
	       CTX(KV("sns:endpoint", "https://example.com//"), KV("sns:Protocol", "https")));
	EXPECT(ONLY_IDENTITY(arn), ALLOWED, ALICE, "iam:PassRole", "arn:aws:iam::111122223333:role/r", NULL,
	       CTX(KV("aws:PrincipalAccount", A),
	           KV("iam:AssociatedResourceArn", "arn:aws:ec2:us-east-1:111122223333:instance/i-1")));
	EXPECT(ONLY_IDENTITY(arn), IMPLICIT, ALICE, "iam:PassRole", "arn:aws:iam::111122223333:role/r", NULL,
	       CTX(KV("aws:PrincipalAccount", A),
	           KV("iam:AssociatedResourceArn", "arn:aws:ec2:us-east-1:444455556666:instance/i-1")));
	done();
}

/* Special characters: ${*}, ${?} and ${$} stand for the characters themselves, not wildcards. */
static void test_var_special_characters(void **state)
{
	struct policy *star = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/files${*}"}
	});
	struct policy *qmark = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/what${?}"}
	});
	struct policy *dollar = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::bucket/${$}{price}/*"
		}
	});
	struct policy *cond = IDENTITY({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:ListBucket",
			"Resource": "*",
			"Condition": {"StringLike": {"s3:prefix": "a${*}b*"}}
		}
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(star), ALLOWED, ALICE, "s3:GetObject", "arn:aws:s3:::bucket/files*");
	EXPECT(ONLY_IDENTITY(star), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::bucket/files1");
	EXPECT(ONLY_IDENTITY(qmark), ALLOWED, ALICE, "s3:GetObject", "arn:aws:s3:::bucket/what?");
	EXPECT(ONLY_IDENTITY(qmark), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::bucket/whatX");
	EXPECT(ONLY_IDENTITY(dollar), ALLOWED, ALICE, "s3:GetObject", "arn:aws:s3:::bucket/${price}/list.csv");
	EXPECT(ONLY_IDENTITY(dollar), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::bucket/price/list.csv");
	EXPECT(ONLY_IDENTITY(cond), ALLOWED, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
	       CTX(KV("s3:prefix", "a*b/c")));
	EXPECT(ONLY_IDENTITY(cond), IMPLICIT, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
	       CTX(KV("s3:prefix", "axb/c")));
	done();
}

/* Variables are literal text in a 2008-10-17 policy and in one without a Version element. */
static void test_var_literal_without_2012_version(void **state)
{
	struct policy *v2008 = IDENTITY({
		"Version": "2008-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::mybucket/${aws:username}/*"
		}
	});
	struct policy *noversion = IDENTITY({
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::mybucket/${aws:username}/*"
		}
	});
	struct policy *cond2008 = IDENTITY({
		"Version": "2008-10-17",
		"Statement": {
			"Effect": "Allow",
			"Action": "s3:ListBucket",
			"Resource": "*",
			"Condition": {"StringEquals": {"s3:prefix": "${aws:username}"}}
		}
	});

	(void)state;
	EXPECT(ONLY_IDENTITY(v2008), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/Alice/f", NULL,
	       CTX(KV("aws:username", "Alice")));
	EXPECT(ONLY_IDENTITY(v2008), ALLOWED, ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/f", NULL,
	       CTX(KV("aws:username", "Alice")));
	EXPECT(ONLY_IDENTITY(noversion), IMPLICIT, ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/Alice/f", NULL,
	       CTX(KV("aws:username", "Alice")));
	EXPECT(ONLY_IDENTITY(noversion), ALLOWED, ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/f");
	EXPECT(ONLY_IDENTITY(cond2008), IMPLICIT, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
	       CTX(KV("aws:username", "Alice"), KV("s3:prefix", "Alice")));
	EXPECT(ONLY_IDENTITY(cond2008), ALLOWED, ALICE, "s3:ListBucket", "arn:aws:s3:::b", NULL,
	       CTX(KV("aws:username", "Alice"), KV("s3:prefix", "${aws:username}")));
	done();
}

/* ================================================================================================================
 * policy_compile: IAM's MalformedPolicyDocument messages, per kind of policy.
 * ============================================================================================================== */

static void expect_refused(int line, enum policy_kind kind, const char *doc, size_t len, const char *want)
{
	char err[POLICY_ERROR_MAX];
	static int sentinel;
	struct policy *p = (struct policy *)(void *)&sentinel; /* policy_compile must reset it to NULL */

	if (policy_compile(doc, len, kind, &p, err) != C_ERR) {
		print_error("test_policy.c:%d: %s policy accepted, want \"%s\": %s\n", line, policy_kind_name(kind), want,
		            doc);
		failures++;
		if (p)
			policy_release(p);
		return;
	}
	if (p != NULL) {
		print_error("test_policy.c:%d: *out not NULL after a refusal\n", line);
		failures++;
	}
	if (!strstr(err, want)) {
		print_error("test_policy.c:%d: message \"%s\", want \"%s\"\n", line, err, want);
		failures++;
	}
}

#define REFUSED(kind, want, ...) expect_refused(__LINE__, (kind), J(__VA_ARGS__), strlen(J(__VA_ARGS__)), (want))
#define REFUSED_TEXT(kind, want, text) expect_refused(__LINE__, (kind), (text), strlen(text), (want))

static void test_compile_messages(void **state)
{
	static const char bad_utf8[] = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Sid\":\"\xff\","
	                               "\"Effect\":\"Allow\","
	                               "\"Action\":\"s3:*\",\"Resource\":\"*\"}}";

	(void)state;
	REFUSED(POLICY_IDENTITY, "Policy document should not specify a principal.",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*",
	                       "Resource": "*"}});
	REFUSED(POLICY_BOUNDARY, "Policy document should not specify a principal.",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}});
	REFUSED(POLICY_TRUST, "Has prohibited field Resource",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
	                       "Resource": "*"}});
	REFUSED(POLICY_TRUST, "statement with no principals!",
	        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}});
	REFUSED(POLICY_RESOURCE, "statement with no principals!",
	        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
	REFUSED_TEXT(POLICY_IDENTITY, "Syntax errors in policy.", "{\"Version\": \"2012-10-17\", \"Statement\": [");
	REFUSED_TEXT(POLICY_IDENTITY, "Syntax errors in policy.", "not json");
	REFUSED_TEXT(POLICY_IDENTITY, "Syntax errors in policy.", "");
	REFUSED_TEXT(POLICY_IDENTITY, "Syntax errors in policy.", bad_utf8);
	REFUSED(POLICY_IDENTITY, "Syntax errors in policy.",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Action": "ec2:*", "Resource": "*"}});
	REFUSED(POLICY_IDENTITY, "Syntax errors in policy.",
	        {"Version": "2012-10-17", "Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
	REFUSED(POLICY_IDENTITY, "The policy failed legacy parsing",
	        {"Version": "2012-10-18", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
	REFUSED(POLICY_IDENTITY, "The policy failed legacy parsing",
	        {"Version": 2012, "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
	REFUSED(POLICY_IDENTITY, "Invalid Condition type : StringFoo",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                       "Condition": {"StringFoo": {"aws:username": "bob"}}}});
	REFUSED(POLICY_IDENTITY, "Invalid Condition type : ForAllValues:NullIfExists",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                       "Condition": {"ForAllValues:NullIfExists": {"aws:username": "true"}}}});
	REFUSED(POLICY_IDENTITY, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
	        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "GetItem", "Resource": "*"}});
	REFUSED(POLICY_IDENTITY, "Resource foo must be in ARN format or \"*\".",
	        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "foo"}});
	REFUSED(POLICY_IDENTITY, "is not a number",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                       "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}});
	REFUSED(POLICY_IDENTITY, "is not a date",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                       "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-13-01T00:00:00Z"}}}});
	REFUSED(POLICY_IDENTITY, "IP address",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                       "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}}});
	REFUSED(POLICY_IDENTITY, "IP address",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                       "Condition": {"NotIpAddress": {"aws:SourceIp": "2001:DB8::/129"}}}});
	REFUSED(POLICY_IDENTITY, "IP address",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
	                       "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113"}}}});
	REFUSED(POLICY_TRUST, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123:user/bob\"",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123:user/bob"},
	                       "Action": "sts:AssumeRole"}});
	/* unique ids: AIDA / AROA and 17 more upper-case letters or digits; no other prefix, no wildcard */
	REFUSED(POLICY_TRUST, "Invalid principal in policy: \"AWS\":\"AGPAQ2WERTYUIOPASDFG3\"",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": "AGPAQ2WERTYUIOPASDFG3"}, "Action": "sts:AssumeRole"}});
	REFUSED(POLICY_TRUST, "Invalid principal in policy: \"AWS\":\"AIDAq2wertyuiopasdfg3\"",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": "AIDAq2wertyuiopasdfg3"}, "Action": "sts:AssumeRole"}});
	REFUSED(POLICY_TRUST, "Invalid principal in policy: \"AWS\":\"AIDA*\"",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": "AIDA*"}, "Action": "sts:AssumeRole"}});
	REFUSED(POLICY_TRUST, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:user/*\"",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"},
	                       "Action": "sts:AssumeRole"}});
	REFUSED(POLICY_RESOURCE, "Invalid principal in policy: \"AWS\":\"bob\"",
	        {"Version": "2012-10-17",
	         "Statement": {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "bob"]}, "Action": "s3:*",
	                       "Resource": "*"}});
	/* What IAM accepts. */
	compile_ok(POLICY_TRUST,
	           J({"Version": "2012-10-17",
	              "Statement": [{"Effect": "Allow",
	                             "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root",
	                                                   "arn:aws:iam::444455556666:user/anay",
	                                                   "arn:aws:sts::444455556666:assumed-role/Ops/session"],
	                                           "Service": "ec2.amazonaws.com"},
	                             "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
	           __LINE__);
	compile_ok(POLICY_SCP,
	           J({"Version": "2012-10-17",
	              "Statement": {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "*"}}),
	           __LINE__);
	done();
}

/* ================================================================================================================
 * The engine's contract beyond AWS's decisions: evaluation allocates nothing; identical documents share one compiled
 * policy; the last reference frees it.
 * ============================================================================================================== */

#ifdef __SANITIZE_ADDRESS__
/* libasan's hook API (the header ships with clang only). */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
#endif

static bool counting;
static long n_malloc, n_free;

#ifdef __SANITIZE_ADDRESS__
static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	if (counting)
		n_malloc++;
}

static void on_free(const volatile void *p)
{
	(void)p;
	if (counting)
		n_free++;
}
#endif

/* Counts the heap calls from here to count_end(): every malloc and free under ASan (through its hooks: the unit
 * tests are built with it); elsewhere only the net change of glibc's in-use bytes (mallinfo2), counted as one
 * allocation or one free - it misses an allocation freed within the window. */
static size_t mi_before;

static void count_begin(void)
{
#ifdef __SANITIZE_ADDRESS__
	static bool installed;
	if (!installed) {
		assert_int_not_equal(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free), 0);
		installed = true;
	}
#endif
	n_malloc = n_free = 0;
	mi_before = mallinfo2().uordblks;
	counting = true;
}

static void count_end(void)
{
	size_t after = mallinfo2().uordblks;

	counting = false;
#ifndef __SANITIZE_ADDRESS__
	if (after > mi_before)
		n_malloc++;
	if (after < mi_before)
		n_free++;
#else
	(void)after;
#endif
}

static void test_evaluate_allocates_nothing(void **state)
{
	struct policy *id = CARLOS_IDENTITY;
	struct policy *vars = IDENTITY({
		"Version": "2012-10-17",
		"Statement": [
			{
				"Effect": "Allow",
				"Action": ["s3:Get*", "s3:List*"],
				"Resource": "arn:aws:s3:::home/${aws:username}/*",
				"Condition": {
					"StringLike": {"s3:prefix": "${aws:username}/*"},
					"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
					"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
					"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
					"ForAllValues:StringLike": {"aws:TagKeys": ["a*", "b?"]},
					"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:${aws:PrincipalAccount}:*"},
					"Bool": {"aws:SecureTransport": "true"}
				}
			}
		]
	});
	struct policy *trust = TRUST({
		"Version": "2012-10-17",
		"Statement": {
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::444455556666:root"},
			"Action": "sts:AssumeRole",
			"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
		}
	});
	struct policy *full = SCP({
		"Version": "2012-10-17",
		"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}
	});
	const struct policy_layer layers[] = {{LIST(full), 1, "r"}, {LIST(full), 1, "ou"}};
	struct policy_set set = {
		.identity = LIST(id, vars), .nidentity = 2, .resource = trust, .scp = layers, .nscp = 2};
	const struct policy_ctx_entry ctx[] = {
		KV("aws:username", "carlossalazar"),
		KV("s3:prefix", "carlossalazar/x"),
		KV("aws:SourceIp", "10.1.2.3"),
		KV("aws:CurrentTime", "2024-01-01T00:00:00Z"),
		KV("aws:MultiFactorAuthAge", "30"),
		KV("aws:MultiFactorAuthPresent", "true"),
		KM("aws:TagKeys", "alpha", "b1"),
		KV("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic"),
		KV("aws:PrincipalAccount", "123456789012"),
		KV("aws:SecureTransport", "true"),
	};
	const char *resources[] = {"arn:aws:s3:::home/carlossalazar/a",
	                           "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/x",
	                           "arn:aws:iam::123456789012:role/R", "*"};
	const char *actions[] = {"s3:GetObject", "s3:PutObject", "sts:AssumeRole", "iam:CreateRole"};
	int decided[3] = {0};

	(void)state;
	/* The counter counts (so that this test can fail). */
	{
		void *volatile probe;
		count_begin();
		probe = malloc(4096); /* beyond the tcache sizes; held across count_end(): mallinfo2 sees it too */
		count_end();
		free(probe);
		assert_true(n_malloc >= 1);
	}

	count_begin();
	for (int round = 0; round < 200; round++) {
		for (size_t a = 0; a < ARRAY_LEN(actions); a++) {
			for (size_t r = 0; r < ARRAY_LEN(resources); r++) {
				struct policy_request req = {.action = actions[a], .resource = resources[r],
				                             .resource_account = "123456789012", .principal = CARLOS,
				                             .principal_account = "123456789012", .ctx = ctx,
				                             .nctx = ARRAY_LEN(ctx)};
				struct policy_explain ex;
				decided[policy_evaluate(&req, &set, &ex)]++;
			}
		}
	}
	count_end();
	assert_int_equal(n_malloc, 0);
	assert_int_equal(n_free, 0);
	/* The loop decided both ways. */
	assert_true(decided[POLICY_ALLOWED] > 0);
	assert_true(decided[POLICY_EXPLICIT_DENY] > 0);
	assert_true(decided[POLICY_IMPLICIT_DENY] > 0);
}

static void test_compile_cache(void **state)
{
	const char *doc =
		J({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
	char err[POLICY_ERROR_MAX], other[256];
	struct policy *a, *b, *c, *d;

	(void)state;
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_IDENTITY, &a, err), C_OK);
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_IDENTITY, &b, err), C_OK);
	/* The same document compiles once: the same pointer, another reference. */
	assert_ptr_equal(a, b);
	/* Another kind of policy (other rules) or another document (one more space): another compiled policy. */
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_BOUNDARY, &c, err), C_OK);
	assert_ptr_not_equal(a, c);
	snprintf(other, sizeof(other), "%s ", doc);
	assert_int_equal(policy_compile(other, strlen(other), POLICY_IDENTITY, &d, err), C_OK);
	assert_ptr_not_equal(a, d);
	assert_int_equal(policy_statement_count(d), 1);
	/* policy_ref takes a reference too. */
	assert_ptr_equal(policy_ref(a), a);
	policy_release(a);
	policy_release(b);
	policy_release(c);
	policy_release(d);
	policy_release(a); /* the reference from policy_ref: the last one */
	policy_release(NULL);
}

static void test_release_last_reference_frees(void **state)
{
	const char *doc = J({"Version": "2012-10-17",
	                     "Statement": [{"Sid": "One", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
	                                    "Resource": ["arn:aws:s3:::release-test", "arn:aws:s3:::release-test/*"],
	                                    "Condition": {"StringLike": {"s3:prefix": "${aws:username}/*"}}}]});
	char err[POLICY_ERROR_MAX];
	struct policy *a, *b;
	size_t entries, bytes;

	(void)state;
	policy_cache_clear();
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_IDENTITY, &a, err), C_OK);
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_IDENTITY, &b, err), C_OK);
	assert_ptr_equal(a, b);
	policy_cache_stats(&entries, &bytes);
	assert_int_equal(entries, 1);
	assert_true(bytes > 0);
	/* Releasing every reference frees nothing: the cache keeps the compiled policy for the next request. */
	count_begin();
	policy_release(a);
	policy_release(b);
	count_end();
	assert_int_equal(n_free, 0);
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_IDENTITY, &b, err), C_OK);
	assert_ptr_equal(a, b);
	/* Dropped from the cache while held: its holder's release frees it. */
	policy_cache_clear();
	policy_cache_stats(&entries, &bytes);
	assert_int_equal(entries, 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(policy_statement_count(b), 1);
	count_begin();
	policy_release(b);
	count_end();
	assert_true(n_free >= 1);
	/* And a new compile of the same document works. */
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_IDENTITY, &a, err), C_OK);
	assert_int_equal(policy_statement_count(a), 1);
	policy_release(a);
	/* Not referenced and dropped: the cache frees it itself. */
	count_begin();
	policy_cache_clear();
	count_end();
	assert_true(n_free >= 1);
}

static void test_cache_is_bounded(void **state)
{
	char doc[256], err[POLICY_ERROR_MAX];
	struct policy *p, *first = NULL;
	size_t entries, bytes;
	const int n = 3000; /* each compiled policy holds one 16 KiB arena block: 3000 exceed the 32 MiB budget */

	(void)state;
	policy_cache_clear();
	for (int i = 0; i < n; i++) {
		snprintf(doc, sizeof(doc),
		         "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
		         "\"Resource\":\"arn:aws:s3:::bucket-%d/*\"}}",
		         i);
		assert_int_equal(policy_compile(doc, strlen(doc), POLICY_IDENTITY, &p, err), C_OK);
		if (i == 0)
			first = p; /* held: eviction drops the cache's reference, not this one */
		else
			policy_release(p);
	}
	policy_cache_stats(&entries, &bytes);
	assert_true(bytes <= (size_t)32 << 20);
	assert_true(entries < (size_t)n);
	assert_true(entries > 1000);
	/* The oldest entry was evicted, but the reference held on it is still good. */
	assert_int_equal(policy_statement_count(first), 1);
	policy_release(first);
	policy_cache_clear();
}

/* ---------------------------------------------------------------------------------------------------------------- */

/* The simulator's StartPosition / EndPosition: 1-based lines, the column just past each brace (AWS's example). */
static void test_statement_positions(void **state)
{
	static const char one[] = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
	                          "\"dynamodb:*\",\"Resource\":\"*\",\"Condition\":{\"DateGreaterThan\":"
	                          "{\"aws:CurrentTime\":\"2018-08-16T12:00:00Z\"}}}}";
	static const char list[] = "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Sid\": \"a}\\\"[\"},\n"
	                           "    {\n      \"Effect\": \"Deny\"\n    }\n  ],\n  \"Version\": \"2012-10-17\"\n}";
	struct policy_position a, b;

	UNUSED(state);
	assert_int_equal(policy_statement_position(one, strlen(one), 0, &a, &b), C_OK);
	assert_int_equal(a.line, 1);
	assert_int_equal(a.column, 38);
	assert_int_equal(b.line, 1);
	assert_int_equal(b.column, 167);
	assert_int_equal(policy_statement_position(one, strlen(one), 1, &a, &b), C_ERR);
	/* a brace and a quote inside a string do not end the statement */
	assert_int_equal(policy_statement_position(list, strlen(list), 0, &a, &b), C_OK);
	assert_int_equal(a.line, 3);
	assert_int_equal(a.column, 6);
	assert_int_equal(b.line, 3);
	assert_int_equal(b.column, 40);
	assert_int_equal(policy_statement_position(list, strlen(list), 1, &a, &b), C_OK);
	assert_int_equal(a.line, 4);
	assert_int_equal(a.column, 6);
	assert_int_equal(b.line, 6);
	assert_int_equal(b.column, 6);
	assert_int_equal(policy_statement_position(list, strlen(list), 2, &a, &b), C_ERR);
	assert_int_equal(policy_statement_position("[]", 2, 0, &a, &b), C_ERR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_eval_example_same_account),
		T(test_statement_positions),
		T(test_eval_explicit_and_implicit_denies),
		T(test_eval_explicit_deny_in_any_policy),
		T(test_eval_permissions_boundary),
		T(test_eval_permissions_boundary_delegation),
		T(test_eval_resource_policy_and_implicit_denies),
		T(test_eval_session_policies),
		T(test_eval_scps),
		T(test_eval_cross_account),
		T(test_eval_trust_policy_must_name_principal),
		T(test_eval_trust_policy_names_unique_ids),
		T(test_cond_string),
		T(test_cond_string_like_home_directory),
		T(test_cond_numeric),
		T(test_cond_date),
		T(test_cond_bool_secure_transport),
		T(test_cond_binary),
		T(test_cond_ip_address),
		T(test_cond_arn),
		T(test_cond_if_exists),
		T(test_cond_null),
		T(test_cond_mfa),
		T(test_cond_and_or),
		T(test_multi_dynamodb_attributes),
		T(test_multi_missing_or_empty),
		T(test_multi_tag_keys_deny),
		T(test_multi_negated),
		T(test_var_username_in_resource),
		T(test_var_principal_tag),
		T(test_var_in_conditions),
		T(test_var_special_characters),
		T(test_var_literal_without_2012_version),
		T(test_compile_messages),
		T(test_evaluate_allocates_nothing),
		T(test_compile_cache),
		T(test_release_last_reference_frees),
		T(test_cache_is_bounded),
	};
	int rc;

	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	policy_cache_clear();
	crypto_cleanup();
	return rc;
}
