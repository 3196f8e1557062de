/*
 * dbaasd — entry point: options, configuration, then one of
 *   - the supervisor, which forks every role (the normal mode);
 *   - one role in the foreground without a supervisor (--role);
 *   - a synchronous reload of a running supervisor (--reload);
 *   - creating the first admin API key (--create-admin-key).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/config.h"
#include "common/log.h"
#include "common/mdb.h"
#include "common/proctitle.h"
#include "supervisor/supervisor.h"

#define RELOAD_WAIT_S 90

struct options {
	const char *path;
	const char *role;
	int check;
	int reload;
	int create_key;
	long pid;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dbaasd [-c FILE] [--check-config | --role ROLE | --reload [--pid PID] |\n"
	    "              --create-admin-key]\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default " CFG_DEFAULT_PATH ")\n"
	    "      --check-config  validate the configuration and exit (0 valid, 1 invalid)\n"
	    "      --role ROLE     run one role (api, reconciler, worker) in the foreground,\n"
	    "                      without the supervisor\n"
	    "      --reload        make the running supervisor reload and wait for the outcome\n"
	    "      --pid PID       the supervisor to reload (default: supervisor.pidfile)\n"
	    "      --create-admin-key\n"
	    "                      store a new admin API key in MongoDB and print it once\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n");
}

/* Returns -1 to continue, or an exit status. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "role", required_argument, NULL, 'r' },
		{ "reload", no_argument, NULL, 'R' },
		{ "pid", required_argument, NULL, 'p' },
		{ "create-admin-key", no_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->path = optarg; break;
		case 'C': o->check = 1; break;
		case 'r': o->role = optarg; break;
		case 'R': o->reload = 1; break;
		case 'K': o->create_key = 1; break;
		case 'p':
			o->pid = strtol(optarg, &end, 10);
			if (*end != '\0' || o->pid <= 1) {
				fprintf(stderr, "dbaasd: --pid needs a process id, got \"%s\"\n", optarg);
				return 2;
			}
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
	if (o->check + o->reload + o->create_key + (o->role != NULL) > 1) {
		fprintf(stderr, "dbaasd: --check-config, --role, --reload and --create-admin-key "
		    "exclude each other\n");
		return 2;
	}
	return -1;
}

static long
pid_from_file(const char *path)
{
	FILE *fp;
	long pid = 0;

	if (path[0] == '\0' || (fp = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = 0;
	fclose(fp);
	return pid;
}

static int
do_reload(const struct options *o, struct cfg *cfg)
{
	long pid = o->pid;

	if (pid == 0 && cfg != NULL)
		pid = pid_from_file(cfg->supervisor.pidfile);
	cfg_free(cfg);
	if (pid <= 1) {
		fprintf(stderr, "dbaasd: --reload needs --pid or supervisor.pidfile\n");
		return 1;
	}
	return sup_ctl_reload((pid_t)pid, RELOAD_WAIT_S);
}

int
main(int argc, char **argv)
{
	struct options o = { CFG_DEFAULT_PATH, NULL, 0, 0, 0, 0 };
	char err[8192];
	struct cfg *cfg;
	int rc;

	pt_init(argc, argv);
	if ((rc = parse_options(argc, argv, &o)) >= 0)
		return rc;
	cfg = cfg_load(o.path, err, sizeof(err));
	if (o.reload && (cfg != NULL || o.pid != 0))
		return do_reload(&o, cfg);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return o.check ? 1 : CFG_EXIT_FATAL;
	}
	if (o.check) {
		printf("%s: configuration is valid\n", o.path);
		cfg_free(cfg);
		return 0;
	}
	if (o.create_key) {
		mdb_global_init();
		rc = api_create_admin_key(cfg, stdout);
		mdb_global_cleanup();
		cfg_free(cfg);
		return rc;
	}
	log_set_level(cfg->log.level);
	if (log_open(cfg->log.file) != 0) {
		fprintf(stderr, "dbaasd: cannot open log file %s\n", cfg->log.file);
		cfg_free(cfg);
		return CFG_EXIT_FATAL;
	}
	mdb_global_init();
	rc = o.role != NULL ? sup_run_role(o.role, cfg) : sup_main(cfg);
	mdb_global_cleanup();
	return rc;
}
