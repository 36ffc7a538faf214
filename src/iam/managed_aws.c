/*
 * managed_aws.c - the AWS-managed policies rolegate provides under arn:aws:iam::aws:policy/ (stored under the
 * pseudo-account "aws", visible to and attachable by every account):
 *
 *   AdministratorAccess   AWS's document, exactly
 *   PowerUserAccess       AWS's document (everything but iam:*, organizations:*, account:*, with the few IAM,
 *                         Organizations and Account actions AWS adds back)
 *   IAMFullAccess         AWS's document (iam:* and the Organizations reads IAM's console uses)
 *   IAMReadOnlyAccess     AWS's document (iam:Get*, iam:List*, report generation and simulation)
 *   ReadOnlyAccess        an APPROXIMATION: AWS's document lists several thousand read actions service by service;
 *                         this one allows the read verbs of every service by wildcard ("*:Get*", "*:List*",
 *                         "*:Describe*", "*:BatchGet*", "*:Search*", "*:View*", "*:Lookup*"). It allows a few reads
 *                         AWS's leaves out (e.g. secretsmanager:GetSecretValue) and misses the odd read action
 *                         whose name starts with another verb.
 *
 * They are created once, at every start if missing (bootstrap's transaction). When a later rolegate ships a
 * different document, it becomes a new default version, as AWS updates its managed policies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ids.h"
#include "iam/effective.h"
#include "iam/iam.h"
#include "store/iam_store.h"
#include "util/common.h"
#include "util/log.h"

/* 2015-02-06T18:39:46Z: when AWS created these policies (their CreateDate on AWS). */
#define AWS_MANAGED_CREATED_MS 1423247986000LL

struct aws_policy {
	const char *name;
	const char *description;
	const char *document;
};

static const struct aws_policy aws_policies[] = {
	{"AdministratorAccess", "Provides full access to AWS services and resources.",
	 "{\n"
	 "    \"Version\": \"2012-10-17\",\n"
	 "    \"Statement\": [\n"
	 "        {\n"
	 "            \"Effect\": \"Allow\",\n"
	 "            \"Action\": \"*\",\n"
	 "            \"Resource\": \"*\"\n"
	 "        }\n"
	 "    ]\n"
	 "}"},
	{"PowerUserAccess",
	 "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
	 "{\n"
	 "    \"Version\": \"2012-10-17\",\n"
	 "    \"Statement\": [\n"
	 "        {\n"
	 "            \"Effect\": \"Allow\",\n"
	 "            \"NotAction\": [\n"
	 "                \"iam:*\",\n"
	 "                \"organizations:*\",\n"
	 "                \"account:*\"\n"
	 "            ],\n"
	 "            \"Resource\": \"*\"\n"
	 "        },\n"
	 "        {\n"
	 "            \"Effect\": \"Allow\",\n"
	 "            \"Action\": [\n"
	 "                \"account:GetAccountInformation\",\n"
	 "                \"account:GetPrimaryEmail\",\n"
	 "                \"account:ListRegions\",\n"
	 "                \"iam:CreateServiceLinkedRole\",\n"
	 "                \"iam:DeleteServiceLinkedRole\",\n"
	 "                \"iam:ListRoles\",\n"
	 "                \"organizations:DescribeOrganization\"\n"
	 "            ],\n"
	 "            \"Resource\": \"*\"\n"
	 "        }\n"
	 "    ]\n"
	 "}"},
	{"ReadOnlyAccess", "Provides read-only access to AWS services and resources.",
	 "{\n"
	 "    \"Version\": \"2012-10-17\",\n"
	 "    \"Statement\": [\n"
	 "        {\n"
	 "            \"Sid\": \"ReadOnlyActions\",\n"
	 "            \"Effect\": \"Allow\",\n"
	 "            \"Action\": [\n"
	 "                \"*:BatchGet*\",\n"
	 "                \"*:Describe*\",\n"
	 "                \"*:Get*\",\n"
	 "                \"*:List*\",\n"
	 "                \"*:Lookup*\",\n"
	 "                \"*:Search*\",\n"
	 "                \"*:View*\"\n"
	 "            ],\n"
	 "            \"Resource\": \"*\"\n"
	 "        }\n"
	 "    ]\n"
	 "}"},
	{"IAMFullAccess", "Provides full access to IAM via the AWS Management Console.",
	 "{\n"
	 "    \"Version\": \"2012-10-17\",\n"
	 "    \"Statement\": [\n"
	 "        {\n"
	 "            \"Effect\": \"Allow\",\n"
	 "            \"Action\": [\n"
	 "                \"iam:*\",\n"
	 "                \"organizations:DescribeAccount\",\n"
	 "                \"organizations:DescribeOrganization\",\n"
	 "                \"organizations:DescribeOrganizationalUnit\",\n"
	 "                \"organizations:DescribePolicy\",\n"
	 "                \"organizations:ListChildren\",\n"
	 "                \"organizations:ListParents\",\n"
	 "                \"organizations:ListPoliciesForTarget\",\n"
	 "                \"organizations:ListRoots\",\n"
	 "                \"organizations:ListPolicies\",\n"
	 "                \"organizations:ListTargetsForPolicy\"\n"
	 "            ],\n"
	 "            \"Resource\": \"*\"\n"
	 "        }\n"
	 "    ]\n"
	 "}"},
	{"IAMReadOnlyAccess", "Provides read only access to IAM via the AWS Management Console.",
	 "{\n"
	 "    \"Version\": \"2012-10-17\",\n"
	 "    \"Statement\": [\n"
	 "        {\n"
	 "            \"Effect\": \"Allow\",\n"
	 "            \"Action\": [\n"
	 "                \"iam:GenerateCredentialReport\",\n"
	 "                \"iam:GenerateServiceLastAccessedDetails\",\n"
	 "                \"iam:Get*\",\n"
	 "                \"iam:List*\",\n"
	 "                \"iam:SimulateCustomPolicy\",\n"
	 "                \"iam:SimulatePrincipalPolicy\"\n"
	 "            ],\n"
	 "            \"Resource\": \"*\"\n"
	 "        }\n"
	 "    ]\n"
	 "}"},
};

