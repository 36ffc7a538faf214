/*
 * authzmsg.c - sts:DecodeAuthorizationMessage: the decoded form of an "encoded authorization failure message" this
 * server sealed for one of its denials (src/server/explain.h: rolegate returns one with --encode-denials, and
 * `rolegate audit --explain` prints the one of a recorded denial).
 *
 * Authorized like every action, by the engine (sts:DecodeAuthorizationMessage on "*"); a message that does not
 * open under this server's keys (garbage, tampered with, another server's, a session token) is refused as
 * InvalidAuthorizationMessageException. The answer is AWS's: DecodedMessage, a JSON string
 * {"allowed":false,"explicitDeny":...,"matchedStatements":{"items":[...]},"failures":{"items":[]},"context":{...}}.
 */
#include <stdlib.h>

#include "server/explain.h"
#include "sts/sts.h"
#include "util/common.h"

int sts_decode_authorization_message(struct call *c)
{
	const char *msg = call_str(c, "EncodedMessage");
	char *text = msg && c->srv->keyring ? explain_open(c->srv->keyring, msg) : NULL;

	if (!text)
		return aws_err_set(&c->err, ERR_INVALID_AUTHORIZATION_MESSAGE, "Message is not valid");
	json_object_set_new(c->out, "DecodedMessage", json_string(text));
	free(text);
	return C_OK;
}

static const struct action actions[] = {
	{"sts", "DecodeAuthorizationMessage", false, sts_resource_any, sts_decode_authorization_message},
};

ACTION_TABLE(sts_authzmsg_actions, actions);
