#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cb.h"
#include "proc.h"

#define TAG 0x9a0c9a0c00000000ull
#define CB_PROC_PREFIX "cowbench proc: "

static const char usage_proc[] =
	"usage: cowbench proc --phase startup|fork --backing B --size S\n"
	"Internal: the process the proc_startup and proc_fork scenarios time with hyperfine. Maps and\n"
	"populates a region of S for backing B and verifies it, then exits (startup) or first forks a\n"
	"child that exits at once and waits for it (fork). Changes no setting: the THP settings B needs\n"
	"must be in place (cowbench run/suite do that). Exit status: 0 ok, 3 the backing was not\n"
	"obtained (reason on stderr), 1 another error, 2 usage.\n";

static const struct cb_scenario cb_proc_scn = {
	.name = "proc", .backings = "base thp thp_pte mthp", .op = "a process's life",
};

static int cb_proc_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, CB_PROC_PREFIX);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_proc);
	return 2;
}

/* The child's exit and the parent's reaping are the phase; nothing else happens in between. */
static int cb_proc_fork(struct cb_ctx *ctx)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return cb_ctx_error(ctx, "fork", -errno);
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cb_ctx_error(ctx, "waitpid", -errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return cb_ctx_error(ctx, "child", -ECHILD);
	return 0;
}

int cb_proc_main(int argc, char **argv)
{
	/* Static: the histogram and vmstat tables are too big for the stack, and untouched bss
	 * costs the timed process nothing. */
	static struct cb_pass_result res;
	struct cb_ctx ctx = { .scn = &cb_proc_scn, .res = &res, .cpu = -1, .other_cpu = -1 };
	char *rest[16], err[256], why[256] = "";
	const char *phase = NULL;
	struct cb_region r;
	struct cb_opts o;
	int nrest = 0, used, ret;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_proc, stdout);
			return 0;
		}
		if (!strncmp(argv[i], "--phase=", 8))
			phase = argv[i] + 8;
		else if (!strcmp(argv[i], "--phase") && i + 1 < argc)
			phase = argv[++i];
		else if (nrest < (int)CB_ARRAY_SIZE(rest))
			rest[nrest++] = argv[i];
		else
			return cb_proc_usage("too many arguments%s", "");
	}
	if (!phase || (strcmp(phase, "startup") && strcmp(phase, "fork")))
		return cb_proc_usage("--phase startup or --phase fork%s", "");
	cb_opts_defaults(&o);
	used = cb_opts_parse(nrest, rest, &o, CB_OPT_BACKING | CB_OPT_SIZE, err, sizeof(err));
	if (used < 0)
		return cb_proc_usage("%s", err);
	if (used != nrest)
		return cb_proc_usage("unexpected argument '%s'", rest[used]);
	ret = cb_backing_parse(o.backing, &ctx.bk, why, sizeof(why));
	if (ret == -EINVAL)
		return cb_proc_usage("unknown backing '%s'", o.backing);
	if (ret) {
		fprintf(stderr, CB_PROC_PREFIX "%s\n", why);
		return CB_PROC_EXIT_SKIP;
	}
	ctx.backing = o.backing;
	ctx.size = o.size;
	ctx.pages = o.size / cb_page_size;
	res.status = CB_OK;
	ret = cb_region_map(&ctx, &r);
	if (!ret && res.status == CB_OK)
		ret = cb_region_fill(&ctx, &r, TAG);
	if (!ret && res.status == CB_OK && !strcmp(phase, "fork"))
		ret = cb_proc_fork(&ctx);
	if (ret < 0 && res.status == CB_OK)
		cb_ctx_error(&ctx, "proc", ret);
	if (res.status != CB_OK) {
		fprintf(stderr, CB_PROC_PREFIX "%s\n", res.reason);
		return res.status == CB_SKIP ? CB_PROC_EXIT_SKIP : 1;
	}
	/* No munmap: the exit's teardown of the populated region is part of what is timed. */
	return 0;
}

/* An error verdict with a reason of its own (cb_ctx_error takes a call and an errno). */
static int cb_proc_error(struct cb_ctx *ctx, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cb_proc_error(struct cb_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	if (ctx->res->status == CB_OK) {
		ctx->res->status = CB_ERROR;
		va_start(ap, fmt);
		vsnprintf(ctx->res->reason, sizeof(ctx->res->reason), fmt, ap);
		va_end(ap);
	}
	return err;
}

int cb_proc_time(struct cb_ctx *ctx, const struct cb_opts *o, const char *phase, struct cb_hyperfine *hf)
{
	char exe[64], size[32], hyperfine[4096], msg[256], why[256];
	char *argv[] = { exe, "proc", "--phase", (char *)phase, "--backing", (char *)o->backing, "--size", size, NULL };
	const char *reason;
	int ret, status;

	/* Checked first: without hyperfine nothing of this instance can be measured. */
	if (cb_hyperfine_find(hyperfine, sizeof(hyperfine)))
		return cb_ctx_skip(ctx, "hyperfine not installed");
	/* This very binary, through its /proc link: hyperfine cannot use /proc/self/exe (that would
	 * be hyperfine), and the path may name a newer build by now, or nothing ("(deleted)"). */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)getpid());
	snprintf(size, sizeof(size), "%zu", o->size);

	ret = cb_command_run(argv, ctx->cpu, &status, msg, sizeof(msg));
	if (ret)
		return cb_ctx_error(ctx, "running cowbench proc", ret);
	reason = strncmp(msg, CB_PROC_PREFIX, strlen(CB_PROC_PREFIX)) ? msg : msg + strlen(CB_PROC_PREFIX);
	if (WIFEXITED(status) && WEXITSTATUS(status) == CB_PROC_EXIT_SKIP)
		return cb_ctx_skip(ctx, "%s", reason);
	if (WIFSIGNALED(status))
		return cb_proc_error(ctx, -EINTR, "cowbench proc killed by signal %d (%s)", WTERMSIG(status),
				     strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status))
		return cb_proc_error(ctx, -EIO, "cowbench proc exited %d: %.200s", WEXITSTATUS(status), reason);

	ret = cb_hyperfine_run(argv, o->repeat, o->warmup, ctx->cpu, hf, why, sizeof(why));
	if (ret == -ENOENT)
		return cb_ctx_skip(ctx, "hyperfine not installed");
	if (ret)
		return cb_proc_error(ctx, ret, "%s", why);
	/* The direct run got the backing; a later one that did not is still no figure. */
	if (hf->bad_run && hf->bad_code == CB_PROC_EXIT_SKIP)
		return cb_ctx_skip(ctx, "backing %s not obtained in hyperfine run %d of %zu (cowbench proc exited %d)",
				   o->backing, hf->bad_run, hf->n, hf->bad_code);
	if (hf->bad_run && hf->bad_code < 0)
		return cb_proc_error(ctx, -EIO, "cowbench proc ended by a signal in hyperfine run %d of %zu",
				     hf->bad_run, hf->n);
	if (hf->bad_run)
		return cb_proc_error(ctx, -EIO, "cowbench proc exited %d in hyperfine run %d of %zu", hf->bad_code,
				     hf->bad_run, hf->n);
	return 0;
}
