#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb.h"

size_t cb_page_size = 4096;

__attribute__((constructor)) static void cb_page_size_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps > 0)
		cb_page_size = (size_t)ps;
}

/* PFNs in pagemap, kpageflags/kpagecount and tracepoints all need CAP_SYS_ADMIN-level rights; a
 * process without it gets zeros or EPERM, which must turn into a skip, never a figure. */
bool cb_is_privileged(void)
{
	char line[256];
	bool priv = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "CapEff:", 7) == 0) {
			unsigned long long caps = strtoull(line + 7, NULL, 16);

			priv = caps & (1ull << 21); /* CAP_SYS_ADMIN */
			break;
		}
	}
	fclose(f);
	return priv;
}

int cb_mkdir_p(const char *path)
{
	char buf[4096];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

pid_t cb_fork_tied(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		/* Without it, an orphaned child of a SIGKILLed suite would keep writing, holding
		 * memory, and race `cowbench restore`. The getppid check closes the window before
		 * prctl: a parent that died already has re-parented us. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
	}
	return pid;
}
