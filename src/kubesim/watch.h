/*
 * watch — WATCH streams and their fan-out from the store's event rings.
 *
 * A watcher is a position (sequence number) in its resource's ring.  New
 * events are pushed straight into the socket of every caught-up watcher;
 * a watcher whose socket backlog passes the high-water mark stops being
 * fed and resumes from its position when the client drains it.  A watcher
 * so slow that the ring overwrites its position is closed, as the real
 * apiserver drops unresponsive watchers — one slow client never stalls the
 * server nor grows its memory without bound.
 *
 * Framing follows the real server: 200, chunked, one JSON event per line.
 * Go's net/http buffers 2 KiB before writing a chunk and the apiserver
 * flushes only when it has no event queued, so a backlog (the synthetic
 * ADDED events, or the events a resumed watch catches up on) goes out in
 * 2 KiB chunks that cut events anywhere, while a live event gets a chunk
 * of its own — a client's line splitter meets both.  Synthetic ADDED
 * events come first when no resourceVersion is given; an
 * ERROR event with a 410 Expired Status for a resourceVersion older than
 * the ring; BOOKMARKs (when asked) about two seconds before timeoutSeconds
 * and every bookmark interval, only once the resource has moved past the
 * watch's starting resourceVersion.
 */
#ifndef KSIM_WATCH_H
#define KSIM_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kubesim/sim.h"

struct ksim_hub *ksim_hub_new(struct ksim_sim *sim);
/* Close every stream (they end cleanly) and free the hub. */
void ksim_hub_free(struct ksim_hub *h);
/* End every stream now (after a reset of the store). */
void ksim_hub_close_all(struct ksim_hub *h);
/* The store's event hook: feed caught-up watchers of RES. */
void ksim_hub_event(void *arg, const struct ksim_res *res, uint64_t seq);
size_t ksim_hub_count(const struct ksim_hub *h);

#endif
