/*
 * log — one logfmt line per event, on stderr or a file.
 *
 * Every line is `ts=... level=... role=... pid=... event=... key=value ...`.
 * The message format is printf-like; a value formatted by `%s` is quoted and
 * escaped when it needs to be (spaces, quotes, '=', control bytes, empty), so
 * callers write `log_info("child_exited", "role=%s status=%d", r, st)` and get
 * parseable output whatever the strings hold.  Supported conversions: %s %d %i
 * %u %x %c %p %f %g %% with the l, ll, z and j length modifiers (and `%.*s`).
 *
 * Following OpenBSD's log.c: log_warn() appends `error="strerror(errno)"`,
 * log_warnx() does not; fatal()/fatalx() log at level fatal and exit(1).
 * Logging never allocates, so it is safe after a failed malloc.
 */
#ifndef DBAAS_LOG_H
#define DBAAS_LOG_H

#include <stdarg.h>
#include <stdnoreturn.h>

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_FATAL,
};

/* Set the role tag ("supervisor", "api", "worker"...) carried by every line. */
void log_set_role(const char *role);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "debug"/"info"/"warn"/"error"; returns -1 for anything else. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

/*
 * Send output to PATH (appending), or to stderr when PATH is NULL or "".
 * Reopening the same path after rotation is the reload case.  Returns 0, or
 * -1 with errno set and the previous destination kept.
 */
int log_open(const char *path);

void log_debug(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_info(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warnx(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_error(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
noreturn void fatal(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
noreturn void fatalx(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The general entry point; errnum >= 0 appends error="strerror(errnum)". */
void log_vemit(enum log_level level, int errnum, const char *event,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/*
 * Format FMT/AP into BUF (size N) with the same quoting rules as a log line.
 * Always NUL-terminates; returns the length written (truncated to fit).
 */
size_t log_format(char *buf, size_t n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
size_t log_formatf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
