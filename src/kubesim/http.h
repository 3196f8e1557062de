/*
 * http — a small HTTP/1.1 server on libevent bufferevents (plain or TLS).
 *
 * kubesim needs control that a generic server hides: a request may be
 * answered much later (latency faults, waits for a resourceVersion), never
 * (hung requests), by a TCP reset, or by a chunked stream that lives for
 * minutes (watches) and must stop growing when the client reads slowly.  So
 * each connection handles one request at a time (pipelined requests wait in
 * the input buffer), and a request lives until the handler finishes it or
 * the connection dies; in the latter case the handler's close callback runs
 * first so it can drop its references.
 *
 * Limits: request head 64 KiB, body 3 MiB (413 beyond, like the apiserver).
 */
#ifndef KSIM_HTTP_H
#define KSIM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct evbuffer;
struct ksim_http;
struct ksim_req;

typedef void (*ksim_req_fn)(struct ksim_req *req, void *arg);

struct ksim_http_hooks {
	ksim_req_fn handle;	/* a complete request arrived */
	ksim_req_fn done;	/* the request is over (answered, reset or abandoned) */
	void *arg;
};

/*
 * Serve on the listening socket FD (taking ownership); TLS when SSL is not
 * NULL (the context is borrowed).  Returns NULL with ERR on failure.
 */
struct ksim_http *ksim_http_new(struct event_base *base, int fd, SSL_CTX *ssl,
    const struct ksim_http_hooks *hooks, char *err, size_t errlen);
/* Close the listener and every connection (pending requests get done()). */
void ksim_http_free(struct ksim_http *h);

const char *ksim_req_method(const struct ksim_req *r);
/* The percent-decoded path, without the query. */
const char *ksim_req_path(const struct ksim_req *r);
/* A decoded query parameter (first occurrence), or NULL. */
const char *ksim_req_query(const struct ksim_req *r, const char *key);
/* A request header (case-insensitive name), or NULL. */
const char *ksim_req_header(const struct ksim_req *r, const char *name);
const char *ksim_req_body(const struct ksim_req *r, size_t *len);
/* The HTTP status sent (0 if none yet). */
int ksim_req_status(const struct ksim_req *r);
void ksim_req_set_data(struct ksim_req *r, void *data);
void *ksim_req_data(const struct ksim_req *r);

/*
 * Add a "Warning: 299 - TEXT" header to the answer (sent with whatever
 * answer follows, as the apiserver's warning recorder does); repeated texts
 * are sent once.
 */
void ksim_req_add_warning(struct ksim_req *r, const char *text);

/*
 * Answer with a complete response.  EXTRA holds preformatted header lines
 * ("Retry-After: 1\r\n") or NULL.  The request is finished and freed.
 */
void ksim_req_reply(struct ksim_req *r, int code, const char *ctype,
    const char *body, size_t len, const char *extra);
/* Same, taking the content of BODY (drained). */
void ksim_req_reply_buf(struct ksim_req *r, int code, const char *ctype,
    struct evbuffer *body, const char *extra);

/* Start a chunked response (headers are sent at once). */
void ksim_req_stream_start(struct ksim_req *r, int code, const char *ctype);
/* Send DATA as one chunk.  Returns 0, or -1 if the connection is gone. */
int ksim_req_stream_write(struct ksim_req *r, const char *data, size_t len);
/* Send the final chunk; the request is finished and freed. */
void ksim_req_stream_end(struct ksim_req *r);
/* Bytes queued for the client and not yet written to the socket. */
size_t ksim_req_backlog(const struct ksim_req *r);

/*
 * CLOSED runs if the connection dies before the request is finished (after
 * it, the request is freed: do not touch it).  DRAINED runs when a stream's
 * backlog falls under the low-water mark.
 */
void ksim_req_on_close(struct ksim_req *r, ksim_req_fn closed, void *arg);
void ksim_req_on_drain(struct ksim_req *r, ksim_req_fn drained, void *arg);

/* Abort with a TCP reset (RST), as a fault.  The request is freed. */
void ksim_req_reset(struct ksim_req *r);

#endif
