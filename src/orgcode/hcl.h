/*
 * hcl.h - the little of HCL `rolegate export terraform` writes: quoted strings (escaped, `${` and `%{` doubled so
 * Terraform reads them literally), JSON documents as heredocs, and resource names (sanitised, unique per type).
 */
#ifndef ROLEGATE_ORGCODE_HCL_H
#define ROLEGATE_ORGCODE_HCL_H

#include <jansson.h>
#include <stdio.h>

/* Writes s as an HCL quoted string literal. */
void hcl_string(FILE *f, const char *s);
/* Writes `  key = "value"` and a newline (nothing when value is NULL). */
void hcl_attr(FILE *f, const char *key, const char *value);
/* Writes `  key = <<-EOT ... EOT` holding the JSON document doc (a policy; a string, or NULL for nothing) indented,
 * with `${` / `%{` escaped. Falls back to a quoted string when doc is not JSON. */
void hcl_document(FILE *f, const char *key, const char *doc);
/* Writes `  tags = { ... }` from an AWS Tags list [{Key, Value}] (nothing when empty or NULL). */
void hcl_tags(FILE *f, json_t *tags);

/* Unique resource names: a set of names already given, per resource type. */
struct hcl_names {
	json_t *used; /* {"type": {"name": true}} */
};
/* Writes into out (cap bytes) a Terraform name made of parts joined by "_" (lowercase letters, digits, _; starts
 * with a letter), unique for type (a suffix _2, _3... when taken). */
void hcl_name(struct hcl_names *n, const char *type, char *out, size_t cap, const char *a, const char *b);

#endif
