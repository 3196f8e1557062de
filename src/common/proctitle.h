/*
 * proctitle — what `ps` shows for each process ("dbaasd: worker 2").
 *
 * Linux has no setproctitle(3): the title is the argv area of the process,
 * which is extended over the (relocated) environment strings, as nginx and
 * PostgreSQL do.  prctl(PR_SET_NAME) also sets the 15-byte comm name that
 * top and pgrep show.
 */
#ifndef DBAAS_PROCTITLE_H
#define DBAAS_PROCTITLE_H

/* Call once from main() before anything reads environ through saved pointers. */
void pt_init(int argc, char **argv);
void pt_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
