/*
 * berth-monitor — the per-container monitor (berth's counterpart of conmon).
 *
 * One monitor process lives beside each container. It holds the container's
 * stdio, writes the json-file log, serves attach clients, records the exit
 * status and runs the engine's exit command. It decides nothing itself: every
 * policy arrives on the command line from the TypeScript engine
 * (src/engine/monitor/). It must stay far below 1 MiB RSS, hence: static
 * binary, no stdio formatting (fmt.c), fixed buffers (no malloc), one poll()
 * loop, no threads.
 *
 * SYNOPSIS
 *   berth-monitor --id ID --bundle DIR --runtime PATH [--runtime-arg ARG]...
 *                 --log-path FILE [--log-max-size BYTES] [--log-max-files N]
 *                 --attach-socket PATH --exit-file PATH --pid-file PATH
 *                 [--terminal] [--stdin]
 *                 [--exit-command PATH [--exit-command-arg ARG]...]
 *                 [--health-interval-ms N --health-command PATH
 *                  [--health-command-arg ARG]...]
 *                 [--sync-fd N] [--exec-helper PATH --helper-fd N]
 *
 * OPTIONS
 *   option                 value     meaning
 *   ---------------------  --------  -----------------------------------------
 *   --id                   ID        container id, last argument of `create`
 *   --bundle               abs path  OCI bundle passed to `create --bundle`
 *   --runtime              path      runtime binary (execvp: bare names use PATH)
 *   --runtime-arg          ARG       global runtime flag, repeatable, placed
 *                                    before `create` (e.g. --root DIR)
 *   --log-path             abs path  json-file log, opened O_APPEND
 *   --log-max-size         bytes     rotate before an entry would make the file
 *                                    larger than this; 0 (default) = never
 *   --log-max-files        N >= 1    files kept: FILE, FILE.1 .. FILE.(N-1);
 *                                    1 (default) = truncate in place
 *   --attach-socket        abs path  attach socket (mode 0600); the control
 *                                    socket is the same path + ".ctl"
 *   --exit-file            abs path  exit record, written tmp + rename
 *   --pid-file             abs path  passed to `create --pid-file`, read back
 *   --terminal                       container has a pty (config.json
 *                                    process.terminal must be true as well)
 *   --stdin                          keep the container's stdin open for attach
 *                                    clients (else it is /dev/null)
 *   --exit-command         path      run (fork+exec+wait) after the exit file
 *                                    is written, then the monitor exits
 *   --exit-command-arg     ARG       argv[1..] of the exit command, repeatable
 *   --health-interval-ms   N > 0     run the health command every N ms, never
 *                                    two at once (a tick is skipped instead)
 *   --health-command       path      the health command (engine's
 *                                    `berth healthcheck run ID`)
 *   --health-command-arg   ARG       its argv[1..], repeatable
 *   --sync-fd              N         inherited fd; receives one JSON line, then
 *                                    is closed (see READINESS); with
 *                                    --exec-helper it is read from too, so it
 *                                    must be a socket (a socketpair end)
 *   --exec-helper          path      helper mode (see HELPER MODE): run
 *                                    `PATH 3` (berth-nsexec) instead of
 *                                    `RUNTIME create`; needs --helper-fd and
 *                                    --sync-fd. --runtime/--runtime-arg then
 *                                    only name the runtime that keeps the
 *                                    container's state (for ps and pgrep);
 *                                    --pid-file is optional and not read
 *   --helper-fd            N >= 3    inherited fd that becomes fd 3 of the
 *                                    helper (the caller keeps the other end of
 *                                    the socketpair and speaks native/plan.h's
 *                                    protocol over it); closed in the monitor
 *                                    once the helper is spawned, so the caller
 *                                    sees EOF when the helper and the
 *                                    container are gone
 *
 * LIFECYCLE
 *   1. Arguments are checked; errors go to stderr and the sync fd, exit 2.
 *   2. fork(); the parent exits 0 at once, the child calls setsid(), sets
 *      PR_SET_CHILD_SUBREAPER, points fds 0-2 at /dev/null, ignores SIGTERM,
 *      SIGHUP and SIGPIPE, and takes SIGCHLD through a signalfd.
 *   3. It opens the log, binds the attach and control sockets, and runs
 *        RUNTIME [runtime-args] create --bundle DIR --pid-file PIDFILE
 *                [--console-socket ATTACH.console] ID
 *      Without --terminal the runtime's stdio are pipes (stdin: a pipe with
 *      --stdin, else /dev/null) that the runtime hands to the container. With
 *      --terminal the runtime gets /dev/null, a stderr pipe, and a console
 *      socket on which it sends the pty master (SCM_RIGHTS).
 *      (In helper mode the same stdio go to the helper instead; see HELPER
 *      MODE.)
 *   4. When `create` exits 0 the pid file is read; the container init, whose
 *      parent `create` was, is now the monitor's child (subreaper). The
 *      monitor does not start the container: the engine runs `RUNTIME start`.
 *   5. The loop relays output to the log and to attach clients, input from
 *      clients to the container, runs health checks and reaps every child.
 *   6. When init exits: remaining output is drained, the exit file is written,
 *      the sockets are closed and unlinked, the exit command is run and
 *      waited for, and the monitor exits 0.
 *
 * READINESS (one line on --sync-fd)
 *   {"pid":N,"monitorPid":M}    created; N = container init, M = this monitor
 *   {"error":"TEXT"}            failed; TEXT names the step and, for `create`,
 *                               carries the last line the runtime printed
 *
 * HELPER MODE (--exec-helper): the caller creates the container itself (it is
 *   an OCI runtime: berth-runtime's createContainer, in the engine's process)
 *   and the monitor only spawns the helper, so that the container init is
 *   still born below the monitor. It saves starting a second runtime process.
 *   The helper is run as `PATH 3` in a new session, with the --helper-fd as
 *   fd 3 and the stdio of step 3 (with --terminal the caller must name
 *   ATTACH.console as the plan's console socket). The helper's stage0 exits
 *   right after it has cloned the container init, long before the container
 *   is set up, so its exit is not "created": the caller says when it is.
 *
 *   step | from -> to          | on            | what
 *   -----+---------------------+---------------+------------------------------
 *    1   | monitor -> helper   | fork + exec   | after the log, the sockets and
 *        |                     |               | the console socket are ready
 *    2   | caller <-> helper   | helper fd     | plan.h's protocol; stage0 exits
 *        |                     |               | after SYNC_PID, and the init is
 *        |                     |               | re-parented to the monitor
 *    3   | caller -> monitor   | sync fd       | {"pid":N}\n once the container
 *        |                     |               | is created (after SYNC_READY),
 *        |                     |               | or EOF (shutdown) when it failed
 *    4   | monitor -> caller   | sync fd       | the READINESS line, as above
 *
 *   The monitor goes on (step 4 with a pid) only when both the helper has
 *   exited 0 and {"pid":N} has arrived, in either order, and N is its child.
 *   It reports an error and exits 1 when the helper exits non-zero or by a
 *   signal ("helper exited with status N: " and the helper's last stderr
 *   line), or when the caller shuts the sync fd down or sends anything else
 *   ("container creation abandoned by the caller"); it then kills
 *   its remaining children (a container that waits on its exec fifo would
 *   otherwise wait forever when the caller died after the helper's READY).
 *
 * LOG (Docker json-file), one entry per line:
 *   {"log":"text\n","stream":"stdout"|"stderr","time":"RFC3339, 9 digits Z"}
 *   Output is split at newlines; a line longer than the line buffer (16 KiB),
 *   or unterminated when the stream ends, is written as an entry without the
 *   trailing "\n". A pty is logged as "stdout". Control characters are
 *   escaped (\n, \t, \u00XX...), invalid UTF-8 bytes become \ufffd.
 *
 * ATTACH SOCKET (stream, several clients, mode 0600)
 *   monitor -> client, no tty:  frames  u8 stream (1 stdout, 2 stderr)
 *                                       u32 length, big-endian
 *                                       length bytes
 *   monitor -> client, tty:     raw bytes from the pty master
 *   client -> monitor:          raw bytes, written to the container's stdin
 *                               (or the pty master); dropped without --stdin
 *   At most 16 clients (more are accepted and closed at once). A client whose
 *   unsent output exceeds its buffer (64 KiB) is disconnected; the container
 *   is never blocked by a slow reader. Only live output is sent
 *   (no history: that is the log). A client may shutdown(SHUT_WR) and keep
 *   reading. The container's stdin stays open until it exits or `close-stdin`.
 *
 * CONTROL SOCKET (ATTACH.ctl, stream, mode 0600), text lines, one reply each:
 *   resize ROWS COLS     TIOCSWINSZ on the pty master   -> "ok" | "error MSG"
 *   close-stdin          close the container's stdin     -> "ok" | "error MSG"
 *
 * EXIT FILE (JSON, one line):
 *   {"exitCode":N,"signal":S|null,"oomKilled":false,"finishedAt":"RFC3339"}
 *   N is the exit status, or 128+S when init was killed by signal S (a
 *   number). oomKilled is always false here: the engine reads the cgroup.
 *
 * EXIT STATUS of the monitor: 0 normal, 1 setup failed (reported on the sync
 * fd), 2 bad arguments.
 */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <sys/types.h>

