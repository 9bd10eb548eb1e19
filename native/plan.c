/* Decoding of the SYNC_PLAN payload (format: plan.h). Input is untrusted in the sense that a
 * bad encoder must produce an error, never an out-of-bounds read. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsexec.h"

struct cursor {
	const uint8_t *p;
	size_t n;
	int bad;
};

static uint32_t get_u32(struct cursor *c)
{
	if (c->bad || c->n < 4) {
		c->bad = 1;
		return 0;
	}
	uint32_t v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
	c->p += 4;
	c->n -= 4;
	return v;
}

static uint64_t get_u64(struct cursor *c)
{
	uint64_t lo = get_u32(c);
	uint64_t hi = get_u32(c);
	return lo | hi << 32;
}

static char *dup_str(struct cursor *c, size_t len)
{
	if (c->bad || c->n < len || memchr(c->p, 0, len) != NULL) {
		c->bad = 1;
		return NULL;
	}
	char *s = malloc(len + 1);
	if (s == NULL) {
		c->bad = 1;
		return NULL;
	}
	memcpy(s, c->p, len);
	s[len] = 0;
	c->p += len;
	c->n -= len;
	return s;
}

/* A length-prefixed str inside a multi-field payload. */
static char *get_str(struct cursor *c)
{
	uint32_t len = get_u32(c);
	return dup_str(c, len);
}

/* A payload that is one bare str. */
static char *whole_str(struct cursor *c)
{
	return dup_str(c, c->n);
}

static char **get_strv(struct cursor *c, size_t *count)
{
	uint32_t n = get_u32(c);
	/* each element needs at least its 4-byte length, which bounds the allocation */
	if (c->bad || n > c->n / 4) {
		c->bad = 1;
		return NULL;
	}
	char **v = calloc((size_t)n + 1, sizeof(char *));
	if (v == NULL) {
		c->bad = 1;
		return NULL;
	}
	for (uint32_t i = 0; i < n && !c->bad; i++)
		v[i] = get_str(c);
	*count = n;
	return v;
}

static void *grow(void *arr, size_t count, size_t size, struct cursor *c)
{
	void *n = realloc(arr, (count + 1) * size);
	if (n == NULL)
		c->bad = 1;
	return n;
}

#define PUSH(arr, count, c)                                                 \
	({                                                                  \
		void *g_ = grow((arr), (count), sizeof(*(arr)), (c));       \
		if (g_ != NULL)                                             \
			(arr) = g_;                                         \
		g_ != NULL ? &(arr)[(count)++] : NULL;                      \
	})

