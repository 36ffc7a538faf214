/*
 * model.c - lookups in the generated service models, and their regular expressions compiled with PCRE2.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "aws/model.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/log.h"

static const struct service_model *const services[] = {&model_iam, &model_sts, &model_organizations,
                                                       &model_cloudtrail};

/* compiled[i][j]: pattern j of services[i]. Written once by model_init, read-only afterwards. */
static pcre2_code **compiled[ARRAY_LEN(services)];

const struct service_model *model_service(const char *id)
{
	for (size_t i = 0; i < ARRAY_LEN(services); i++)
		if (strcmp(services[i]->id, id) == 0)
			return services[i];
	return NULL;
}

static int op_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct operation *)elem)->name);
}

const struct operation *model_operation(const struct service_model *svc, const char *name)
{
	/* The generator sorts operations by name. */
	return bsearch(name, svc->ops, svc->nops, sizeof(svc->ops[0]), op_cmp);
}

const struct shape_member *model_member(const struct shape *s, const char *name)
{
	for (size_t i = 0; i < s->nmembers; i++)
		if (strcmp(s->members[i].name, name) == 0)
			return &s->members[i];
	return NULL;
}

static size_t service_index(const struct service_model *svc)
{
	for (size_t i = 0; i < ARRAY_LEN(services); i++)
		if (services[i] == svc)
			return i;
	abort();
}

int model_init(void)
{
	for (size_t i = 0; i < ARRAY_LEN(services); i++) {
		const struct service_model *svc = services[i];
		if (compiled[i])
			continue;
		compiled[i] = calloc(svc->npatterns ? svc->npatterns : 1, sizeof(pcre2_code *));
		if (!compiled[i])
			return C_ERR;
		for (size_t j = 0; j < svc->npatterns; j++) {
			int errcode;
			PCRE2_SIZE erroff;
			compiled[i][j] = pcre2_compile((PCRE2_SPTR)svc->patterns[j], PCRE2_ZERO_TERMINATED,
			                               PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &errcode, &erroff,
			                               NULL);
			if (!compiled[i][j]) {
				PCRE2_UCHAR msg[256];
				pcre2_get_error_message(errcode, msg, sizeof(msg));
				log_warnx("model %s: pattern %zu (%s) does not compile: %s", svc->id, j, svc->patterns[j],
				          (char *)msg);
				return C_ERR;
			}
			pcre2_jit_compile(compiled[i][j], PCRE2_JIT_COMPLETE);
		}
	}
	return C_OK;
}

void model_cleanup(void)
{
	for (size_t i = 0; i < ARRAY_LEN(services); i++) {
		if (!compiled[i])
			continue;
		for (size_t j = 0; j < services[i]->npatterns; j++)
			pcre2_code_free(compiled[i][j]);
		free(compiled[i]);
		compiled[i] = NULL;
	}
}

bool model_pattern_match(const struct service_model *svc, int idx, const char *s, size_t len)
{
	size_t si = service_index(svc);
	pcre2_match_data *md;
	int rc;

	if (idx < 0)
		return true;
	if (!compiled[si] || (size_t)idx >= svc->npatterns)
		return false;
	md = pcre2_match_data_create_from_pattern(compiled[si][idx], NULL);
	if (!md)
		return false;
	rc = pcre2_match(compiled[si][idx], (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}
