/*
 * ktime — the two time formats of the Kubernetes API: RFC 3339 timestamps
 * in objects, and the short "human" durations of table AGE columns
 * (apimachinery's duration.HumanDuration: "45s", "3m20s", "5h", "12d").
 */
#ifndef KSIM_KTIME_H
#define KSIM_KTIME_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the epoch for "YYYY-MM-DDTHH:MM:SS[.frac]Z", or -1. */
int64_t ksim_time_parse(const char *s);
/* HumanDuration of MS milliseconds into BUF. */
void ksim_human_duration(int64_t ms, char *buf, size_t n);

#endif
