/*
 * kubeconfig — registering a provider from the kubeconfig a user already has.
 *
 * Parsed with libyaml's document loader and walked to a fixed depth (the
 * context, its cluster and its user), so hostile YAML (aliases, deep
 * nesting) costs at most one linear load.  Only what a daemon can use is
 * accepted: embedded data (certificate-authority-data, client-*-data,
 * token).  References to local files, exec plugins and auth providers make
 * sense on a laptop, not on a server, and are refused with a message naming
 * the key.  Error messages never quote values: they may be credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "api/validate.h"
#include "common/json.h"

#define KC_VALUE_MAX 65536	/* a CA bundle or a key is far smaller */

void
api_kubeconn_free(struct api_kubeconn *k)
{
	free(k->server);
	free(k->ca_data);
	free(k->token);
	free(k->client_cert);
	free(k->client_key);
	memset(k, 0, sizeof(*k));
}

int
api_base64_valid(const char *s)
{
	size_t n = strlen(s), pad = 0;

	if (n == 0 || n % 4 == 1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return 0;	/* data after padding */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/'))
			return 0;
	}
	return pad <= 2 && (pad == 0 || n % 4 == 0);
}

static yaml_node_t *
map_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strlen(key) == k->data.scalar.length &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* The scalar text of NODE (NUL-terminated by libyaml), or NULL. */
static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE || n->data.scalar.length > KC_VALUE_MAX ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* In the list LIST of {name, SUB: {...}}, the SUB mapping of the entry called NAME. */
static yaml_node_t *
named(yaml_document_t *d, yaml_node_t *list, const char *name, const char *sub)
{
	if (list == NULL || list->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *i = list->data.sequence.items.start;
	    i < list->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(d, *i);
		const char *n = scalar(map_get(d, e, "name"));
		if (n != NULL && strcmp(n, name) == 0)
			return map_get(d, e, sub);
	}
	return NULL;
}

/* Copy the scalar KEY of MAP into *OUT if present; -1 if present but not a string. */
static int
take(yaml_document_t *d, yaml_node_t *map, const char *key, char **out, char *err, size_t n)
{
	yaml_node_t *v = map_get(d, map, key);
	const char *s = scalar(v);

	if (v == NULL)
		return 0;
	if (s == NULL || s[0] == '\0') {
		snprintf(err, n, "%s must be a non-empty string", key);
		return -1;
	}
	*out = strdup(s);
	return *out != NULL ? 0 : -1;
}

static int
refuse(yaml_document_t *d, yaml_node_t *map, const char *const *keys, char *err, size_t n)
{
	for (; *keys != NULL; keys++) {
		if (map_get(d, map, *keys) != NULL) {
			snprintf(err, n, "%s is not supported: embed the credentials "
			    "(certificate-authority-data, client-certificate-data, client-key-data, "
			    "token)", *keys);
			return -1;
		}
	}
	return 0;
}

static int
read_cluster(yaml_document_t *d, yaml_node_t *c, struct api_kubeconn *o, char *err, size_t n)
{
	static const char *const no[] = { "certificate-authority", NULL };
	const char *insecure;

	if (refuse(d, c, no, err, n) != 0 || take(d, c, "server", &o->server, err, n) != 0 ||
	    take(d, c, "certificate-authority-data", &o->ca_data, err, n) != 0)
		return -1;
	if (o->server == NULL) {
		snprintf(err, n, "the cluster has no server");
		return -1;
	}
	insecure = scalar(map_get(d, c, "insecure-skip-tls-verify"));
	o->insecure = insecure != NULL && strcmp(insecure, "true") == 0;
	return 0;
}

static int
read_user(yaml_document_t *d, yaml_node_t *u, struct api_kubeconn *o, char *err, size_t n)
{
	static const char *const no[] = { "client-certificate", "client-key", "tokenFile", "exec",
		"auth-provider", "username", "password", NULL };

	if (refuse(d, u, no, err, n) != 0 || take(d, u, "token", &o->token, err, n) != 0 ||
	    take(d, u, "client-certificate-data", &o->client_cert, err, n) != 0 ||
	    take(d, u, "client-key-data", &o->client_key, err, n) != 0)
		return -1;
	return 0;
}

static int
walk(yaml_document_t *d, const char *context, struct api_kubeconn *o, char *err, size_t n)
{
	yaml_node_t *root = yaml_document_get_root_node(d), *ctx, *cluster, *user;
	const char *cname, *uname;

	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		snprintf(err, n, "not a kubeconfig (expected a YAML mapping)");
		return -1;
	}
	if (context == NULL && (context = scalar(map_get(d, root, "current-context"))) == NULL) {
		snprintf(err, n, "no current-context: name the context to use with \"context\"");
		return -1;
	}
	ctx = named(d, map_get(d, root, "contexts"), context, "context");
	if (ctx == NULL) {
		snprintf(err, n, "no context named \"%.*s\"",
		    json_utf8_prefix(context, 60), context);
		return -1;
	}
	cname = scalar(map_get(d, ctx, "cluster"));
	uname = scalar(map_get(d, ctx, "user"));
	cluster = cname != NULL ? named(d, map_get(d, root, "clusters"), cname, "cluster") : NULL;
	if (cluster == NULL) {
		snprintf(err, n, "context \"%.*s\" names no known cluster",
		    json_utf8_prefix(context, 60), context);
		return -1;
	}
	if (read_cluster(d, cluster, o, err, n) != 0)
		return -1;
	user = uname != NULL ? named(d, map_get(d, root, "users"), uname, "user") : NULL;
	if (uname != NULL && user == NULL) {
		snprintf(err, n, "context \"%.*s\" names no known user",
		    json_utf8_prefix(context, 60), context);
		return -1;
	}
	return user != NULL ? read_user(d, user, o, err, n) : 0;
}

int
api_kubeconfig_parse(const char *text, size_t len, const char *context,
    struct api_kubeconn *out, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t d;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &d)) {
		snprintf(err, errlen, "YAML error at line %zu: %.80s", p.problem_mark.line + 1,
		    p.problem != NULL ? p.problem : "unknown");
		yaml_parser_delete(&p);
		return -1;
	}
	rc = walk(&d, context, out, err, errlen);
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	if (rc != 0)
		api_kubeconn_free(out);
	return rc;
}
