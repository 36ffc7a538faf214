/*
 * policy_bench.c - decisions per second of the policy engine, on one core:
 *
 *   a  the seed's trust policy: Ops may assume the role with MFA
 *      (Bool aws:MultiFactorAuthPresent, NumericLessThan aws:MultiFactorAuthAge), with the caller's identity policy
 *      that allows sts:AssumeRole (a cross-account AssumeRole needs both)
 *   b  a 10-statement identity policy with wildcards and three condition blocks
 *
 *   build/bench/policy-bench [SECONDS]     prints "case decisions/s result" lines and the heap growth during the
 *                                          timed loops (evaluation allocates nothing, so it is 0)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/policy.h"
#include "util/common.h"
#include "util/crypto.h"

static const char trust_doc[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
	"\"arn:aws:iam::111111111111:root\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"Bool\":"
	"{\"aws:MultiFactorAuthPresent\":\"true\"},\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":\"3600\"}}}]}";

static const char assume_doc[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
	"\"Resource\":\"arn:aws:iam::*:role/*\"}]}";

static const char identity_doc[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":["
	"{\"Effect\":\"Allow\",\"Action\":\"s3:Get*\",\"Resource\":\"arn:aws:s3:::logs-*/*\"},"
	"{\"Effect\":\"Allow\",\"Action\":[\"s3:List*\",\"s3:Describe*\"],\"Resource\":\"arn:aws:s3:::logs-*\"},"
	"{\"Effect\":\"Deny\",\"Action\":\"s3:Delete*\",\"Resource\":\"*\"},"
	"{\"Effect\":\"Allow\",\"Action\":\"ec2:Describe*\",\"Resource\":\"*\"},"
	"{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\",\"Resource\":\"arn:aws:dynamodb:*:222222222222:table/app-*\","
	"\"Condition\":{\"StringEquals\":{\"aws:RequestedRegion\":[\"eu-west-1\",\"us-east-1\"]}}},"
	"{\"Effect\":\"Allow\",\"Action\":\"sqs:*\",\"Resource\":\"arn:aws:sqs:*:222222222222:jobs-?\"},"
	"{\"Effect\":\"Deny\",\"NotAction\":[\"iam:Get*\",\"iam:List*\"],\"Resource\":\"arn:aws:iam::*:role/admin*\"},"
	"{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"arn:aws:kms:*:222222222222:key/*\","
	"\"Condition\":{\"StringLike\":{\"aws:PrincipalTag/team\":\"data-*\"}}},"
	"{\"Effect\":\"Allow\",\"Action\":\"lambda:Invoke*\",\"Resource\":\"arn:aws:lambda:*:222222222222:function:*\"},"
	"{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::uploads/${aws:username}/*\","
	"\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"192.168.0.0/16\"]}}}]}";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs evaluate for about secs seconds; returns decisions per second and the last decision. */
static double run(const struct policy_request *req, const struct policy_set *set, double secs,
                  enum policy_decision *last, long *heap_growth)
{
	struct mallinfo2 before = mallinfo2(), after;
	double start = now_s(), elapsed;
	long n = 0;

	do {
		for (int i = 0; i < 10000; i++)
			*last = policy_evaluate(req, set, NULL);
		n += 10000;
		elapsed = now_s() - start;
	} while (elapsed < secs);
	after = mallinfo2();
	*heap_growth = (long)after.uordblks - (long)before.uordblks;
	return (double)n / elapsed;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	char err[POLICY_ERROR_MAX];
	struct policy *trust, *identity, *assume;
	enum policy_decision d;
	long growth;
	double rate;

	if (crypto_init() != C_OK || policy_compile(trust_doc, strlen(trust_doc), POLICY_TRUST, &trust, err) != C_OK ||
	    policy_compile(identity_doc, strlen(identity_doc), POLICY_IDENTITY, &identity, err) != C_OK ||
	    policy_compile(assume_doc, strlen(assume_doc), POLICY_IDENTITY, &assume, err) != C_OK) {
		fprintf(stderr, "policy-bench: %s\n", err);
		return 1;
	}
	{
		/* a: anay (an Ops user, with MFA 300 s ago) assumes dev's admin role. */
		const char *mfa[] = {"true"}, *age[] = {"300"};
		const struct policy_ctx_entry ctx[] = {
			{"aws:MultiFactorAuthPresent", mfa, 1, false},
			{"aws:MultiFactorAuthAge", age, 1, false},
		};
		const struct policy_request req = {
			.action = "sts:AssumeRole",
			.resource = "arn:aws:iam::222222222222:role/admin",
			.resource_account = "222222222222",
			.principal = "arn:aws:iam::111111111111:user/anay",
			.principal_account = "111111111111",
			.ctx = ctx,
			.nctx = 2,
		};
		struct policy *const ids[] = {assume};
		const struct policy_set set = {.identity = ids, .nidentity = 1, .resource = trust};
		rate = run(&req, &set, secs, &d, &growth);
		printf("a trust-mfa %.0f %s heap+%ld\n", rate, policy_decision_name(d), growth);
	}
	{
		/* b: a user of account 222222222222 puts an object under its own prefix. */
		const char *user[] = {"abhi"}, *ip[] = {"10.1.2.3"}, *region[] = {"eu-west-1"}, *team[] = {"data-eng"};
		const struct policy_ctx_entry ctx[] = {
			{"aws:username", user, 1, false},
			{"aws:SourceIp", ip, 1, false},
			{"aws:RequestedRegion", region, 1, false},
			{"aws:PrincipalTag/team", team, 1, false},
		};
		const struct policy_request req = {
			.action = "s3:PutObject",
			.resource = "arn:aws:s3:::uploads/abhi/report.csv",
			.resource_account = "222222222222",
			.principal = "arn:aws:iam::222222222222:user/abhi",
			.principal_account = "222222222222",
			.ctx = ctx,
			.nctx = 4,
		};
		struct policy *const ids[] = {identity};
		const struct policy_set set = {.identity = ids, .nidentity = 1};
		rate = run(&req, &set, secs, &d, &growth);
		printf("b identity-10 %.0f %s heap+%ld\n", rate, policy_decision_name(d), growth);
	}
	policy_release(trust);
	policy_release(identity);
	policy_release(assume);
	crypto_cleanup();
	return 0;
}
