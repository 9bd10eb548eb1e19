/* Command-line parsing: a flat table of long options into struct config.
 * Anything malformed is refused here so later stages can trust the values. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "monitor.h"

#define ATTACH_SUFFIX_MAX 8 /* ".console" is the longest suffix appended */

static int parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int push(struct argv_list *l, const char *v)
{
	if (l->n >= MAX_LIST_ARGS)
		return -1;
	l->v[l->n++] = v;
	return 0;
}

int parse_args(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	long long num;
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_max_files = 1;
	cfg->sync_fd = -1;
	cfg->helper_fd = -1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;

		if (strcmp(a, "--terminal") == 0) {
			cfg->terminal = 1;
			takes = 0;
		} else if (strcmp(a, "--stdin") == 0) {
			cfg->stdin_open = 1;
			takes = 0;
		} else if (v == NULL) {
			fmt(err, errlen, "%s: unknown option or missing value", a);
			return -1;
		} else if (strcmp(a, "--id") == 0) {
			cfg->id = v;
		} else if (strcmp(a, "--bundle") == 0) {
			cfg->bundle = v;
		} else if (strcmp(a, "--runtime") == 0) {
			cfg->runtime = v;
		} else if (strcmp(a, "--runtime-arg") == 0) {
			if (push(&cfg->runtime_args, v) < 0)
				goto too_many;
		} else if (strcmp(a, "--log-path") == 0) {
			cfg->log_path = v;
		} else if (strcmp(a, "--log-max-size") == 0) {
			if (parse_num(v, 0, LLONG_MAX, &num) < 0)
				goto bad_value;
			cfg->log_max_size = num;
		} else if (strcmp(a, "--log-max-files") == 0) {
			if (parse_num(v, 1, 1000, &num) < 0)
				goto bad_value;
			cfg->log_max_files = (int)num;
		} else if (strcmp(a, "--attach-socket") == 0) {
			cfg->attach_socket = v;
		} else if (strcmp(a, "--exit-file") == 0) {
			cfg->exit_file = v;
		} else if (strcmp(a, "--pid-file") == 0) {
			cfg->pid_file = v;
		} else if (strcmp(a, "--exit-command") == 0) {
			cfg->exit_command = v;
		} else if (strcmp(a, "--exit-command-arg") == 0) {
			if (push(&cfg->exit_command_args, v) < 0)
				goto too_many;
		} else if (strcmp(a, "--health-interval-ms") == 0) {
			if (parse_num(v, 1, 86400000LL * 365, &num) < 0)
				goto bad_value;
			cfg->health_interval_ms = (long)num;
		} else if (strcmp(a, "--health-command") == 0) {
			cfg->health_command = v;
		} else if (strcmp(a, "--health-command-arg") == 0) {
			if (push(&cfg->health_command_args, v) < 0)
				goto too_many;
		} else if (strcmp(a, "--sync-fd") == 0) {
			if (parse_num(v, 0, INT_MAX, &num) < 0)
				goto bad_value;
			cfg->sync_fd = (int)num;
		} else if (strcmp(a, "--exec-helper") == 0) {
			cfg->exec_helper = v;
		} else if (strcmp(a, "--helper-fd") == 0) {
			/* fds 0-2 become the helper's stdio, so the helper fd cannot be one of them */
			if (parse_num(v, 3, INT_MAX, &num) < 0)
				goto bad_value;
			cfg->helper_fd = (int)num;
		} else {
			fmt(err, errlen, "%s: unknown option", a);
			return -1;
		}
		i += takes;
		continue;
bad_value:
		fmt(err, errlen, "%s: invalid value '%s'", a, v);
		return -1;
too_many:
		fmt(err, errlen, "%s: more than %d given", a, MAX_LIST_ARGS);
		return -1;
	}

	{
		/* The daemon runs with cwd "/", so relative paths would silently change meaning. */
		const struct { const char *name, *val; int abs; } req[] = {
			{ "--id", cfg->id, 0 },
			{ "--bundle", cfg->bundle, 1 },
			{ "--runtime", cfg->runtime, 0 },
			{ "--log-path", cfg->log_path, 1 },
			{ "--attach-socket", cfg->attach_socket, 1 },
			{ "--exit-file", cfg->exit_file, 1 },
		};
		size_t k;
		for (k = 0; k < sizeof(req) / sizeof(req[0]); k++) {
			if (req[k].val == NULL || req[k].val[0] == '\0') {
				fmt(err, errlen, "%s is required", req[k].name);
				return -1;
			}
			if (req[k].abs && req[k].val[0] != '/') {
				fmt(err, errlen, "%s must be an absolute path", req[k].name);
				return -1;
			}
		}
	}
	if (strlen(cfg->attach_socket) + ATTACH_SUFFIX_MAX >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fmt(err, errlen, "--attach-socket: path too long for a unix socket");
		return -1;
	}
	if (strlen(cfg->log_path) + 8 >= PATH_MAX || strlen(cfg->exit_file) + 8 >= PATH_MAX) {
		fmt(err, errlen, "--log-path or --exit-file: path too long");
		return -1;
	}
	/* In helper mode the caller writes the pid file itself, so it is optional there. */
	if (cfg->pid_file == NULL && cfg->exec_helper == NULL) {
		fmt(err, errlen, "--pid-file is required");
		return -1;
	}
	if (cfg->pid_file != NULL && cfg->pid_file[0] != '/') {
		fmt(err, errlen, "--pid-file must be an absolute path");
		return -1;
	}
	if ((cfg->exec_helper != NULL) != (cfg->helper_fd >= 0)) {
		fmt(err, errlen, "--exec-helper and --helper-fd go together");
		return -1;
	}
	if (cfg->exec_helper != NULL && cfg->exec_helper[0] == '\0') {
		fmt(err, errlen, "--exec-helper must not be empty");
		return -1;
	}
	if (cfg->exec_helper != NULL && cfg->sync_fd < 0) {
		fmt(err, errlen, "--exec-helper needs --sync-fd: the container's pid arrives on it");
		return -1;
	}
	if (cfg->helper_fd >= 0 && cfg->helper_fd == cfg->sync_fd) {
		fmt(err, errlen, "--helper-fd and --sync-fd must differ");
		return -1;
	}
	if ((cfg->health_interval_ms != 0) != (cfg->health_command != NULL)) {
		fmt(err, errlen, "--health-interval-ms and --health-command go together");
		return -1;
	}
	if (cfg->exit_command_args.n > 0 && cfg->exit_command == NULL) {
		fmt(err, errlen, "--exit-command-arg without --exit-command");
		return -1;
	}
	if (cfg->health_command_args.n > 0 && cfg->health_command == NULL) {
		fmt(err, errlen, "--health-command-arg without --health-command");
		return -1;
	}
	return 0;
}
