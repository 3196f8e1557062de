/*
 * auth — bearer tokens and what each may do.
 *
 * A token is either read-write or read-only (get, list, watch).  No token
 * configured means no authentication (plain local use).  A missing or
 * unknown token is 401; a known token asking for a verb it may not use is
 * 403 with the RBAC wording clients print ("User \"viewer\" cannot create
 * resource \"mongodbs\" in API group \"kubedb.com\" in the namespace ...").
 * A request without any Authorization header is, as on a real apiserver
 * with anonymous auth on (the default), user system:anonymous, whom RBAC
 * allows only the public paths (/version, /healthz, /livez, /readyz): 403
 * elsewhere, naming the resource or the path.
 */
#ifndef KSIM_AUTH_H
#define KSIM_AUTH_H

#include "kubesim/sim.h"

extern const struct ksim_token ksim_anonymous;

/* Who sent AUTHZ (an Authorization header; NULL: anonymous): 0 with *USER, or 401. */
int ksim_auth_identify(const struct ksim_conf *conf, const char *authz, const struct ksim_token **user);
/* 1 if USER (NULL: auth disabled) may use VERB. */
int ksim_auth_allowed(const struct ksim_token *user, enum ksim_verb verb);
/* Answer 403 for C (the message names user, verb, resource and scope). */
void ksim_auth_forbid(struct ksim_call *c);
/* Answer 403 for USER on a non-resource PATH. */
void ksim_auth_forbid_path(struct ksim_req *req, const struct ksim_token *user, const char *path);

#endif
