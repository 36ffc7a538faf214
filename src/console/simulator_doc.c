/*
 * simulator_doc.c - the text of a statement the policy simulator matched, for the simulator page.
 *
 * SimulatePrincipalPolicy names a statement by its policy (SourcePolicyId, SourcePolicyType) and its place in the
 * document (StartPosition / EndPosition). The page reads that document through the API, as the active identity, with
 * the calls an engineer would make: GetUserPolicy / GetRolePolicy for an inline policy, ListGroupsForUser +
 * GetGroupPolicy for a group's, the attached (or boundary) policy's ARN from ListAttached*Policies (or GetUser /
 * GetRole) then GetPolicy + GetPolicyVersion for a managed one. Each call is authorized like any other: an identity
 * that may not read its policies sees the statement's place only. IAM returns documents URL-encoded; they are
 * decoded with the form decoder (aws/form.h: IAM encodes '+' too, so its '+'-as-space rule never applies).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/form.h"
#include "console/session.h"
#include "console/simulator.h"
#include "store/iam_store.h"
#include "util/common.h"

#define EXCERPT_MAX 8192

/* One API call's string result at path (member names, NULL-terminated), or NULL; *out of the call kept in keep. */
static const char *call_str_at(struct console_req *cr, const char *op, json_t *in, json_t **keep, ...)
{
	struct aws_err err;
	json_t *v;
	va_list ap;
	const char *member;

	*keep = NULL;
	if (!in || console_call(cr, "iam", op, in, keep, &err) != C_OK) {
		json_decref(in);
		return NULL;
	}
	json_decref(in);
	v = *keep;
	va_start(ap, keep);
	while ((member = va_arg(ap, const char *)))
		v = json_object_get(v, member);
	va_end(ap);
	return json_string_value(v);
}

/* The URL-encoded document an IAM answer holds, decoded (caller frees), or NULL. */
static char *decode(const char *encoded)
{
	struct form_cursor c;
	struct buf key, value;
	char *out = NULL;

	if (!encoded)
		return NULL;
	buf_init(&key, POLICY_DOC_MAX);
	buf_init(&value, 16);
	form_cursor_init(&c, encoded, strlen(encoded));
	/* an encoded document has no literal '&' or '=': it decodes as one key */
	if (form_next(&c, &key, &value) == 1 && value.len == 0 && strlen(buf_str(&key)) == key.len)
		out = buf_steal(&key);
	buf_free(&key);
	buf_free(&value);
	return out;
}

/* The default version's document of managed policy arn. */
static char *managed_document(struct console_req *cr, const char *arn)
{
	json_t *k1, *k2;
	const char *version = call_str_at(cr, "GetPolicy", json_pack("{s:s}", "PolicyArn", arn), &k1, "Policy",
	                                  "DefaultVersionId", NULL);
	char *doc = NULL;

	if (version)
		doc = decode(call_str_at(cr, "GetPolicyVersion", json_pack("{s:s, s:s}", "PolicyArn", arn, "VersionId",
		                                                           version),
		                         &k2, "PolicyVersion", "Document", NULL));
	if (version)
		json_decref(k2);
	json_decref(k1);
	return doc;
}

