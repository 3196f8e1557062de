/*
 * Watch streams from an API server: the line splitter must give the same
 * lines however the bytes are cut into pieces (the first byte of the input
 * picks the piece sizes), and every line goes through the event parser
 * without a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kube_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct acc {
	char *buf;
	size_t len, cap;
};

static int
on_line(void *arg, const char *line, size_t len)
{
	struct acc *a = arg;
	enum kube_event_type t;
	struct kube_status st;
	cJSON *obj;
	char err[160];

	if (a->len + len + 1 > a->cap) {
		a->cap = (a->len + len + 1) * 2;
		if ((a->buf = realloc(a->buf, a->cap)) == NULL)
			abort();
	}
	memcpy(a->buf + a->len, line, len);
	a->len += len;
	a->buf[a->len++] = '\n';
	if (kube_wevent_parse(line, len, &t, &obj, &st, err, sizeof(err)) >= 0 && obj == NULL)
		abort();
	cJSON_Delete(obj);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_wline whole, cut;
	struct acc a = { 0 }, b = { 0 };
	size_t step, off;
	int rw, rc = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	kube_wline_init(&whole, 4096);
	kube_wline_init(&cut, 4096);
	rw = kube_wline_feed(&whole, (const char *)data, size, on_line, &a);
	for (off = 0; off < size && rc == 0; off += step)
		rc = kube_wline_feed(&cut, (const char *)data + off,
		    size - off < step ? size - off : step, on_line, &b);
	/* Same verdict and, when both accepted, the same lines. */
	if ((rw == 0) != (rc == 0))
		abort();
	if (rw == 0 && (a.len != b.len || (a.len > 0 && memcmp(a.buf, b.buf, a.len) != 0)))
		abort();
	free(a.buf);
	free(b.buf);
	kube_wline_free(&whole);
	kube_wline_free(&cut);
	return 0;
}
