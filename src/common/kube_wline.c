/*
 * kube_wline — the WATCH stream's framing: one JSON event per line.
 *
 * An API server writes events into HTTP chunks as it likes: a backlog packs
 * many events into one chunk and cuts the last across the boundary, a live
 * event may arrive in pieces.  Chunk boundaries therefore mean nothing here:
 * bytes are split on '\n' only, a line that is already whole inside the
 * data handed in is passed on without a copy, and only the unfinished tail
 * is kept, bounded (a line longer than the bound means the stream is not
 * what we think it is: the caller restarts it).  The parser of one line
 * accepts exactly {"type": ..., "object": {...}} and nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/kube_int.h"

void
kube_wline_init(struct kube_wline *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
}

void
kube_wline_free(struct kube_wline *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

void
kube_wline_reset(struct kube_wline *l)
{
	l->len = 0;
}

static int
emit(const char *p, size_t n, kube_line_cb *cb, void *arg)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n == 0 ? 0 : cb(arg, p, n);
}

static int
keep(struct kube_wline *l, const char *p, size_t n)
{
	size_t want = l->len + n;
	char *nb;

	if (want > l->max)
		return -1;
	if (want > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;

		while (cap < want)
			cap *= 2;
		if (cap > l->max)
			cap = l->max;
		if ((nb = realloc(l->buf, cap)) == NULL)
			return -1;
		l->buf = nb;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	return 0;
}

int
kube_wline_feed(struct kube_wline *l, const char *data, size_t len, kube_line_cb *cb, void *arg)
{
	const char *p = data, *end = data + len, *nl;
	size_t n;
	int rc;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (l->len > 0) {
			/* The line began in an earlier piece: finish it in the buffer. */
			if (keep(l, p, (size_t)(nl - p)) != 0)
				return -1;
			n = l->len;
			l->len = 0;
			rc = emit(l->buf, n, cb, arg);
		} else {
			if ((size_t)(nl - p) > l->max)
				return -1;
			rc = emit(p, (size_t)(nl - p), cb, arg);
		}
		if (rc != 0)
			return rc;
		p = nl + 1;
	}
	return p < end ? keep(l, p, (size_t)(end - p)) : 0;
}

static int
event_type(const char *s, enum kube_event_type *t)
{
	static const char *const names[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*t = (enum kube_event_type)i;
			return 0;
		}
	return -1;
}

int
kube_wevent_parse(const char *line, size_t len, enum kube_event_type *type, cJSON **obj,
    struct kube_status *st, char *err, size_t n)
{
	struct jerr je;
	cJSON *root, *o;
	const cJSON *t;
	int rc = -1;

	*obj = NULL;
	if ((root = json_parse_strict(line, len, KUBE_JSON_DEPTH, &je)) == NULL) {
		snprintf(err, n, "watch line is not JSON: %s", je.msg);
		return -1;
	}
	t = cJSON_GetObjectItemCaseSensitive(root, "type");
	o = cJSON_GetObjectItemCaseSensitive(root, "object");
	if (!cJSON_IsObject(root) || !cJSON_IsString(t) || !cJSON_IsObject(o)) {
		snprintf(err, n, "watch line is not an event (type and object)");
		goto out;
	}
	if (strcmp(t->valuestring, "ERROR") == 0) {
		kube_status_decode(o, st);
		rc = 1;
	} else if (event_type(t->valuestring, type) == 0) {
		rc = 0;
	} else {
		snprintf(err, n, "unknown watch event type");
		goto out;
	}
	*obj = cJSON_DetachItemViaPointer(root, o);
out:
	cJSON_Delete(root);
	return rc;
}
