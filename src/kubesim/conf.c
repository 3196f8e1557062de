/* conf — see conf.h. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "kubesim/conf.h"

static const char usage_text[] =
    "usage: dbaasd-kubesim [-c FILE] [options]\n"
    "\n"
    "  -c, --config FILE            libconfig file (see etc/kubesim.conf)\n"
    "  -l, --listen HOST:PORT       address to listen on (default 127.0.0.1:0: a free port)\n"
    "      --tls                    generate a CA and serve HTTPS\n"
    "      --tls-host NAME          extra subjectAltName for the server certificate\n"
    "      --url-file FILE          write the URL here once listening\n"
    "      --kubeconfig FILE        write a kubeconfig for this server here\n"
    "      --ca-file FILE           write the CA certificate (PEM) here\n"
    "  -t, --token TOKEN[:USER[:ROLE]]  accept this bearer token (ROLE admin|readonly); repeatable\n"
    "  -n, --namespace NAME         create this namespace at start; repeatable\n"
    "      --provision-delay MS     database Provisioning -> Ready (default 2000)\n"
    "      --ops-delay MS           OpsRequest Progressing -> Successful (default 3000)\n"
    "      --delete-delay MS        finalizer runs this long after a delete (default 1000)\n"
    "      --halt-delay MS          Ready -> Halted (default 1000)\n"
    "      --gc-delay MS            garbage collector pass after a Foreground/Orphan delete (default 200)\n"
    "      --history N              watch events kept per resource at most (default 10000)\n"
    "      --history-seconds S      watch window: older events are dropped (default 75)...\n"
    "      --history-min N          ...once N newer ones exist (default 100)\n"
    "      --compaction-interval S  compaction period; continue tokens expire (default 300)\n"
    "      --bookmark-interval S    watch bookmark period (default 60)\n"
    "      --watch-timeout S        watch length without timeoutSeconds (default 1800)\n"
    "      --watch-buffer BYTES     per-watcher backlog before it stops being fed (default 1048576)\n"
    "      --rv-wait MS             wait before 504 for a too-large resourceVersion (default 3000)\n"
    "      --no-operator            no simulated KubeDB operator: a plain API server\n"
    "      --log-level LEVEL        debug, info, warn or error (default info)\n"
    "  -h, --help                   print this help\n";

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

static int
add_namespace(struct ksim_conf *c, const char *ns)
{
	char **nv;

	for (size_t i = 0; i < c->nnamespaces; i++)
		if (strcmp(c->namespaces[i], ns) == 0)
			return 0;
	nv = realloc(c->namespaces, (c->nnamespaces + 1) * sizeof(*nv));
	if (nv == NULL)
		return -1;
	c->namespaces = nv;
	if ((c->namespaces[c->nnamespaces] = strdup(ns)) == NULL)
		return -1;
	c->nnamespaces++;
	return 0;
}

int
ksim_conf_parse_token(const char *s, struct ksim_token *t, char *err, size_t errlen)
{
	char buf[512], *user, *role;

	memset(t, 0, sizeof(*t));
	if (strlen(s) >= sizeof(buf) || s[0] == '\0' || s[0] == ':') {
		snprintf(err, errlen, "token: expected TOKEN[:USER[:ROLE]], got \"%s\"", s);
		return -1;
	}
	strcpy(buf, s);
	user = strchr(buf, ':');
	if (user != NULL)
		*user++ = '\0';
	role = user != NULL ? strchr(user, ':') : NULL;
	if (role != NULL)
		*role++ = '\0';
	if (role != NULL && strcmp(role, "admin") != 0 && strcmp(role, "readonly") != 0) {
		snprintf(err, errlen, "token: role must be admin or readonly, got \"%s\"", role);
		return -1;
	}
	t->token = strdup(buf);
	t->user = strdup(user != NULL && user[0] != '\0' ? user : "admin");
	t->readonly = role != NULL && strcmp(role, "readonly") == 0;
	if (t->token == NULL || t->user == NULL) {
		free(t->token);
		free(t->user);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
add_token(struct ksim_conf *c, const struct ksim_token *t)
{
	struct ksim_token *nt = realloc(c->tokens, (c->ntokens + 1) * sizeof(*nt));

	if (nt == NULL)
		return -1;
	c->tokens = nt;
	c->tokens[c->ntokens++] = *t;
	return 0;
}

static int
parse_int(const char *name, const char *v, long min, long max, int *out, char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		snprintf(err, errlen, "%s: must be an integer from %ld to %ld, got \"%s\"", name, min, max, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static struct ksim_conf *
defaults(void)
{
	struct ksim_conf *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->listen = strdup("127.0.0.1:0");
	c->log_level = strdup("info");
	c->provision_ms = 2000;
	c->ops_ms = 3000;
	c->delete_ms = 1000;
	c->halt_ms = 1000;
	c->gc_ms = 200;
	c->history = 10000;
	c->history_s = 75;
	c->history_min = 100;
	c->compact_s = 300;
	c->bookmark_s = 60;
	c->watch_timeout_s = 1800;
	c->watch_buffer = 1024 * 1024;
	c->rv_wait_ms = 3000;
	c->operator_on = 1;
	if (c->listen == NULL || c->log_level == NULL || add_namespace(c, "default") < 0 ||
	    add_namespace(c, "kube-system") < 0 || add_namespace(c, "kube-public") < 0) {
		ksim_conf_free(c);
		return NULL;
	}
	return c;
}

void
ksim_conf_free(struct ksim_conf *c)
{
	if (c == NULL)
		return;
	free(c->listen);
	free(c->tls_host);
	free(c->url_file);
	free(c->kubeconfig);
	free(c->ca_file);
	free(c->log_level);
	for (size_t i = 0; i < c->ntokens; i++) {
		free(c->tokens[i].token);
		free(c->tokens[i].user);
	}
	free(c->tokens);
	for (size_t i = 0; i < c->nnamespaces; i++)
		free(c->namespaces[i]);
	free(c->namespaces);
	free(c);
}

struct int_setting {
	const char *name;
	long min, max;
	size_t off;
};

#define ISET(n, lo, hi, f) { n, lo, hi, offsetof(struct ksim_conf, f) }
static const struct int_setting int_settings[] = {
	ISET("provision_delay_ms", 0, 3600000, provision_ms),
	ISET("ops_delay_ms", 0, 3600000, ops_ms),
	ISET("delete_delay_ms", 0, 3600000, delete_ms),
	ISET("halt_delay_ms", 0, 3600000, halt_ms),
	ISET("gc_delay_ms", 0, 3600000, gc_ms),
	ISET("compaction_interval_s", 1, 86400, compact_s),
	ISET("history_seconds", 0, 86400, history_s),
	ISET("history_min", 0, 10000000, history_min),
	ISET("bookmark_interval_s", 1, 86400, bookmark_s),
	ISET("watch_timeout_s", 1, 86400, watch_timeout_s),
	ISET("rv_wait_ms", 0, 60000, rv_wait_ms),
};

/* The string and boolean settings of the file. */
static void
load_file_strings(struct ksim_conf *c, config_t *cf)
{
	static const struct { const char *name; size_t off; } strs[] = {
		{ "listen", offsetof(struct ksim_conf, listen) },
		{ "tls_host", offsetof(struct ksim_conf, tls_host) },
		{ "url_file", offsetof(struct ksim_conf, url_file) },
		{ "kubeconfig", offsetof(struct ksim_conf, kubeconfig) },
		{ "ca_file", offsetof(struct ksim_conf, ca_file) },
		{ "log_level", offsetof(struct ksim_conf, log_level) },
	};
	const char *s;
	int b;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (config_lookup_string(cf, strs[i].name, &s))
			set_str((char **)((char *)c + strs[i].off), s);
	if (config_lookup_bool(cf, "tls", &b))
		c->tls = b;
	if (config_lookup_bool(cf, "operator", &b))
		c->operator_on = b;
}

