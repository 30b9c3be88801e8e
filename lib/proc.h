/* Process-level phases: `cowbench proc`, the process whose whole life hyperfine times (start-up,
 * populating a region for a backing, a fork+exit+wait of it, exit), and the runner's side of it. */
#ifndef CB_PROC_H
#define CB_PROC_H

#include "hyperfine.h"
#include "opts.h"
#include "scenario.h"

/* `cowbench proc` exit status when the backing was not obtained (the reason is on stderr). */
#define CB_PROC_EXIT_SKIP 3

/* The `cowbench proc --phase startup|fork --backing B --size S` command (prints to stderr).
 * Changes no setting: the runner that starts it has put the backing's in place. */
int cb_proc_main(int argc, char **argv);

/*
 * Times `cowbench proc --phase phase` for ctx's instance with hyperfine (o->repeat runs after
 * o->warmup), pinned to ctx->cpu. Runs it once directly first so a failure comes with the reason
 * the command printed: exit 3 (backing not obtained) is skip, another failure error. hyperfine
 * not in PATH: skip "hyperfine not installed". Returns 0 or -errno (verdicts on ctx->res).
 */
int cb_proc_time(struct cb_ctx *ctx, const struct cb_opts *o, const char *phase, struct cb_hyperfine *hf);

#endif
