/* CVE-2019-5736: a process of the container could open /proc/<helper>/exe and overwrite the
 * helper binary on the host. We therefore run from a sealed, anonymous copy of ourselves. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsexec.h"

#define MARKER "_BERTH_NSEXEC_SEALED"
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static int copy_all(int from, int to, off_t size)
{
	off_t off = 0;
	while (off < size) {
		ssize_t n = sendfile(to, from, &off, (size_t)(size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
	}
	return 0;
}

void sealed_exe_ensure(char **argv)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		fail(errno, "reexec", "open /proc/self/exe");
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS) {
		close(self);
		unsetenv(MARKER);
		return;
	}
	if (getenv(MARKER) != NULL)
		fail_msg(EPERM, "reexec", "re-executed but /proc/self/exe is not a sealed copy");

	int mfd = memfd_create("berth-nsexec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		fail(errno, "reexec", "memfd_create");
	struct stat st;
	if (fstat(self, &st) < 0 || copy_all(self, mfd, st.st_size) < 0)
		fail(errno, "reexec", "copy /proc/self/exe");
	close(self);
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		fail(errno, "reexec", "seal the copy");
	if (setenv(MARKER, "1", 1) < 0)
		fail(errno, "reexec", "setenv");
	fexecve(mfd, argv, environ);
	fail(errno, "reexec", "fexecve the sealed copy");
}