static int decode_record(uint16_t tag, struct cursor *c, struct plan *p)
{
	switch (tag) {
	case PLAN_MODE: p->mode = get_u32(c); break;
	case PLAN_FOREGROUND: p->foreground = get_u32(c); break;
	case PLAN_CLONE_FLAGS: p->clone_flags = get_u64(c); break;
	case PLAN_JOIN_NS: {
		struct ns_join *j = PUSH(p->joins, p->njoins, c);
		if (j == NULL)
			return -1;
		j->type = get_u32(c);
		j->path = get_str(c);
		break;
	}
	case PLAN_WAIT_GO: p->wait_go = get_u32(c); break;
	case PLAN_RUN_HOOKS: p->run_hooks = get_u32(c); break;
	case PLAN_LOOPBACK_UP: p->loopback_up = get_u32(c); break;
	case PLAN_ROOTFS: p->rootfs = whole_str(c); break;
	case PLAN_ROOTFS_READONLY: p->rootfs_readonly = get_u32(c); break;
	case PLAN_ROOTFS_PROPAGATION: p->rootfs_propagation = get_u64(c); break;
	case PLAN_NO_PIVOT: p->no_pivot = get_u32(c); break;
	case PLAN_TIME_OFFSETS: p->time_offsets = whole_str(c); break;
	case PLAN_USERNS_HOLDERS: p->userns_holders = get_u32(c); break;
	case PLAN_ROOTFS_IDMAP: p->rootfs_idmap = get_u32(c); break;
	case PLAN_MOUNT:
	case PLAN_IDMAP_MOUNT: {
		struct mount_op *m = PUSH(p->mounts, p->nmounts, c);
		if (m == NULL)
			return -1;
		m->idmap_holder = 0;
		m->idmap_recursive = 0;
		m->tree_fd = -1;
		if (tag == PLAN_IDMAP_MOUNT) {
			m->idmap_holder = get_u32(c);
			m->idmap_recursive = get_u32(c);
			if (m->idmap_holder == 0)
				c->bad = 1;
		}
		m->source = get_str(c);
		m->target = get_str(c);
		m->fstype = get_str(c);
		m->flags = get_u64(c);
		m->propagation = get_u64(c);
		m->data = get_str(c);
		m->remount_flags = get_u64(c);
		m->target_kind = get_u32(c);
		if (m->target_kind != MOUNT_TARGET_DIR && m->target_kind != MOUNT_TARGET_FILE)
			c->bad = 1;
		break;
	}
	case PLAN_DEVICE: {
		struct device_op *d = PUSH(p->devices, p->ndevices, c);
		if (d == NULL)
			return -1;
		d->path = get_str(c);
		d->type = get_u32(c);
		d->major = get_u32(c);
		d->minor = get_u32(c);
		d->mode = get_u32(c);
		d->uid = get_u32(c);
		d->gid = get_u32(c);
		d->bind_from_host = get_u32(c);
		if (d->type != 'c' && d->type != 'b' && d->type != 'p' && d->type != 'u')
			c->bad = 1;
		break;
	}
	case PLAN_SYMLINK: {
		struct str_pair *s = PUSH(p->symlinks, p->nsymlinks, c);
		if (s == NULL)
			return -1;
		s->a = get_str(c);
		s->b = get_str(c);
		break;
	}
	case PLAN_MASK: {
		char **s = PUSH(p->masks, p->nmasks, c);
		if (s == NULL)
			return -1;
		*s = whole_str(c);
		break;
	}
	case PLAN_READONLY_PATH: {
		char **s = PUSH(p->readonly_paths, p->nreadonly, c);
		if (s == NULL)
			return -1;
		*s = whole_str(c);
		break;
	}
	case PLAN_HOSTNAME: p->hostname = whole_str(c); break;
	case PLAN_DOMAINNAME: p->domainname = whole_str(c); break;
	case PLAN_SYSCTL: {
		struct str_pair *s = PUSH(p->sysctls, p->nsysctls, c);
		if (s == NULL)
			return -1;
		s->a = get_str(c);
		s->b = get_str(c);
		break;
	}
	case PLAN_RLIMIT: {
		struct rlimit_op *r = PUSH(p->rlimits, p->nrlimits, c);
		if (r == NULL)
			return -1;
		r->resource = get_u32(c);
		r->soft = get_u64(c);
		r->hard = get_u64(c);
		break;
	}
	case PLAN_CAPS:
		p->has_caps = 1;
		p->cap_bounding = get_u64(c);
		p->cap_effective = get_u64(c);
		p->cap_inheritable = get_u64(c);
		p->cap_permitted = get_u64(c);
		p->cap_ambient = get_u64(c);
		break;
	case PLAN_NO_NEW_PRIVS: p->no_new_privs = get_u32(c); break;
	case PLAN_SECCOMP:
		p->has_seccomp = 1;
		p->seccomp_flags = get_u32(c);
		if (c->bad || c->n % 8 != 0) {
			c->bad = 1;
			break;
		}
		p->seccomp_len = c->n;
		p->seccomp_prog = malloc(c->n ? c->n : 1);
		if (p->seccomp_prog == NULL) {
			c->bad = 1;
			break;
		}
		memcpy(p->seccomp_prog, c->p, c->n);
		c->p += c->n;
		c->n = 0;
		break;
	case PLAN_USER: {
		p->has_user = 1;
		p->uid = get_u32(c);
		p->gid = get_u32(c);
		p->umask = get_u32(c);
		uint32_t n = get_u32(c);
		if (c->bad || n > c->n / 4) {
			c->bad = 1;
			break;
		}
		p->gids = calloc(n ? n : 1, sizeof(uint32_t));
		if (p->gids == NULL) {
			c->bad = 1;
			break;
		}
		for (uint32_t i = 0; i < n; i++)
			p->gids[i] = get_u32(c);
		p->ngids = n;
		break;
	}
	case PLAN_SETGROUPS: p->setgroups = get_u32(c); break;
	case PLAN_CWD: p->cwd = whole_str(c); break;
	case PLAN_ENV: p->env = get_strv(c, &p->nenv); break;
	case PLAN_ARGS: p->args = get_strv(c, &p->nargs); break;
	case PLAN_EXEC_FIFO: p->exec_fifo = whole_str(c); break;
	case PLAN_TERMINAL: p->terminal = get_u32(c); break;
	case PLAN_CONSOLE_SOCKET: p->console_socket = whole_str(c); break;
	case PLAN_CONSOLE_SIZE:
		p->has_console_size = 1;
		p->rows = get_u32(c);
		p->cols = get_u32(c);
		break;
	case PLAN_PRESERVE_FDS: p->preserve_fds = get_u32(c); break;
	case PLAN_SYNC_FD: p->sync_fd = get_u32(c); break;
	case PLAN_PID_FILE: c->p += c->n; c->n = 0; break;
	case PLAN_CHDIR_NS_PID: p->target_pid = get_u32(c); break;
	case PLAN_HOOK_STATE:
		p->hook_state_before = get_str(c);
		p->hook_state_after = get_str(c);
		break;
	case PLAN_START_HOOK: {
		struct start_hook *h = PUSH(p->start_hooks, p->nstart_hooks, c);
		if (h == NULL)
			return -1;
		h->path = get_str(c);
		h->args = get_strv(c, &h->nargs);
		h->env = get_strv(c, &h->nenv);
		h->timeout = get_u32(c);
		if (!c->bad && (h->nargs == 0 || h->path[0] != '/'))
			c->bad = 1;
		break;
	}
	default:
		return -2;
	}
	return c->bad || c->n != 0 ? -1 : 0;
}

