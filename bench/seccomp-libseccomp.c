/*
 * The libseccomp side of bench/seccomp-compile.mjs: builds a filter from a plain rules file the
 * way runc does (default action, extra arches, binary-tree optimization, one rule per syscall
 * name) and exports it with seccomp_export_bpf.
 *
 * Rules file, one directive a line (numbers are decimal; actions are SECCOMP_RET_* values, which
 * libseccomp's SCMP_ACT_* equal):
 *   native ARCH                  filter for ARCH instead of this host's (x86_64 | aarch64 | ...)
 *   default ACTION
 *   arch ARCH
 *   rule ACTION NAME [INDEX OP VALUE VALUE_TWO]...   OP: EQ NE LT LE GT GE MASKED_EQ
 *
 * Usage: seccomp-libseccomp RULES OUT.bpf [REPEAT]
 * Prints: "insns=N usec=T" with T the median build+export time over REPEAT runs.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LINES 4096
#define MAX_ARGS 6

static char *lines[MAX_LINES];
static int nlines;

static enum scmp_compare op_of(const char *s)
{
	if (!strcmp(s, "EQ")) return SCMP_CMP_EQ;
	if (!strcmp(s, "NE")) return SCMP_CMP_NE;
	if (!strcmp(s, "LT")) return SCMP_CMP_LT;
	if (!strcmp(s, "LE")) return SCMP_CMP_LE;
	if (!strcmp(s, "GT")) return SCMP_CMP_GT;
	if (!strcmp(s, "GE")) return SCMP_CMP_GE;
	if (!strcmp(s, "MASKED_EQ")) return SCMP_CMP_MASKED_EQ;
	fprintf(stderr, "unknown op %s\n", s);
	exit(2);
}

static uint32_t arch_of(const char *s)
{
	uint32_t a = seccomp_arch_resolve_name(s);
	if (a == 0) {
		fprintf(stderr, "unknown arch %s\n", s);
		exit(2);
	}
	return a;
}

/* Builds the filter; returns it ready to export. */
static scmp_filter_ctx build(void)
{
	scmp_filter_ctx ctx = NULL;
	uint32_t def = 0, native = 0;
	char buf[1024];
	for (int i = 0; i < nlines; i++) {
		strncpy(buf, lines[i], sizeof(buf) - 1);
		buf[sizeof(buf) - 1] = 0;
		char *word = strtok(buf, " \n");
		if (word == NULL)
			continue;
		if (!strcmp(word, "native")) {
			native = arch_of(strtok(NULL, " \n"));
		} else if (!strcmp(word, "default")) {
			def = (uint32_t)strtoul(strtok(NULL, " \n"), NULL, 10);
			ctx = seccomp_init(def);
			if (ctx == NULL) { fprintf(stderr, "seccomp_init failed\n"); exit(1); }
			if (native != 0 && native != seccomp_arch_native()) {
				seccomp_arch_add(ctx, native);
				seccomp_arch_remove(ctx, seccomp_arch_native());
			}
			seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		} else if (!strcmp(word, "arch")) {
			int rc = seccomp_arch_add(ctx, arch_of(strtok(NULL, " \n")));
			if (rc != 0 && rc != -EEXIST) { fprintf(stderr, "seccomp_arch_add: %d\n", rc); exit(1); }
		} else if (!strcmp(word, "rule")) {
			uint32_t act = (uint32_t)strtoul(strtok(NULL, " \n"), NULL, 10);
			const char *name = strtok(NULL, " \n");
			struct scmp_arg_cmp args[MAX_ARGS];
			unsigned int n = 0;
			char *tok;
			while ((tok = strtok(NULL, " \n")) != NULL && n < MAX_ARGS) {
				args[n].arg = (unsigned int)strtoul(tok, NULL, 10);
				args[n].op = op_of(strtok(NULL, " \n"));
				args[n].datum_a = strtoull(strtok(NULL, " \n"), NULL, 10);
				args[n].datum_b = strtoull(strtok(NULL, " \n"), NULL, 10);
				n++;
			}
			if (act == def)
				continue; /* runc skips these: libseccomp refuses them */
			int nr = seccomp_syscall_resolve_name(name);
			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown on every arch of the filter */
			int rc = seccomp_rule_add_array(ctx, act, nr, n, args);
			if (rc != 0) { fprintf(stderr, "rule %s: %s\n", name, strerror(-rc)); exit(1); }
		}
	}
	return ctx;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s RULES OUT.bpf [REPEAT]\n", argv[0]);
		return 2;
	}
	int repeat = argc > 3 ? atoi(argv[3]) : 1;
	if (repeat < 1) repeat = 1;
	FILE *in = fopen(argv[1], "r");
	if (in == NULL) { perror(argv[1]); return 1; }
	char buf[1024];
	while (nlines < MAX_LINES && fgets(buf, sizeof(buf), in) != NULL)
		lines[nlines++] = strdup(buf);
	fclose(in);

	long *usec = calloc((size_t)repeat, sizeof(long));
	for (int r = 0; r < repeat; r++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		scmp_filter_ctx ctx = build();
		FILE *out = fopen(argv[2], "w");
		if (out == NULL) { perror(argv[2]); return 1; }
		int rc = seccomp_export_bpf(ctx, fileno(out));
		fclose(out);
		seccomp_release(ctx);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc != 0) { fprintf(stderr, "seccomp_export_bpf: %d\n", rc); return 1; }
		usec[r] = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000L;
	}
	qsort(usec, (size_t)repeat, sizeof(long), cmp_long);

	FILE *f = fopen(argv[2], "r");
	fseek(f, 0, SEEK_END);
	long bytes = ftell(f);
	fclose(f);
	printf("insns=%ld usec=%ld\n", bytes / 8, usec[repeat / 2]);
	return 0;
}
