/*
 * query.h - the AWS query protocol (IAM, STS): form parameters in, XML out, both shaped by the service model.
 *
 * Decoding turns "Tags.member.1.Key=k&Tags.member.1.Value=v" into the JSON tree {"Tags":[{"Key":"k","Value":"v"}]}
 * following the input shape; handlers read that tree and fill a result tree that the encoder writes as
 * <OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>.
 *
 * Conventions for trees: strings are JSON strings, integers and longs JSON integers, booleans JSON booleans,
 * timestamps JSON numbers of seconds since the epoch, blobs base64 strings.
 */
#ifndef ROLEGATE_QUERY_H
#define ROLEGATE_QUERY_H

#include <jansson.h>

#include "aws/errors.h"
#include "aws/form.h"
#include "aws/model.h"
#include "util/buf.h"

/*
 * Builds the input tree for shape from the form (NULL shape: an empty object). Type errors (a non-number for an
 * integer) are reported as ValidationError; constraints are checked afterwards by validate_input(). On C_OK *out is
 * a new reference the caller releases with json_decref.
 */
int query_decode(const struct service_model *svc, const struct shape *shape, const struct form *f, json_t **out,
                 struct aws_err *err);

/* Writes the success envelope for op with result (may be NULL when the operation has no output). */
int query_encode_result(const struct service_model *svc, const struct operation *op, json_t *result,
                        const char *request_id, struct buf *out);

/* Writes the <ErrorResponse> envelope. */
int query_encode_error(const struct service_model *svc, const struct aws_err *err, const char *request_id,
                       struct buf *out);

#endif
