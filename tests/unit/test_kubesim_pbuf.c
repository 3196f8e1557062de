/*
 * The protobuf decoder for built-in kinds: a Namespace and a Secret encoded
 * the way kubectl does, and truncated or hostile input rejected safely.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kubesim/jsonx.h"
#include "kubesim/pbuf.h"

struct buf {
	unsigned char b[1024];
	size_t n;
};

static void
put_raw(struct buf *o, const void *p, size_t n)
{
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
put_varint(struct buf *o, uint64_t v)
{
	while (v >= 0x80) {
		o->b[o->n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	o->b[o->n++] = (unsigned char)v;
}

static void
put_bytes(struct buf *o, unsigned field, const void *p, size_t n)
{
	put_varint(o, (uint64_t)field << 3 | 2);
	put_varint(o, n);
	put_raw(o, p, n);
}

static void
put_str(struct buf *o, unsigned field, const char *s)
{
	put_bytes(o, field, s, strlen(s));
}

static void
put_entry(struct buf *o, unsigned field, const char *k, const void *v, size_t vn)
{
	struct buf e = { .n = 0 };

	put_str(&e, 1, k);
	put_bytes(&e, 2, v, vn);
	put_bytes(o, field, e.b, e.n);
}

/*
 * "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentType}.
 * Returns the offset just past raw: the one truncation that cuts no field
 * and still carries the object.
 */
static size_t
wrap(struct buf *out, const char *kind, const struct buf *raw)
{
	struct buf tm = { .n = 0 };
	size_t raw_end;

	put_raw(out, "k8s\0", 4);
	put_str(&tm, 1, "v1");
	put_str(&tm, 2, kind);
	put_bytes(out, 1, tm.b, tm.n);
	put_bytes(out, 2, raw->b, raw->n);
	raw_end = out->n;
	put_str(out, 4, "application/vnd.kubernetes.protobuf");
	return raw_end;
}

static void
test_namespace(void **state)
{
	struct buf meta = { .n = 0 }, ns = { .n = 0 }, spec = { .n = 0 }, out = { .n = 0 };
	char err[128];
	cJSON *o;

	(void)state;
	put_str(&meta, 1, "foo");
	put_entry(&meta, 11, "team", "db", 2);
	put_varint(&meta, 7 << 3 | 0);		/* generation: a varint field that is skipped */
	put_varint(&meta, 300);
	put_bytes(&ns, 1, meta.b, meta.n);
	put_str(&spec, 1, "kubernetes");
	put_bytes(&ns, 2, spec.b, spec.n);
	wrap(&out, "Namespace", &ns);
	assert_true(ksim_pb_is((char *)out.b, out.n));
	o = ksim_pb_decode(&ksim_res_table[0], (char *)out.b, out.n, err, sizeof(err));
	assert_non_null(o);
	assert_string_equal(ksim_json_str(o, "kind"), "Namespace");
	assert_string_equal(ksim_json_str(o, "apiVersion"), "v1");
	assert_string_equal(ksim_json_str(o, "metadata.name"), "foo");
	assert_string_equal(ksim_json_str(o, "metadata.labels.team"), "db");
	assert_string_equal(cJSON_GetArrayItem(ksim_json_at(o, "spec.finalizers"), 0)->valuestring, "kubernetes");
	cJSON_Delete(o);
}

static void
test_secret(void **state)
{
	struct buf meta = { .n = 0 }, sec = { .n = 0 }, out = { .n = 0 };
	char err[128];
	cJSON *o;

	(void)state;
	put_str(&meta, 1, "auth");
	put_str(&meta, 3, "demo");
	put_bytes(&sec, 1, meta.b, meta.n);
	put_entry(&sec, 2, "password", "hunter2", 7);
	put_entry(&sec, 2, "bin", "\x00\xff", 2);
	put_entry(&sec, 4, "user", "root", 4);
	put_str(&sec, 3, "Opaque");
	wrap(&out, "Secret", &sec);
	o = ksim_pb_decode(&ksim_res_table[1], (char *)out.b, out.n, err, sizeof(err));
	assert_non_null(o);
	assert_string_equal(ksim_json_str(o, "metadata.namespace"), "demo");
	assert_string_equal(ksim_json_str(o, "data.password"), "aHVudGVyMg==");
	assert_string_equal(ksim_json_str(o, "data.bin"), "AP8=");
	assert_string_equal(ksim_json_str(o, "stringData.user"), "root");
	assert_string_equal(ksim_json_str(o, "type"), "Opaque");
	cJSON_Delete(o);
}

static void
test_malformed(void **state)
{
	struct buf meta = { .n = 0 }, sec = { .n = 0 }, out = { .n = 0 };
	char err[128];
	size_t raw_end;

	(void)state;
	put_str(&meta, 1, "auth");
	put_bytes(&sec, 1, meta.b, meta.n);
	raw_end = wrap(&out, "Secret", &sec);
	/*
	 * A truncation that cuts a field, or drops raw, is rejected; dropping
	 * only the trailing contentType still leaves a whole object.
	 */
	for (size_t n = 4; n < out.n; n++) {
		cJSON *o = ksim_pb_decode(&ksim_res_table[1], (char *)out.b, n, err, sizeof(err));

		if (n == raw_end) {
			assert_non_null(o);
			assert_string_equal(ksim_json_str(o, "metadata.name"), "auth");
		} else {
			assert_null(o);
			assert_string_equal(err, "malformed protobuf body");
		}
		cJSON_Delete(o);
	}
	assert_null(ksim_pb_decode(&ksim_res_table[2], (char *)out.b, out.n, err, sizeof(err)));
	assert_null(ksim_pb_decode(&ksim_res_table[1], "k8s\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 15,
	    err, sizeof(err)));
	assert_null(ksim_pb_decode(&ksim_res_table[1], "k8s\0\x12\x7f", 6, err, sizeof(err)));
	assert_false(ksim_pb_is("{}", 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests_name("kubesim_pbuf", tests, NULL, NULL);
}
