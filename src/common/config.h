/*
 * config — the one libconfig file, parsed into an immutable struct.
 *
 * A single table (config.c: settings[]) describes every scalar setting: its
 * path, type, default, allowed range or values and a one-line doc.  Loading
 * walks the file against the table, so unknown settings, wrong types and
 * out-of-range values are all reported the same way, as
 *   FILE:LINE: SECTION.NAME: problem
 * The size catalog and engine catalog are lists validated by their own code.
 *
 * A struct cfg is never modified after cfg_load() returns: a reload loads a
 * new one and swaps the pointer, then frees the old one.
 */
#ifndef DBAAS_CONFIG_H
#define DBAAS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"

#define CFG_DEFAULT_PATH "/etc/dbaasd/dbaasd.conf"
/* Exit status of a child that must not be restarted (bad configuration). */
#define CFG_EXIT_FATAL 78	/* EX_CONFIG from sysexits.h */

enum cfg_engine_id {
	ENGINE_MONGODB,
	ENGINE_POSTGRES,
	ENGINE_MYSQL,
	ENGINE_MARIADB,
	ENGINE_REDIS,
	ENGINE_COUNT
};

struct cfg_size {
	char *name;
	char *cpu;		/* Kubernetes quantity as written, e.g. "500m" */
	char *memory;		/* e.g. "1Gi" */
	int64_t cpu_milli;	/* parsed, exact */
	int64_t memory_bytes;
};

struct cfg_engine {
	int enabled;		/* listed in the file (or defaults) */
	char **versions;
	size_t nversions;
	int replicas_min;	/* for replicated topologies */
	int replicas_max;
	int standalone;		/* 1 replica allowed as a fixed standalone topology */
};

struct cfg {
	char *path;
	struct {
		char *uri;
		char *database;
		int connect_timeout_ms;
		int socket_timeout_ms;
		int server_selection_timeout_ms;
		int op_timeout_ms;
	} mongodb;
	struct {
		char *host;
		int port;
		char *password;
		int db;
		char *prefix;
		int connect_timeout_ms;
		int command_timeout_ms;
		int reconnect_max_ms;
	} redis;
	struct {
		char *listen;
		int processes;
		int threads;
		int backlog;
		int max_body_bytes;
		int max_header_bytes;
		int request_timeout_ms;
		int drain_timeout_s;
		char *bootstrap_admin_key_file;
		char *namespace_prefix;
		int page_limit_default;
		int page_limit_max;
		int idempotency_ttl_s;
		int key_cache_ttl_ms;
	} api;
	struct {
		int enabled;
		int resync_interval_s;
		int lease_ttl_ms;
		int lease_renew_ms;
		int watch_timeout_s;
		int list_page_size;
		int max_inflight_per_provider;
	} reconciler;
	struct {
		int count;
		int slots;
		int max_deliveries;
		int claim_idle_ms;
		int block_ms;
		int drain_timeout_s;
		int operation_timeout_s;
		int poll_interval_ms;
	} workers;
	struct {
		int connect_timeout_ms;
		int request_timeout_ms;
		double qps;
		int burst;
		int retry_max;
		int retry_initial_ms;
		int retry_max_ms;
		int breaker_threshold;
		int breaker_cooldown_ms;
		int max_inflight;
		int ops_timeout_s;
	} kube;
	struct {
		int shutdown_timeout_s;
		int hang_timeout_s;
		int heartbeat_interval_ms;
		int restart_initial_ms;
		int restart_max_ms;
		int restart_reset_s;
		int restart_intensity;
		int restart_period_s;
		char *pidfile;
	} supervisor;
	struct {
		char *level_name;
		enum log_level level;
		char *file;
	} log;
	struct cfg_size *sizes;
	size_t nsizes;
	struct cfg_engine engines[ENGINE_COUNT];
};

/* Kinds of scalar settings in the table. */
enum cfg_type { CFG_INT, CFG_BOOL, CFG_STRING, CFG_DOUBLE };

struct cfg_setting {
	const char *path;		/* "workers.count" */
	enum cfg_type type;
	size_t offset;			/* into struct cfg */
	double min, max;		/* CFG_INT, CFG_DOUBLE: range; CFG_STRING: length */
	int64_t idef;			/* default for CFG_INT / CFG_BOOL */
	double ddef;			/* default for CFG_DOUBLE */
	const char *sdef;		/* default for CFG_STRING */
	const char *const *choices;	/* CFG_STRING: allowed values, NULL = any */
	const char *doc;
};

/*
 * Load and validate PATH.  Returns a new struct (free with cfg_free) or NULL
 * with ERR holding one line per problem ("file:line: setting: message").
 */
struct cfg *cfg_load(const char *path, char *err, size_t errlen);
/* Defaults only, as if the file were empty (for --role debugging and tests). */
struct cfg *cfg_defaults(void);
void cfg_free(struct cfg *cfg);

/* The settings table, for documentation and tests. */
const struct cfg_setting *cfg_settings(size_t *n);

/* 1 if every setting under SECTION ("workers", "sizes", ...) is equal in A and B. */
int cfg_section_equal(const struct cfg *a, const struct cfg *b, const char *section);
/* The same, not comparing the settings ("section.name") listed in EXCEPT (NULL-terminated). */
int cfg_section_equal_except(const struct cfg *a, const struct cfg *b, const char *section,
    const char *const *except);
/* 1 if the scalar setting PATH ("workers.count") is equal in A and B. */
int cfg_setting_equal(const struct cfg *a, const struct cfg *b, const char *path);

const char *cfg_engine_name(enum cfg_engine_id id);
/* ENGINE_COUNT if NAME is not an engine. */
enum cfg_engine_id cfg_engine_lookup(const char *name);
/* The size entry called NAME, or NULL. */
const struct cfg_size *cfg_size_lookup(const struct cfg *cfg, const char *name);
/* 1 if VERSION is in ENGINE's catalog. */
int cfg_version_allowed(const struct cfg *cfg, enum cfg_engine_id e, const char *version);

#endif