static const char *jstr(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

/* The ARN of the managed policy `name` attached to an entity (op: ListAttachedUserPolicies...), or "". */
static void attached_arn(struct console_req *cr, const char *op, const char *member, const char *entity,
                         const char *name, char *out, size_t cap)
{
	struct aws_err err;
	json_t *in = json_pack("{s:s, s:i}", member, entity, "MaxItems", 1000), *res = NULL, *p;
	size_t i;

	out[0] = '\0';
	if (in && console_call(cr, "iam", op, in, &res, &err) == C_OK)
		json_array_foreach(json_object_get(res, "AttachedPolicies"), i, p)
		{
			if (strcmp(jstr(json_object_get(p, "PolicyName")), name) == 0)
				snprintf(out, cap, "%s", jstr(json_object_get(p, "PolicyArn")));
		}
	json_decref(in);
	json_decref(res);
}

/* The ARN of entity's permissions boundary into out when the policy is named name (GetUser or GetRole: op, its
 * name parameter and output member); out is left alone otherwise. */
static void boundary_arn(struct console_req *cr, const char *op, const char *param, const char *member,
                         const char *entity, const char *name, char *out, size_t cap)
{
	json_t *keep;
	const char *b = call_str_at(cr, op, json_pack("{s:s}", param, entity), &keep, member, "PermissionsBoundary",
	                            "PermissionsBoundaryArn", NULL);
	const char *slash = b ? strrchr(b, '/') : NULL;

	if (slash && strcmp(slash + 1, name) == 0)
		snprintf(out, cap, "%s", b);
	json_decref(keep);
}

/* The groups of user, as a JSON array of names (caller decrefs), or NULL. */
static json_t *user_groups(struct console_req *cr, const char *user)
{
	struct aws_err err;
	json_t *in = json_pack("{s:s, s:i}", "UserName", user, "MaxItems", 1000), *res = NULL, *names = json_array(), *g;
	size_t i;

	if (in && names && console_call(cr, "iam", "ListGroupsForUser", in, &res, &err) == C_OK)
		json_array_foreach(json_object_get(res, "Groups"), i, g)
			json_array_append(names, json_object_get(g, "GroupName"));
	json_decref(in);
	json_decref(res);
	return names;
}

/* The document of the policy a statement of a user's simulation came from. */
static char *user_document(struct console_req *cr, const char *user, const char *type, const char *name)
{
	char arn[ARN_MAX + 1];
	json_t *keep, *groups, *g;
	char *doc = NULL;
	size_t i;

	if (strcmp(type, "user") == 0) {
		doc = decode(call_str_at(cr, "GetUserPolicy", json_pack("{s:s, s:s}", "UserName", user, "PolicyName", name),
		                         &keep, "PolicyDocument", NULL));
		json_decref(keep);
		return doc;
	}
	groups = user_groups(cr, user);
	if (strcmp(type, "group") == 0) {
		json_array_foreach(groups, i, g)
		{
			if (doc)
				break;
			doc = decode(call_str_at(cr, "GetGroupPolicy",
			                         json_pack("{s:s, s:s}", "GroupName", jstr(g), "PolicyName", name), &keep,
			                         "PolicyDocument", NULL));
			json_decref(keep);
		}
		json_decref(groups);
		return doc;
	}
	/* a managed policy: attached to the user, to one of its groups, or its permissions boundary */
	attached_arn(cr, "ListAttachedUserPolicies", "UserName", user, name, arn, sizeof(arn));
	json_array_foreach(groups, i, g)
	{
		if (!arn[0])
			attached_arn(cr, "ListAttachedGroupPolicies", "GroupName", jstr(g), name, arn, sizeof(arn));
	}
	json_decref(groups);
	if (!arn[0])
		boundary_arn(cr, "GetUser", "UserName", "User", user, name, arn, sizeof(arn));
	return arn[0] ? managed_document(cr, arn) : NULL;
}

/* The document of the policy a statement of a role's simulation came from. */
static char *role_document(struct console_req *cr, const char *role, const char *type, const char *name)
{
	char arn[ARN_MAX + 1];
	json_t *keep;
	char *doc;

	if (strcmp(type, "role") == 0) {
		doc = decode(call_str_at(cr, "GetRolePolicy", json_pack("{s:s, s:s}", "RoleName", role, "PolicyName", name),
		                         &keep, "PolicyDocument", NULL));
		json_decref(keep);
		return doc;
	}
	attached_arn(cr, "ListAttachedRolePolicies", "RoleName", role, name, arn, sizeof(arn));
	if (!arn[0])
		boundary_arn(cr, "GetRole", "RoleName", "Role", role, name, arn, sizeof(arn));
	return arn[0] ? managed_document(cr, arn) : NULL;
}

/* The byte offset of (line, character column), both 1-based, in doc; -1 past its end. */
static long offset_of(const char *doc, int line, int column)
{
	int l = 1, col = 1;

	for (long i = 0; doc[i]; i++) {
		if (l == line && col == column && ((unsigned char)doc[i] & 0xC0) != 0x80)
			return i;
		if (doc[i] == '\n') {
			l++;
			col = 1;
		} else if (((unsigned char)doc[i] & 0xC0) != 0x80) {
			col++;
		}
	}
	return -1;
}

char *simulator_statement_text(struct console_req *cr, json_t *matched)
{
	const struct principal *who = cr->s ? &cr->s->active : NULL;
	const char *type = json_string_value(json_object_get(matched, "SourcePolicyType"));
	const char *name = json_string_value(json_object_get(matched, "SourcePolicyId"));
	json_t *sp = json_object_get(matched, "StartPosition"), *ep = json_object_get(matched, "EndPosition");
	char *doc = NULL, *text = NULL;
	long from, to;

	if (!who || !type || !name || !sp || !ep)
		return NULL;
	if (who->kind == PRINCIPAL_USER) {
		doc = user_document(cr, who->name, type, name);
	} else if (who->kind == PRINCIPAL_ROLE_SESSION) {
		const char *slash = strrchr(who->role_arn, '/');
		if (slash)
			doc = role_document(cr, slash + 1, type, name);
	}
	if (!doc)
		return NULL;
	/* AWS's columns are one past each brace */
	from = offset_of(doc, (int)json_integer_value(json_object_get(sp, "Line")),
	                 (int)json_integer_value(json_object_get(sp, "Column")) - 1);
	to = offset_of(doc, (int)json_integer_value(json_object_get(ep, "Line")),
	               (int)json_integer_value(json_object_get(ep, "Column")) - 1);
	if (from >= 0 && to >= from && doc[from] == '{' && doc[to] == '}' && to - from < EXCERPT_MAX) {
		text = malloc((size_t)(to - from) + 2);
		if (text) {
			memcpy(text, doc + from, (size_t)(to - from) + 1);
			text[to - from + 1] = '\0';
		}
	}
	free(doc);
	return text;
}
