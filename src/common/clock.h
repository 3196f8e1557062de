/*
 * clock — time sources.  Durations and deadlines always use the monotonic
 * clock (immune to NTP steps); wall time is only for timestamps shown to
 * people and stored in MongoDB.
 */
#ifndef DBAAS_CLOCK_H
#define DBAAS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clk_mono_us(void);
int64_t clk_mono_ms(void);
int64_t clk_wall_ms(void);

/* RFC 3339 UTC with seconds ("2026-11-22T10:00:00Z"); BUF needs 21 bytes. */
#define CLK_RFC3339_LEN 32
void clk_rfc3339(int64_t wall_ms, char *buf, size_t n);

#endif
