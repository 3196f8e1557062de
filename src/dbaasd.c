/*
 * dbaasd — entry point: options, configuration, then either one role in the
 * foreground (--role) or the supervisor that forks them all.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dbaasd [-c FILE] [--check-config]\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default " CFG_DEFAULT_PATH ")\n"
	    "      --check-config  validate the configuration and exit (0 valid, 1 invalid)\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CFG_DEFAULT_PATH;
	int check = 0, c;
	char err[8192];
	struct cfg *cfg;

	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'V':
			printf("dbaasd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "dbaasd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	cfg = cfg_load(path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return check ? 1 : CFG_EXIT_FATAL;
	}
	if (check) {
		printf("%s: configuration is valid\n", path);
		cfg_free(cfg);
		return 0;
	}
	cfg_free(cfg);
	fatalx("not_built", "msg=%s", "the supervisor is not part of this build yet");
}
