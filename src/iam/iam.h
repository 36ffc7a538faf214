/*
 * iam.h - IAM actions (one file per resource family) and the helpers they share.
 */
#ifndef ROLEGATE_IAM_H
#define ROLEGATE_IAM_H

#include "server/call.h"

/* The action tables of the IAM families (see src/server/actions.c). */
extern const struct action_table iam_user_actions;
extern const struct action_table iam_access_key_actions;

/* users.c */
int iam_create_user(struct call *c);
int iam_get_user(struct call *c);
int iam_list_users(struct call *c);
int iam_update_user(struct call *c);
int iam_delete_user(struct call *c);
int iam_tag_user(struct call *c);
int iam_untag_user(struct call *c);
int iam_list_user_tags(struct call *c);
/* Resource: the user named by UserName (or the caller when it is absent). */
int iam_resource_user(struct call *c, char *out, size_t cap);
/* Resource: the user being created (CreateUser: Path + UserName). */
int iam_resource_new_user(struct call *c, char *out, size_t cap);
/* Resource: "arn:aws:iam::ACCT:user/" (ListUsers). */
int iam_resource_users(struct call *c, char *out, size_t cap);

/* access_keys.c */
int iam_create_access_key(struct call *c);
int iam_list_access_keys(struct call *c);
int iam_update_access_key(struct call *c);
int iam_delete_access_key(struct call *c);
int iam_get_access_key_last_used(struct call *c);
/* Resource: the owner of AccessKeyId. */
int iam_resource_key_owner(struct call *c, char *out, size_t cap);

/* common.c */
/* Loads the user `name` of the caller's account; NoSuchEntity with AWS's message when absent. */
int iam_load_user(struct call *c, const char *name, struct store_user *u);
/* The User structure as AWS returns it (with its tags when with_tags). NULL on failure. */
json_t *iam_user_json(struct call *c, const struct store_user *u, bool with_tags);
/* Checks a Tags list for duplicate keys (InvalidInput) and that existing + new distinct keys stay within 50
 * (LimitExceeded). existing_id NULL for a new resource. */
int iam_check_tags(struct call *c, json_t *tags, const char *existing_id, const char *quota_name);
/* Stores every tag of the Tags list on resource_id. */
int iam_put_tags(struct call *c, const char *resource_id, json_t *tags);
/* Appends the tags of resource_id to the JSON array arr. */
int iam_tags_json(struct call *c, const char *resource_id, int skip, int limit, json_t *arr);

/* Pagination (Marker / MaxItems / IsTruncated): a marker is opaque to clients; ours wraps a position. */
#define IAM_DEFAULT_MAX_ITEMS 100
/* Reads Marker into pos (cap bytes). "" when absent; InvalidInput when it is not one of ours. */
int iam_marker_read(struct call *c, char *pos, size_t cap);
/* Sets IsTruncated and (when truncated) Marker in c->out. */
int iam_marker_write(struct call *c, bool truncated, const char *pos);

#endif
