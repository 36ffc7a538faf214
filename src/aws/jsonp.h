/*
 * jsonp.h - the AWS JSON 1.1 protocol (Organizations): a JSON body in, JSON out, both shaped by the service model.
 *
 * A request is POST / with X-Amz-Target: <targetPrefix>.<Operation> and Content-Type application/x-amz-json-1.1.
 * Decoding checks the body's JSON types against the input shape (duplicate keys refused, depth bounded);
 * constraints are then checked by validate_input(). Errors are {"__type": CODE, "Message": ..., "Reason": ...}.
 */
#ifndef ROLEGATE_JSONP_H
#define ROLEGATE_JSONP_H

#include <jansson.h>

#include "aws/errors.h"
#include "aws/model.h"
#include "util/buf.h"

#define JSONP_CONTENT_TYPE "application/x-amz-json-1.1"

/* Parses body as the input of shape (NULL: any object). On C_OK *out is a new reference. SerializationException
 * when the body is not JSON of the right shape. */
int jsonp_decode(const struct shape *shape, const char *body, size_t len, json_t **out, struct aws_err *err);
/* Writes the result (NULL: "{}") shaped by the output shape. */
int jsonp_encode_result(const struct operation *op, json_t *result, struct buf *out);
/* Writes the error body. */
int jsonp_encode_error(const struct aws_err *err, struct buf *out);

#endif