static int whyf(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

int plan_decode(const uint8_t *buf, size_t len, struct plan *p, char *why, size_t whylen)
{
	memset(p, 0, sizeof(*p));
	p->sync_fd = 3;
	p->umask = 0xffffffffu;
	p->setgroups = 1;
	size_t off = 0;
	while (off < len) {
		if (len - off < 6)
			return whyf(why, whylen, "truncated record header at offset %zu", off);
		uint16_t tag = (uint16_t)(buf[off] | buf[off + 1] << 8);
		uint32_t rlen = (uint32_t)buf[off + 2] | (uint32_t)buf[off + 3] << 8 | (uint32_t)buf[off + 4] << 16 |
				(uint32_t)buf[off + 5] << 24;
		off += 6;
		if (rlen > len - off)
			return whyf(why, whylen, "record %u at offset %zu: length %u exceeds the plan", tag, off - 6, rlen);
		struct cursor c = { buf + off, rlen, 0 };
		int r = decode_record(tag, &c, p);
		if (r == -2)
			return whyf(why, whylen, "unknown record tag %u", tag);
		if (r < 0)
			return whyf(why, whylen, "record %u: malformed payload of %u bytes", tag, rlen);
		off += rlen;
	}
	if (p->mode != MODE_CREATE && p->mode != MODE_EXEC)
		return whyf(why, whylen, "missing or invalid mode %u", p->mode);
	if (p->args == NULL || p->nargs == 0)
		return whyf(why, whylen, "no process args");
	if (p->mode == MODE_CREATE && (p->rootfs == NULL || p->rootfs[0] != '/'))
		return whyf(why, whylen, "create mode needs an absolute rootfs");
	p->rootfs_tree = -1;
	if (p->rootfs_idmap > p->userns_holders)
		return whyf(why, whylen, "rootfs id map names holder %u of %u", p->rootfs_idmap, p->userns_holders);
	for (size_t i = 0; i < p->nmounts; i++) {
		if (p->mounts[i].idmap_holder > p->userns_holders)
			return whyf(why, whylen, "id-mapped mount %s names holder %u of %u", p->mounts[i].target,
				    p->mounts[i].idmap_holder, p->userns_holders);
		if (p->mounts[i].idmap_holder != 0 && p->mounts[i].fstype[0] != 0)
			return whyf(why, whylen, "id-mapped mount %s is not a bind mount", p->mounts[i].target);
	}
	if (p->nstart_hooks > 0 && (p->hook_state_before == NULL || p->mode != MODE_CREATE))
		return whyf(why, whylen, "startContainer hooks need create mode and PLAN_HOOK_STATE");
	if (p->env == NULL) {
		p->env = calloc(1, sizeof(char *));
		if (p->env == NULL)
			return whyf(why, whylen, "out of memory");
	}
	return 0;
}