/* The numeric settings of the file, each within its range. */
static int
load_file_numbers(struct ksim_conf *c, config_t *cf, const char *path, char *err, size_t errlen)
{
	int v;

	for (size_t i = 0; i < sizeof(int_settings) / sizeof(int_settings[0]); i++) {
		if (!config_lookup_int(cf, int_settings[i].name, &v))
			continue;
		if (v < int_settings[i].min || v > int_settings[i].max) {
			snprintf(err, errlen, "%s: %s: must be from %ld to %ld, got %d", path,
			    int_settings[i].name, int_settings[i].min, int_settings[i].max, v);
			return -1;
		}
		*(int *)((char *)c + int_settings[i].off) = v;
	}
	if (config_lookup_int(cf, "history", &v)) {
		if (v < 1 || v > 10000000) {
			snprintf(err, errlen, "%s: history: must be from 1 to 10000000, got %d", path, v);
			return -1;
		}
		c->history = (size_t)v;
	}
	if (config_lookup_int(cf, "watch_buffer_bytes", &v)) {
		if (v < 4096) {
			snprintf(err, errlen, "%s: watch_buffer_bytes: must be at least 4096, got %d", path, v);
			return -1;
		}
		c->watch_buffer = (size_t)v;
	}
	return 0;
}

/* Scalars and lists of the file, checked one by one. */
static int
load_file_settings(struct ksim_conf *c, config_t *cf, const char *path, char *err, size_t errlen)
{
	config_setting_t *list;

	load_file_strings(c, cf);
	if (load_file_numbers(c, cf, path, err, errlen) < 0)
		return -1;
	if ((list = config_lookup(cf, "namespaces")) != NULL) {
		for (int i = 0; i < config_setting_length(list); i++) {
			const char *ns = config_setting_get_string_elem(list, i);

			if (ns == NULL || add_namespace(c, ns) < 0) {
				snprintf(err, errlen, "%s:%d: namespaces: must be a list of names", path,
				    config_setting_source_line(list));
				return -1;
			}
		}
	}
	return 0;
}

