/*
 * qty — Kubernetes resource quantities, parsed exactly.
 *
 * Grammar (k8s.io/apimachinery resource.Quantity):
 *   quantity  = [sign] number [suffix]
 *   number    = digits | digits "." [digits] | "." digits
 *   suffix    = binarySI (Ki Mi Gi Ti Pi Ei) | decimalSI (m k M G T P E)
 *             | ("e" | "E") [sign] digits          (decimal exponent)
 * "1E3" is 1000 and "1E" one exa, as in Kubernetes.
 *
 * The value is held as an integer mantissa times 10^e10 times 2^e2, so "1.5Gi"
 * converts to bytes as exactly 1610612736 with no floating point anywhere.
 * Conversions round up (away from zero), like Quantity.ScaledValue.
 */
#ifndef DBAAS_QTY_H
#define DBAAS_QTY_H

#include <stdint.h>

struct qty {
	unsigned __int128 mant;	/* significant digits, without leading zeros */
	int exp10;
	int exp2;		/* 0, 10, 20, ... 60 */
	int neg;
};

/* Returns 0, -EINVAL for bad syntax, -ERANGE for a number beyond 38 digits. */
int qty_parse(const char *s, struct qty *q);
/*
 * The value in units of 10^SCALE (0 = base units such as bytes or cores,
 * -3 = milli-units), rounded up.  Returns 0, or -ERANGE when it does not fit
 * in an int64.
 */
int qty_scaled(const struct qty *q, int scale, int64_t *out);
/* Parse and scale in one call. */
int qty_parse_scaled(const char *s, int scale, int64_t *out);

#endif