#define MAX_LIST_ARGS 32 /* each of --runtime-arg, --*-command-arg */

struct argv_list {
	int n;
	const char *v[MAX_LIST_ARGS];
};

struct config {
	const char *id, *bundle, *runtime, *log_path, *attach_socket, *exit_file, *pid_file;
	struct argv_list runtime_args;
	long long log_max_size; /* 0 = unlimited */
	int log_max_files;
	int terminal, stdin_open;
	const char *exit_command;
	struct argv_list exit_command_args;
	long health_interval_ms; /* 0 = no health checks */
	const char *health_command;
	struct argv_list health_command_args;
	int sync_fd; /* -1 = none */
	const char *exec_helper; /* helper mode: NULL = run `RUNTIME create` */
	int helper_fd;           /* -1 = none */
};

/* args.c */
int parse_args(int argc, char **argv, struct config *cfg, char *err, size_t errlen);

/* json.c */
size_t json_escaped_len(const unsigned char *s, size_t n);
/* Escapes into out (which holds at least json_escaped_len bytes); returns bytes written. */
size_t json_escape(char *out, const unsigned char *s, size_t n);
/* Escapes into a bounded buffer, NUL-terminated, truncating at a character boundary. */
void json_escape_bounded(char *out, size_t outlen, const char *s);
/* "2026-11-29T01:02:03.123456789Z", NUL-terminated; buf holds >= 32 bytes. */
void format_time_now(char *buf);
/* Length of a trailing incomplete-but-valid UTF-8 prefix (0..3). */
size_t utf8_incomplete_tail(const unsigned char *s, size_t n);

