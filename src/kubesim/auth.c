/* auth — see auth.h.  Tokens are compared in constant time. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kubesim/auth.h"
#include "kubesim/http.h"
#include "kubesim/reply.h"

static int
same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

const struct ksim_token ksim_anonymous = { NULL, "system:anonymous", 1 };

int
ksim_auth_identify(const struct ksim_conf *conf, const char *authz, const struct ksim_token **user)
{
	const char *tok;

	*user = NULL;
	if (conf->ntokens == 0)
		return 0;
	if (authz == NULL) {
		*user = &ksim_anonymous;
		return 0;
	}
	if (strncasecmp(authz, "Bearer ", 7) != 0)
		return 401;
	for (tok = authz + 7; *tok == ' '; tok++)
		;
	for (size_t i = 0; i < conf->ntokens; i++) {
		if (same(tok, conf->tokens[i].token)) {
			*user = &conf->tokens[i];
			return 0;
		}
	}
	return 401;
}

int
ksim_auth_allowed(const struct ksim_token *user, enum ksim_verb verb)
{
	if (user == &ksim_anonymous)
		return 0;
	if (user == NULL || !user->readonly)
		return 1;
	return verb == KSIM_V_GET || verb == KSIM_V_LIST || verb == KSIM_V_WATCH;
}

void
ksim_auth_forbid(struct ksim_call *c)
{
	const struct ksim_res *res = c->res;
	char q[128], who[640], scope[320], msg[1280];
	const char *sub = c->status_sub ? "/status" : "";

	ksim_res_qualified(res, q, sizeof(q));
	if (c->name[0] != '\0')
		snprintf(who, sizeof(who), "%s \"%s\"", q, c->name);
	else
		snprintf(who, sizeof(who), "%s", q);
	if (c->ns[0] != '\0')
		snprintf(scope, sizeof(scope), "in the namespace \"%s\"", c->ns);
	else
		snprintf(scope, sizeof(scope), "at the cluster scope");
	snprintf(msg, sizeof(msg), "%s is forbidden: User \"%s\" cannot %s resource \"%s%s\" in API "
	    "group \"%s\" %s", who, c->user->user, ksim_verb_name(c->verb), res->plural, sub,
	    res->group, scope);
	ksim_reply_status(c->req, &(struct ksim_status){ .code = 403, .reason = "Forbidden",
	    .message = msg, .name = c->name[0] != '\0' ? c->name : NULL, .group = res->group,
	    .kind = res->plural, .details = 1 });
}

void
ksim_auth_forbid_path(struct ksim_req *req, const struct ksim_token *user, const char *path)
{
	char verb[16], msg[1280];
	const char *m = ksim_req_method(req);
	size_t i;

	/* A non-resource request's verb is its method in lower case. */
	for (i = 0; m[i] != '\0' && i + 1 < sizeof(verb); i++)
		verb[i] = (char)(m[i] >= 'A' && m[i] <= 'Z' ? m[i] - 'A' + 'a' : m[i]);
	verb[i] = '\0';
	snprintf(msg, sizeof(msg), "forbidden: User \"%s\" cannot %s path \"%.1000s\"", user->user, verb, path);
	ksim_reply_status(req, &(struct ksim_status){ .code = 403, .reason = "Forbidden", .message = msg,
	    .details = 1 });
}
