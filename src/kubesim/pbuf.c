/* pbuf — see pbuf.h.  Field numbers from k8s.io/api/core/v1/generated.proto. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim/contok.h"
#include "kubesim/jsonx.h"
#include "kubesim/pbuf.h"

struct pb {
	const unsigned char *p;
	size_t n, i;
};

struct field {
	unsigned num;
	unsigned wire;
	uint64_t v;			/* varint value */
	const unsigned char *data;	/* length-delimited bytes */
	size_t len;
};

static int
varint(struct pb *b, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		unsigned char c;

		if (b->i >= b->n)
			return -1;
		c = b->p[b->i++];
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* The next field of B: 1, 0 at the end, -1 if malformed. */
static int
next_field(struct pb *b, struct field *f)
{
	uint64_t key, len;

	if (b->i >= b->n)
		return 0;
	if (varint(b, &key) < 0)
		return -1;
	f->num = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	switch (f->wire) {
	case 0:
		return varint(b, &f->v) < 0 ? -1 : 1;
	case 1:
		if (b->n - b->i < 8)
			return -1;
		b->i += 8;
		return 1;
	case 2:
		if (varint(b, &len) < 0 || len > b->n - b->i)
			return -1;
		f->data = b->p + b->i;
		f->len = (size_t)len;
		b->i += (size_t)len;
		return 1;
	case 5:
		if (b->n - b->i < 4)
			return -1;
		b->i += 4;
		return 1;
	default:
		return -1;
	}
}

static cJSON *
string_of(const struct field *f)
{
	char *s = malloc(f->len + 1);
	cJSON *j;

	if (s == NULL)
		return NULL;
	memcpy(s, f->data, f->len);
	s[f->len] = '\0';
	j = strlen(s) == f->len ? cJSON_CreateString(s) : NULL;	/* no NUL inside */
	free(s);
	return j;
}

/* A map<string,string|bytes> entry into OBJ (BYTES: the value is base64ed). */
static int
map_entry(cJSON *obj, const struct field *entry, int bytes)
{
	struct pb b = { entry->data, entry->len, 0 };
	struct field f;
	cJSON *k = NULL, *v = NULL;
	char *enc;
	int rc;

	while ((rc = next_field(&b, &f)) == 1) {
		if (f.wire != 2)
			continue;
		if (f.num == 1) {
			cJSON_Delete(k);
			k = string_of(&f);
		} else if (f.num == 2) {
			cJSON_Delete(v);
			v = NULL;
			if (!bytes)
				v = string_of(&f);
			else if ((enc = ksim_b64_encode(f.data, f.len)) != NULL) {
				v = cJSON_CreateString(enc);
				free(enc);
			}
		}
	}
	if (rc < 0 || k == NULL) {
		cJSON_Delete(k);
		cJSON_Delete(v);
		return -1;
	}
	rc = ksim_json_set(obj, k->valuestring, v != NULL ? v : cJSON_CreateString(""));
	cJSON_Delete(k);
	return rc;
}

static int
set_field_string(cJSON *obj, const char *key, const struct field *f)
{
	return f->wire == 2 ? ksim_json_set(obj, key, string_of(f)) : -1;
}

static int
append_string(cJSON *obj, const char *key, const struct field *f)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (f->wire != 2)
		return -1;
	if (arr == NULL && ksim_json_set(obj, key, cJSON_CreateArray()) == 0)
		arr = cJSON_GetObjectItemCaseSensitive(obj, key);
	return arr != NULL && cJSON_AddItemToArray(arr, string_of(f)) ? 0 : -1;
}

static int
decode_meta(cJSON *meta, const struct field *mf)
{
	static const char *const strs[] = { NULL, "name", "generateName", "namespace", NULL, "uid",
		"resourceVersion" };
	struct pb b = { mf->data, mf->len, 0 };
	struct field f;
	int rc;

	while ((rc = next_field(&b, &f)) == 1) {
		int r = 0;

		if (f.num >= 1 && f.num <= 6 && strs[f.num] != NULL)
			r = set_field_string(meta, strs[f.num], &f);
		else if (f.num == 11 || f.num == 12)
			r = map_entry(ksim_json_obj(meta, f.num == 11 ? "labels" : "annotations"), &f, 0);
		else if (f.num == 14)
			r = append_string(meta, "finalizers", &f);
		if (r < 0)
			return -1;
	}
	return rc;
}

/* The fields of a Namespace or Secret message into OBJ. */
static int
decode_object(const struct ksim_res *res, cJSON *obj, const struct field *raw)
{
	struct pb b = { raw->data, raw->len, 0 };
	struct field f;
	int rc, secret = res->type == KSIM_RES_SECRET;

	while ((rc = next_field(&b, &f)) == 1) {
		int r = 0;

		if (f.num == 1 && f.wire == 2)
			r = decode_meta(ksim_json_obj(obj, "metadata"), &f);
		else if (secret && f.num == 2 && f.wire == 2)
			r = map_entry(ksim_json_obj(obj, "data"), &f, 1);
		else if (secret && f.num == 3)
			r = set_field_string(obj, "type", &f);
		else if (secret && f.num == 4 && f.wire == 2)
			r = map_entry(ksim_json_obj(obj, "stringData"), &f, 0);
		else if (secret && f.num == 5 && f.wire == 0)
			r = ksim_json_set(obj, "immutable", cJSON_CreateBool(f.v != 0));
		else if (!secret && f.num == 2 && f.wire == 2) {
			struct pb sb = { f.data, f.len, 0 };
			struct field sf;

			while ((rc = next_field(&sb, &sf)) == 1)
				if (sf.num == 1 && append_string(ksim_json_obj(obj, "spec"), "finalizers", &sf) < 0)
					return -1;
			r = rc;
		}
		if (r < 0)
			return -1;
	}
	return rc;
}

int
ksim_pb_is(const char *body, size_t len)
{
	return len >= 4 && memcmp(body, "k8s\0", 4) == 0;
}

/* runtime.Unknown: typeMeta (1: apiVersion 1, kind 2), raw 2. */
static int
unwrap(struct pb *b, cJSON *obj, struct field *raw)
{
	struct field f;
	int rc, have_raw = 0;

	while ((rc = next_field(b, &f)) == 1) {
		if (f.num == 1 && f.wire == 2) {
			struct pb tb = { f.data, f.len, 0 };
			struct field tf;

			while ((rc = next_field(&tb, &tf)) == 1)
				if ((tf.num == 1 || tf.num == 2) &&
				    set_field_string(obj, tf.num == 1 ? "apiVersion" : "kind", &tf) < 0)
					return -1;
			if (rc < 0)
				return -1;
		} else if (f.num == 2 && f.wire == 2) {
			*raw = f;
			have_raw = 1;
		}
	}
	return rc < 0 || !have_raw ? -1 : 0;
}

cJSON *
ksim_pb_decode(const struct ksim_res *res, const char *body, size_t len, char *err, size_t errlen)
{
	struct pb b = { (const unsigned char *)body + 4, len - 4, 0 };
	struct field raw = { 0, 0, 0, NULL, 0 };
	cJSON *obj;

	if (!ksim_pb_is(body, len) || (res->type != KSIM_RES_NAMESPACE && res->type != KSIM_RES_SECRET)) {
		snprintf(err, errlen, "protobuf is served for namespaces and secrets only");
		return NULL;
	}
	if ((obj = cJSON_CreateObject()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (unwrap(&b, obj, &raw) < 0 || decode_object(res, obj, &raw) < 0) {
		cJSON_Delete(obj);
		snprintf(err, errlen, "malformed protobuf body");
		return NULL;
	}
	return obj;
}
