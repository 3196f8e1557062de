/*
 * api_int — small helpers shared by the API handlers, the operator and the
 * admin endpoints (names, uids, timestamps).
 */
#ifndef KSIM_API_INT_H
#define KSIM_API_INT_H

#include <stddef.h>

/* 1 if S is a lowercase RFC 1123 label (namespace names). */
int ksim_dns_label(const char *s);
/* A random RFC 4122 version 4 UUID. */
void ksim_new_uid(char *buf, size_t n);
/* The current time as RFC 3339 (seconds). */
void ksim_now(char *buf, size_t n);

#endif
