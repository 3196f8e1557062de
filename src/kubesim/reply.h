/*
 * reply — JSON responses and Kubernetes `Status` errors.
 *
 * Clients branch on a Status's reason and code and show its message to
 * people, so the wording and the `details` shape follow the captures of a
 * real apiserver (kube-samples/): NotFound and AlreadyExists name the
 * resource ("mongodbs.kubedb.com \"x\" not found", details.kind "mongodbs"),
 * Invalid names the Kind and lists causes.  Bodies go out compact, or
 * indented when the User-Agent is curl's, as the apiserver does.
 */
#ifndef KSIM_REPLY_H
#define KSIM_REPLY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "kubesim/res.h"

struct ksim_req;

struct ksim_cause {
	const char *reason;	/* FieldValueInvalid, FieldValueRequired, ... */
	const char *message;
	const char *field;
};

struct ksim_status {
	int code;
	const char *reason;		/* NULL: none (Success) */
	const char *message;		/* NULL: none */
	int details;			/* include "details" (even if empty) */
	const char *name, *group, *kind, *uid;
	const struct ksim_cause *causes;
	size_t ncauses;
	int retry_after;		/* details.retryAfterSeconds and Retry-After, if > 0 */
	const char *continue_tok;	/* metadata.continue (410 on an expired token) */
	int success;
};

/* Send JSON[0..LEN) (pretty for curl). */
void ksim_reply_json(struct ksim_req *r, int code, const char *json, size_t len, const char *extra);
/* Send ITEM as JSON (not freed). */
void ksim_reply_cjson(struct ksim_req *r, int code, const cJSON *item, const char *extra);
/* The Status object for S (caller frees). */
cJSON *ksim_status_json(const struct ksim_status *s);
void ksim_reply_status(struct ksim_req *r, const struct ksim_status *s);

/* The common errors, worded like the apiserver's. */
void ksim_reply_not_found(struct ksim_req *r, const struct ksim_res *res, const char *name);
void ksim_reply_exists(struct ksim_req *r, const struct ksim_res *res, const char *name);
void ksim_reply_conflict(struct ksim_req *r, const struct ksim_res *res, const char *name);
void ksim_reply_bad_request(struct ksim_req *r, const char *msg);
/* 422 Invalid on RES/NAME with one cause. */
void ksim_reply_invalid(struct ksim_req *r, const struct ksim_res *res, const char *name,
    const char *field, const char *cause_reason, const char *detail);
void ksim_reply_error(struct ksim_req *r, int code, const char *reason, const char *msg);
/* The plain-text "404 page not found" of unknown paths. */
void ksim_reply_page_not_found(struct ksim_req *r);

#endif
