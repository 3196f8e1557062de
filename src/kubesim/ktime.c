/* ktime — see ktime.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kubesim/ktime.h"

int64_t
ksim_time_parse(const char *s)
{
	struct tm tm;
	char *end;
	time_t t;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z") != 0)
		return -1;
	t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

void
ksim_human_duration(int64_t ms, char *buf, size_t n)
{
	int64_t sec = ms / 1000, min = sec / 60, h = sec / 3600;

	if (sec < -1)
		snprintf(buf, n, "<invalid>");
	else if (sec < 0)
		snprintf(buf, n, "0s");
	else if (sec < 120)
		snprintf(buf, n, "%llds", (long long)sec);
	else if (min < 10)
		snprintf(buf, n, sec % 60 ? "%lldm%llds" : "%lldm", (long long)min, (long long)(sec % 60));
	else if (min < 180)
		snprintf(buf, n, "%lldm", (long long)min);
	else if (h < 8)
		snprintf(buf, n, min % 60 ? "%lldh%lldm" : "%lldh", (long long)h, (long long)(min % 60));
	else if (h < 48)
		snprintf(buf, n, "%lldh", (long long)h);
	else if (h < 24 * 8)
		snprintf(buf, n, h % 24 ? "%lldd%lldh" : "%lldd", (long long)(h / 24), (long long)(h % 24));
	else if (h < 24 * 365 * 2)
		snprintf(buf, n, "%lldd", (long long)(h / 24));
	else if (h < 24 * 365 * 8)
		snprintf(buf, n, (h / 24) % 365 ? "%lldy%lldd" : "%lldy", (long long)(h / 24 / 365),
		    (long long)((h / 24) % 365));
	else
		snprintf(buf, n, "%lldy", (long long)(h / 24 / 365));
}
