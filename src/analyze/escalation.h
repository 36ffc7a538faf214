/*
 * escalation.h - `rolegate analyze escalation`: the users and roles of the store that can raise their own
 * privileges, each finding with its path (principal -> the policy that grants the step -> the target it acts on ->
 * what it gains). Every step is decided by the one engine (policy_evaluate) on the principal's identity policies,
 * its permissions boundary and its account's SCPs; the methods are the catalogue of escalation_catalog.c (BishopFox
 * iam-vulnerable's 31 paths).
 */
#ifndef ROLEGATE_ANALYZE_ESCALATION_H
#define ROLEGATE_ANALYZE_ESCALATION_H

#include <stdbool.h>
#include <stddef.h>

/* What a catalogue method needs to hold, and what it acts on. */
enum esc_kind {
	ESC_OWN_POLICY_VERSION, /* iam:CreatePolicyVersion on a customer managed policy the principal is subject to */
	ESC_SET_DEFAULT,        /* iam:SetDefaultPolicyVersion to a stored version that grants more */
	ESC_OWN_USER,           /* an action on the principal's own user (AttachUserPolicy, PutUserPolicy) */
	ESC_OWN_GROUP,          /* an action on a group the user is in (AttachGroupPolicy, PutGroupPolicy) */
	ESC_ROLE,               /* an action on the role itself or a role it can assume (AttachRolePolicy, PutRolePolicy) */
	ESC_ADD_TO_GROUP,       /* iam:AddUserToGroup on a more privileged group */
	ESC_OTHER_USER,         /* credentials for a more privileged user (CreateAccessKey, Create/UpdateLoginProfile) */
	ESC_UPDATE_TRUST,       /* iam:UpdateAssumeRolePolicy + sts:AssumeRole on a more privileged role */
	ESC_ASSUME,             /* sts:AssumeRole (chains of any length) to a more privileged role */
	ESC_PASS_ROLE,          /* iam:PassRole of a more privileged role to a service + that service's actions */
	ESC_SERVICE_EXISTING,   /* a service's actions on an existing resource that runs as a more privileged role */
};

#define ESC_ACTIONS_MAX 6

/* One catalogue entry. */
struct esc_method {
	const char *id;      /* iam-vulnerable's name: "privesc1-CreateNewPolicyVersion" */
	const char *method;  /* short name shown in findings: "CreateNewPolicyVersion" */
	enum esc_kind kind;
	const char *actions[ESC_ACTIONS_MAX]; /* the step's actions, NULL-terminated: the first acts on the target */
	const char *service;  /* the service principal the passed or used role must trust (ESC_PASS_ROLE/_EXISTING) */
	int login_profile;    /* ESC_OTHER_USER: 0 any user, 1 one without a login profile, 2 one with */
	bool instance_profile; /* the role must be in an instance profile (EC2) */
	bool rolegate_serves; /* false: the service is not rolegate's; on AWS the step escalates */
};

/* The catalogue and its length. */
extern const struct esc_method esc_catalog[];
extern const size_t esc_catalog_len;

/* `rolegate analyze escalation [--data DIR | --postgres CONNINFO] [--account ID] [--format table|json]`. */
int analyze_escalation_main(int argc, char **argv);

#endif