/* fmt.c */
int fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
const char *err_text(int e);

/* util.c */
int write_all(int fd, const void *buf, size_t n);
int set_nonblock(int fd);
int set_cloexec(int fd);
int write_file_atomic(const char *path, const char *data, size_t n);
/* fork+exec with stdio on /dev/null (or the given fds if >= 0) and default signals. */
pid_t spawn_process(const char *path, const char *const argv[], int in, int out, int err);
/* spawn_process, in a new session, with fd3 (>= 3) as the child's fd 3. */
pid_t spawn_helper(const char *path, const char *const argv[], int in, int out, int err, int fd3);
void report_sync(int *sync_fd, const char *json_line);
/* A non-blocking unix socket listening at path (replacing a stale one), mode 0600. */
int unix_listen(const char *path, int backlog);

/* log.c */
enum stream_id { STREAM_STDOUT = 1, STREAM_STDERR = 2 };
int log_open(const struct config *cfg);
/* Feeds bytes read from a stream; complete lines become entries. */
void log_feed(enum stream_id s, const unsigned char *buf, size_t n);
/* Writes a pending partial line of the stream as its own entry. */
void log_flush(enum stream_id s);
void log_close(void);

/* attach.c */
int attach_open(const struct config *cfg);
/* The container's stdin (pipe write end, or -1) and pty master (or -1), known after create. */
void attach_set_stdio(int stdin_fd, int pty_master);
/* Adds the attach fds to the poll set; returns count added. */
int attach_poll_fill(struct pollfd *pfd, int max);
void attach_poll_handle(const struct pollfd *pfd, int n);
/* Sends output to every client (framed without a tty). */
void attach_broadcast(enum stream_id s, const unsigned char *buf, size_t n);
int attach_stdin_fd(void);
void attach_close(void);

/* child.c */
struct create_result {
	int ok;
	pid_t container_pid;
	int pty_master;
	char error[1024];
};
void child_setup_signals(void);
int child_signalfd(void);
void run_create(const struct config *cfg, int in, int out, int err, int err_read, struct create_result *res);
/* Helper mode: spawns the helper, then waits for its exit and the caller's pid line. */
void run_helper(const struct config *cfg, int in, int out, int err, int err_read, struct create_result *res);
/* Reaps everything that exited; returns 1 when the container has exited. */
int reap_children(pid_t container_pid, int *status);
void health_tick(const struct config *cfg);
int health_running(void);
void write_exit_file(const struct config *cfg, int status);
void run_exit_command(const struct config *cfg);

#endif
