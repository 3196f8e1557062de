/*
 * log — logfmt lines for humans and machines.
 *
 * Every process (supervisor and each role) writes to the same destination,
 * so each line is formatted into one buffer and emitted with a single
 * write(2) on an O_APPEND descriptor: lines from different processes never
 * interleave.  Values produced by `%s` are quoted on demand, which keeps the
 * call sites as short as printf while the output stays machine-parseable.
 *
 * Any thread may log (the API's handler threads do), while the loop thread
 * may change the level or reopen the file after a reload: the level is an
 * atomic, and the descriptor is swapped under a write lock that every write
 * holds for reading, so no line goes to a descriptor closed (or, worse,
 * reused) under it.  The role tag is set once, before any thread starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define LOG_LINE_MAX 8192

static _Atomic int log_level = LOG_LEVEL_INFO;
static char log_role[32] = "dbaasd";
static pthread_rwlock_t log_out_lock = PTHREAD_RWLOCK_INITIALIZER;
static int log_out = STDERR_FILENO;	/* guarded by log_out_lock */

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_FATAL] = "fatal",
};

void
log_set_role(const char *role)
{
	snprintf(log_role, sizeof(log_role), "%s", role);
}

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level > LOG_LEVEL_FATAL)
		return "unknown";
	return level_names[level];
}

int
log_level_parse(const char *name, enum log_level *out)
{
	for (int i = LOG_LEVEL_DEBUG; i < LOG_LEVEL_FATAL; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_open(const char *path)
{
	int fd = STDERR_FILENO;

	if (path != NULL && path[0] != '\0') {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1)
			return -1;
	}
	pthread_rwlock_wrlock(&log_out_lock);
	if (log_out != STDERR_FILENO && log_out != fd)
		close(log_out);
	log_out = fd;
	pthread_rwlock_unlock(&log_out_lock);
	return 0;
}

/* Write one whole line; readers share the lock, log_open() excludes them. */
static void
emit_line(const char *line, size_t len)
{
	pthread_rwlock_rdlock(&log_out_lock);
	(void)!write(log_out, line, len);
	pthread_rwlock_unlock(&log_out_lock);
}

/* A bounded output buffer; `len` keeps counting past the end to detect truncation. */
struct obuf {
	char *buf;
	size_t cap;
	size_t len;
};

static void
ob_putc(struct obuf *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void
ob_puts(struct obuf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ob_putc(o, s[i]);
}

static int
needs_quotes(const char *s, size_t n)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
			return 1;
	}
	return 0;
}

static void
ob_put_value(struct obuf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (!needs_quotes(s, n)) {
		ob_puts(o, s, n);
		return;
	}
	ob_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			ob_putc(o, '\\');
			ob_putc(o, (char)c);
		} else if (c == '\n') {
			ob_puts(o, "\\n", 2);
		} else if (c == '\t') {
			ob_puts(o, "\\t", 2);
		} else if (c < ' ' || c == 0x7f) {
			ob_puts(o, "\\x", 2);
			ob_putc(o, hex[c >> 4]);
			ob_putc(o, hex[c & 15]);
		} else {
			ob_putc(o, (char)c);
		}
	}
	ob_putc(o, '"');
}

/* One parsed conversion specification. */
struct spec {
	char flags[8];
	int width;		/* -1 = none */
	int prec;		/* -1 = none */
	char len[3];		/* "", "h", "hh", "l", "ll", "z", "j", "t", "L" */
	char conv;
};

static const char *
parse_spec(const char *p, struct spec *sp, va_list *ap)
{
	size_t nf = 0;

	memset(sp, 0, sizeof(*sp));
	sp->width = sp->prec = -1;
	while (*p != '\0' && strchr("-+ 0#", *p) != NULL && nf + 1 < sizeof(sp->flags))
		sp->flags[nf++] = *p++;
	if (*p == '*') {
		sp->width = va_arg(*ap, int);
		p++;
	} else {
		for (sp->width = 0; *p >= '0' && *p <= '9'; p++)
			sp->width = sp->width * 10 + (*p - '0');
		if (sp->width == 0)
			sp->width = -1;
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			sp->prec = va_arg(*ap, int);
			p++;
		} else {
			for (sp->prec = 0; *p >= '0' && *p <= '9'; p++)
				sp->prec = sp->prec * 10 + (*p - '0');
		}
	}
	for (size_t n = 0; *p != '\0' && strchr("hlzjtL", *p) != NULL && n < 2; n++)
		sp->len[n] = *p++;
	sp->conv = *p;
	return *p == '\0' ? p : p + 1;
}

/* Build "%<flags><width>.<prec><len><conv>" for a single snprintf call. */
static void
spec_string(const struct spec *sp, char *out, size_t n)
{
	char w[16] = "", pr[16] = "";

	if (sp->width >= 0)
		snprintf(w, sizeof(w), "%d", sp->width);
	if (sp->prec >= 0)
		snprintf(pr, sizeof(pr), ".%d", sp->prec);
	snprintf(out, n, "%%%s%s%s%s%c", sp->flags, w, pr, sp->len, sp->conv);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
put_signed(struct obuf *o, const struct spec *sp, const char *f, va_list *ap)
{
	char tmp[64];

	if (strcmp(sp->len, "ll") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, long long));
	else if (strcmp(sp->len, "l") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, long));
	else if (strcmp(sp->len, "z") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, ssize_t));
	else if (strcmp(sp->len, "j") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, intmax_t));
	else if (strcmp(sp->len, "t") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, ptrdiff_t));
	else
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, int));
	ob_puts(o, tmp, strlen(tmp));
}