static int
load_file_tokens(struct ksim_conf *c, config_t *cf, const char *path, char *err, size_t errlen)
{
	config_setting_t *list = config_lookup(cf, "tokens");

	for (int i = 0; list != NULL && i < config_setting_length(list); i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *tok = NULL, *user = "admin", *role = "admin";
		struct ksim_token t;
		char spec[600];

		if (e == NULL || !config_setting_lookup_string(e, "token", &tok)) {
			snprintf(err, errlen, "%s:%d: tokens: each entry needs token = \"...\"", path,
			    e != NULL ? config_setting_source_line(e) : 0);
			return -1;
		}
		config_setting_lookup_string(e, "user", &user);
		config_setting_lookup_string(e, "role", &role);
		snprintf(spec, sizeof(spec), "%s:%s:%s", tok, user, role);
		if (ksim_conf_parse_token(spec, &t, err, errlen) < 0)
			return -1;
		if (add_token(c, &t) < 0) {
			free(t.token);
			free(t.user);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int
load_file(struct ksim_conf *c, const char *path, char *err, size_t errlen)
{
	config_t cf;
	int rc = -1;

	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		snprintf(err, errlen, "%s:%d: %s", config_error_file(&cf) != NULL ? config_error_file(&cf) : path,
		    config_error_line(&cf), config_error_text(&cf));
		goto out;
	}
	if (load_file_settings(c, &cf, path, err, errlen) == 0 &&
	    load_file_tokens(c, &cf, path, err, errlen) == 0)
		rc = 0;
out:
	config_destroy(&cf);
	return rc;
}

enum {
	O_TLS = 256, O_TLS_HOST, O_URL_FILE, O_KUBECONFIG, O_CA_FILE, O_PROVISION, O_OPS, O_DELETE,
	O_HALT, O_GC, O_HISTORY, O_HISTORY_S, O_HISTORY_MIN, O_COMPACT, O_BOOKMARK, O_WATCH_TIMEOUT, O_WATCH_BUFFER, O_RV_WAIT, O_LOG_LEVEL,
	O_NO_OPERATOR,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "tls", no_argument, NULL, O_TLS },
	{ "tls-host", required_argument, NULL, O_TLS_HOST },
	{ "url-file", required_argument, NULL, O_URL_FILE },
	{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
	{ "ca-file", required_argument, NULL, O_CA_FILE },
	{ "token", required_argument, NULL, 't' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "provision-delay", required_argument, NULL, O_PROVISION },
	{ "ops-delay", required_argument, NULL, O_OPS },
	{ "delete-delay", required_argument, NULL, O_DELETE },
	{ "halt-delay", required_argument, NULL, O_HALT },
	{ "gc-delay", required_argument, NULL, O_GC },
	{ "history", required_argument, NULL, O_HISTORY },
	{ "history-seconds", required_argument, NULL, O_HISTORY_S },
	{ "history-min", required_argument, NULL, O_HISTORY_MIN },
	{ "compaction-interval", required_argument, NULL, O_COMPACT },
	{ "bookmark-interval", required_argument, NULL, O_BOOKMARK },
	{ "watch-timeout", required_argument, NULL, O_WATCH_TIMEOUT },
	{ "watch-buffer", required_argument, NULL, O_WATCH_BUFFER },
	{ "rv-wait", required_argument, NULL, O_RV_WAIT },
	{ "log-level", required_argument, NULL, O_LOG_LEVEL },
	{ "no-operator", no_argument, NULL, O_NO_OPERATOR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One command-line option.  0, or -1 with ERR. */
static int
apply_opt(struct ksim_conf *c, int opt, const char *arg, char *err, size_t errlen)
{
	struct ksim_token t;
	int v;

	switch (opt) {
	case 'l': set_str(&c->listen, arg); return 0;
	case O_TLS: c->tls = 1; return 0;
	case O_TLS_HOST: set_str(&c->tls_host, arg); return 0;
	case O_URL_FILE: set_str(&c->url_file, arg); return 0;
	case O_KUBECONFIG: set_str(&c->kubeconfig, arg); return 0;
	case O_CA_FILE: set_str(&c->ca_file, arg); return 0;
	case O_LOG_LEVEL: set_str(&c->log_level, arg); return 0;
	case O_NO_OPERATOR: c->operator_on = 0; return 0;
	case 'n':
		if (add_namespace(c, arg) == 0)
			return 0;
		snprintf(err, errlen, "out of memory");
		return -1;
	case 't':
		if (ksim_conf_parse_token(arg, &t, err, errlen) < 0)
			return -1;
		if (add_token(c, &t) == 0)
			return 0;
		free(t.token);
		free(t.user);
		snprintf(err, errlen, "out of memory");
		return -1;
	case O_PROVISION: return parse_int("--provision-delay", arg, 0, 3600000, &c->provision_ms, err, errlen);
	case O_OPS: return parse_int("--ops-delay", arg, 0, 3600000, &c->ops_ms, err, errlen);
	case O_DELETE: return parse_int("--delete-delay", arg, 0, 3600000, &c->delete_ms, err, errlen);
	case O_GC: return parse_int("--gc-delay", arg, 0, 3600000, &c->gc_ms, err, errlen);
	case O_HALT: return parse_int("--halt-delay", arg, 0, 3600000, &c->halt_ms, err, errlen);
	case O_COMPACT: return parse_int("--compaction-interval", arg, 1, 86400, &c->compact_s, err, errlen);
	case O_BOOKMARK: return parse_int("--bookmark-interval", arg, 1, 86400, &c->bookmark_s, err, errlen);
	case O_WATCH_TIMEOUT: return parse_int("--watch-timeout", arg, 1, 86400, &c->watch_timeout_s, err, errlen);
	case O_HISTORY_S: return parse_int("--history-seconds", arg, 0, 86400, &c->history_s, err, errlen);
	case O_HISTORY_MIN: return parse_int("--history-min", arg, 0, 10000000, &c->history_min, err, errlen);
	case O_RV_WAIT: return parse_int("--rv-wait", arg, 0, 60000, &c->rv_wait_ms, err, errlen);
	case O_HISTORY:
		if (parse_int("--history", arg, 1, 10000000, &v, err, errlen) < 0)
			return -1;
		c->history = (size_t)v;
		return 0;
	case O_WATCH_BUFFER:
		if (parse_int("--watch-buffer", arg, 4096, INT_MAX, &v, err, errlen) < 0)
			return -1;
		c->watch_buffer = (size_t)v;
		return 0;
	default:
		snprintf(err, errlen, "unknown option (see --help)");
		return -1;
	}
}

struct ksim_conf *
ksim_conf_load(int argc, char **argv, int *exit_now, char *err, size_t errlen)
{
	struct ksim_conf *c = defaults();
	int opt;

	*exit_now = 0;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* The file first, so that flags override it wherever they appear. */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:l:t:n:h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage_text, stdout);
			*exit_now = 1;
			ksim_conf_free(c);
			return NULL;
		}
		if (opt == '?') {
			snprintf(err, errlen, "invalid option (see --help)");
			goto fail;
		}
		if (opt == 'c' && load_file(c, optarg, err, errlen) < 0)
			goto fail;
	}
	if (optind != argc) {
		snprintf(err, errlen, "unexpected argument \"%s\"", argv[optind]);
		goto fail;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:l:t:n:h", long_opts, NULL)) != -1)
		if (opt != 'c' && apply_opt(c, opt, optarg, err, errlen) < 0)
			goto fail;
	return c;
fail:
	ksim_conf_free(c);
	return NULL;
}