/* Makes the stored policy's default version carry doc (a new version when it differs). */
static int refresh(struct db_tx *tx, const struct store_managed_policy *p, const char *doc, int64_t now_ms)
{
	struct store_policy_version v;
	int64_t oldest = 0;
	int rc = store_managed_get_version(tx, p->policy_id, p->default_version, &v);
	bool same;

	if (rc != C_OK)
		return C_ERR;
	same = strcmp(v.document, doc) == 0;
	store_policy_version_clear(&v);
	if (same)
		return C_OK;
	/* At most five versions: the oldest one goes first (it is never the default, which is the newest). */
	if (p->next_version - 1 >= IAM_POLICY_VERSIONS_MAX) {
		for (oldest = 1; oldest < p->next_version; oldest++) {
			rc = store_managed_delete_version(tx, p->policy_id, oldest);
			if (rc == C_OK)
				break;
			if (rc != STORE_NOT_FOUND)
				return C_ERR;
		}
	}
	log_info("updating the AWS-managed policy %s to rolegate's current document", p->arn);
	return store_managed_add_version(tx, p->policy_id, doc, true, now_ms, NULL);
}

int iam_ensure_aws_managed_policies(struct db_tx *tx, int64_t now_ms)
{
	for (size_t i = 0; i < ARRAY_LEN(aws_policies); i++) {
		const struct aws_policy *a = &aws_policies[i];
		struct store_managed_policy p;
		char arn[ARN_MAX + 1];
		int rc;

		snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy/%s", a->name);
		rc = store_managed_get(tx, arn, &p);
		if (rc == C_OK) {
			if (refresh(tx, &p, a->document, now_ms) != C_OK)
				return C_ERR;
			continue;
		}
		if (rc != STORE_NOT_FOUND)
			return C_ERR;
		memset(&p, 0, sizeof(p));
		id_unique("ANPA", p.policy_id);
		snprintf(p.account_id, sizeof(p.account_id), "aws");
		snprintf(p.arn, sizeof(p.arn), "%s", arn);
		snprintf(p.name, sizeof(p.name), "%s", a->name);
		snprintf(p.path, sizeof(p.path), "/");
		snprintf(p.description, sizeof(p.description), "%s", a->description);
		p.created_ms = p.updated_ms = AWS_MANAGED_CREATED_MS;
		if (store_managed_create(tx, &p, a->document) != C_OK)
			return C_ERR;
	}
	return C_OK;
}
