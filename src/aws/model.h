/*
 * model.h - AWS service models (shapes and operations), as botocore describes them.
 *
 * The tables are generated from botocore's service-2.json files by tools/gen-models.py into src/aws/models/,
 * for exactly the operations rolegate serves. They drive request decoding and validation (query.c, validate.c)
 * and response encoding, so names, nesting, list/map wrappers and constraints are AWS's own.
 */
#ifndef ROLEGATE_MODEL_H
#define ROLEGATE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum shape_type {
	SHAPE_STRING,
	SHAPE_INTEGER,
	SHAPE_LONG,
	SHAPE_BOOLEAN,
	SHAPE_TIMESTAMP,
	SHAPE_BLOB,
	SHAPE_DOUBLE,
	SHAPE_STRUCTURE,
	SHAPE_LIST,
	SHAPE_MAP,
};

struct shape;

struct shape_member {
	const char *name;          /* the member's name: the key in decoded JSON trees */
	const char *location_name; /* the wire name when it differs (query key / XML element), else NULL */
	const struct shape *shape;
	bool required;
};

struct shape {
	const char *name;
	enum shape_type type;
	bool has_min, has_max;
	int64_t min, max;        /* length for strings, lists and maps; value for numbers */
	int pattern;             /* index into the service's pattern table, or -1 */
	const char *const *enums; /* NULL-terminated, or NULL */
	bool sensitive;          /* never echoed in validation messages */
	/* structure */
	const struct shape_member *members;
	size_t nmembers;
	/* list */
	const struct shape *member;
	const char *member_name; /* "member" unless the model says otherwise */
	bool flattened;
	/* map */
	const struct shape *key, *value;
	const char *key_name, *value_name; /* "key" / "value" unless the model says otherwise */
};

struct operation {
	const char *name;          /* "CreateUser" */
	const struct shape *input; /* NULL when the operation takes none */
	const struct shape *output;
	const char *result_wrapper; /* "CreateUserResult", or NULL */
};

struct service_model {
	const char *id;            /* "iam", "sts", "organizations": also the SigV4 signing name */
	const char *api_version;   /* "2010-05-08" */
	const char *protocol;      /* "query" or "json" */
	const char *xml_namespace; /* query protocol */
	const char *target_prefix; /* json protocol: "AWSOrganizationsV20161128" */
	const char *json_version;  /* json protocol: "1.1" */
	const struct operation *ops;
	size_t nops;
	const char *const *patterns;        /* the regular expressions of this model, PCRE2 syntax */
	const char *const *pattern_sources; /* the same as the model writes them (Java syntax), for messages */
	size_t npatterns;
};

extern const struct service_model model_iam;
extern const struct service_model model_sts;
extern const struct service_model model_organizations;
extern const struct service_model model_cloudtrail;

/* Finds a service by its signing name ("iam", "sts"). NULL when rolegate does not serve it. */
const struct service_model *model_service(const char *id);
/* Finds an operation by exact name. NULL when the service has none of that name. */
const struct operation *model_operation(const struct service_model *svc, const char *name);
/* Finds a member of a structure shape by exact name. */
const struct shape_member *model_member(const struct shape *s, const char *name);

/* Compiles every pattern of every model (once, at start-up). C_ERR if one does not compile. */
int model_init(void);
void model_cleanup(void);
/* Whether the UTF-8 string s (len bytes) fully matches pattern idx of svc. */
bool model_pattern_match(const struct service_model *svc, int idx, const char *s, size_t len);

#endif