static void
put_unsigned(struct obuf *o, const struct spec *sp, const char *f, va_list *ap)
{
	char tmp[64];

	if (strcmp(sp->len, "ll") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, unsigned long long));
	else if (strcmp(sp->len, "l") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, unsigned long));
	else if (strcmp(sp->len, "z") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, size_t));
	else if (strcmp(sp->len, "j") == 0)
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, uintmax_t));
	else
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, unsigned int));
	ob_puts(o, tmp, strlen(tmp));
}

static void
put_other(struct obuf *o, const struct spec *sp, const char *f, va_list *ap)
{
	char tmp[128];

	switch (sp->conv) {
	case 'c':
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, int));
		break;
	case 'p':
		snprintf(tmp, sizeof(tmp), f, va_arg(*ap, void *));
		break;
	default:	/* f e g a, with or without L */
		if (sp->len[0] == 'L')
			snprintf(tmp, sizeof(tmp), f, va_arg(*ap, long double));
		else
			snprintf(tmp, sizeof(tmp), f, va_arg(*ap, double));
		break;
	}
	ob_puts(o, tmp, strlen(tmp));
}
#pragma GCC diagnostic pop

static void
put_string(struct obuf *o, const struct spec *sp, va_list *ap)
{
	const char *s = va_arg(*ap, const char *);
	size_t n;

	if (s == NULL)
		s = "";
	n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	ob_put_value(o, s, n);
}

static void
format_into(struct obuf *o, const char *fmt, va_list *ap)
{
	struct spec sp;
	char f[48];

	for (const char *p = fmt; *p != '\0';) {
		if (*p != '%') {
			ob_putc(o, *p++);
			continue;
		}
		if (p[1] == '%') {
			ob_putc(o, '%');
			p += 2;
			continue;
		}
		p = parse_spec(p + 1, &sp, ap);
		spec_string(&sp, f, sizeof(f));
		if (sp.conv == 's')
			put_string(o, &sp, ap);
		else if (strchr("di", sp.conv) != NULL && sp.conv != '\0')
			put_signed(o, &sp, f, ap);
		else if (strchr("uxXo", sp.conv) != NULL && sp.conv != '\0')
			put_unsigned(o, &sp, f, ap);
		else if (strchr("cpfFeEgGaA", sp.conv) != NULL && sp.conv != '\0')
			put_other(o, &sp, f, ap);
		else
			break;	/* unknown conversion: stop rather than misread the arguments */
	}
}

size_t
log_format(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct obuf o = { buf, n, 0 };
	va_list cp;

	va_copy(cp, ap);
	format_into(&o, fmt, &cp);
	va_end(cp);
	if (n == 0)
		return 0;
	if (o.len >= n)
		o.len = n - 1;
	buf[o.len] = '\0';
	return o.len;
}

size_t
log_formatf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	size_t r;

	va_start(ap, fmt);
	r = log_format(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

static void
put_timestamp(struct obuf *o)
{
	struct timeval tv;
	struct tm tm;
	char ts[80];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	ob_puts(o, ts, strlen(ts));
}

void
log_vemit(enum log_level level, int errnum, const char *event,
    const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], head[96], ebuf[128];
	struct obuf o = { line, sizeof(line) - 1, 0 };
	va_list cp;

	if (level < log_get_level())
		return;
	put_timestamp(&o);
	snprintf(head, sizeof(head), " level=%s role=", log_level_name(level));
	ob_puts(&o, head, strlen(head));
	ob_put_value(&o, log_role, strlen(log_role));
	snprintf(head, sizeof(head), " pid=%ld event=", (long)getpid());
	ob_puts(&o, head, strlen(head));
	ob_put_value(&o, event, strlen(event));
	if (fmt != NULL && fmt[0] != '\0') {
		ob_putc(&o, ' ');
		va_copy(cp, ap);
		format_into(&o, fmt, &cp);
		va_end(cp);
	}
	if (errnum >= 0) {
		const char *es = strerror_r(errnum, ebuf, sizeof(ebuf));	/* GNU: may not use ebuf */
		ob_puts(&o, " error=", 7);
		ob_put_value(&o, es, strlen(es));
	}
	if (o.len >= o.cap)
		o.len = o.cap - 1;
	line[o.len++] = '\n';
	emit_line(line, o.len);
}

#define LOG_WRAPPER(name, level, use_errno)				\
void									\
name(const char *event, const char *fmt, ...)				\
{									\
	int saved = errno;						\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	log_vemit(level, (use_errno) ? saved : -1, event, fmt, ap);	\
	va_end(ap);							\
	errno = saved;							\
}

LOG_WRAPPER(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_WRAPPER(log_info, LOG_LEVEL_INFO, 0)
LOG_WRAPPER(log_warn, LOG_LEVEL_WARN, 1)
LOG_WRAPPER(log_warnx, LOG_LEVEL_WARN, 0)
LOG_WRAPPER(log_error, LOG_LEVEL_ERROR, 0)

void
fatal(const char *event, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_FATAL, saved, event, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_FATAL, -1, event, fmt, ap);
	va_end(ap);
	exit(1);
}
