#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cb.h"
#include "opts.h"

void cb_opts_defaults(struct cb_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->backing, sizeof(o->backing), "base");
	o->size = 64ull << 20;
	o->repeat = 5;
	o->warmup = 1;
	o->cpu = -1;
	o->target_ci = 0.01;
	o->max_repeat = 30;
	o->max_time = 60;
}

int cb_opts_finish(struct cb_opts *o, char *err, size_t errlen)
{
	if ((o->set & CB_OPT_AUTO) && (o->set & CB_OPT_REPEAT) && !o->repeat_auto) {
		snprintf(err, errlen, "--%s goes with --repeat auto, not --repeat %d",
			 o->set & CB_OPT_TARGET_CI ? "target-ci" : o->set & CB_OPT_MAX_REPEAT ? "max-repeat" : "max-time",
			 o->repeat);
		return -1;
	}
	if ((o->set & CB_OPT_THREADS) && (o->set & CB_OPT_PROCESSES)) {
		snprintf(err, errlen, "--threads and --processes exclude each other");
		return -1;
	}
	if (o->set & CB_OPT_AUTO)
		o->repeat_auto = 1;
	if (o->repeat_auto)
		o->repeat = o->max_repeat;
	return 0;
}

void cb_opts_instance(const struct cb_opts *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (o->numa[0] && off < len)
		off += (size_t)snprintf(buf + off, len - off, "numa=%s", o->numa);
	if ((o->set & CB_OPT_SIBLINGS) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%ssiblings=%d", off ? " " : "", o->siblings);
	if (o->events[0] && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%sevents=%s", off ? " " : "", o->events);
	if (o->threads && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%sthreads=%d", off ? " " : "", o->threads);
	if (o->processes && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%sprocesses=%d", off ? " " : "", o->processes);
	if (o->swap[0] && off < len)
		snprintf(buf + off, len - off, "%sswap=%s", off ? " " : "", o->swap);
}

int cb_size_parse(const char *s, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	default: break;
	}
	if (mult > 1 && (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (v > (1ull << 40) / mult)
		return -ERANGE;
	v *= mult;
	if (v == 0 || v % cb_page_size)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

void cb_size_format(size_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%zu", bytes);
	else
		snprintf(buf, len, "%zu%c", bytes, units[u]);
}

int cb_int_parse(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* Plain digits, a '-' only where negatives are allowed: strtol alone would take " 5", "+5". */
	if (!s || !*s || strspn(s + (min < 0 && *s == '-'), "0123456789") != strlen(s + (min < 0 && *s == '-')) ||
	    !s[min < 0 && *s == '-'])
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	unsigned flag;
} cb_opt_names[] = {
	{ "backing", CB_OPT_BACKING }, { "size", CB_OPT_SIZE }, { "repeat", CB_OPT_REPEAT },
	{ "warmup", CB_OPT_WARMUP },   { "cpu", CB_OPT_CPU },   { "out", CB_OPT_OUT },
	{ "numa", CB_OPT_NUMA },       { "events", CB_OPT_EVENTS }, { "siblings", CB_OPT_SIBLINGS },
	{ "swap", CB_OPT_SWAP },       { "swap_size", CB_OPT_SWAP_SIZE }, { "swap_comp", CB_OPT_SWAP_COMP },
	{ "swapfile", CB_OPT_SWAPFILE }, { "target_ci", CB_OPT_TARGET_CI }, { "max_repeat", CB_OPT_MAX_REPEAT },
	{ "max_time", CB_OPT_MAX_TIME }, { "threads", CB_OPT_THREADS }, { "processes", CB_OPT_PROCESSES },
};

/* "1%" or "0.01": a fraction in (0, 1). */
static int cb_fraction_parse(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || !strchr("0123456789.", *s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end || !(v > 0 && v < 1))
		return -EINVAL;
	*out = v;
	return 0;
}

static int cb_opt_apply(struct cb_opts *o, unsigned flag, const char *name, const char *val, char *err,
			size_t errlen)
{
	long v;
	int ret;

	switch (flag) {
	case CB_OPT_BACKING:
		if (!*val || strlen(val) >= sizeof(o->backing))
			goto bad;
		snprintf(o->backing, sizeof(o->backing), "%s", val);
		break;
	case CB_OPT_SIZE:
		ret = cb_size_parse(val, &o->size);
		if (ret) {
			snprintf(err, errlen, "--size %s: %s (want e.g. 64M, 1G: a whole number of %zu-byte pages)",
				 val, ret == -ERANGE ? "too large" : "not a size", cb_page_size);
			return -1;
		}
		break;
	case CB_OPT_REPEAT:
		if (strcmp(val, "auto") == 0) {
			o->repeat_auto = 1;
			break;
		}
		if (cb_int_parse(val, 1, 100000, &v))
			goto bad;
		o->repeat = (int)v;
		o->repeat_auto = 0;
		break;
	case CB_OPT_TARGET_CI:
		if (cb_fraction_parse(val, &o->target_ci))
			goto bad;
		break;
	case CB_OPT_MAX_REPEAT:
		if (cb_int_parse(val, 3, 100000, &v))
			goto bad;
		o->max_repeat = (int)v;
		break;
	case CB_OPT_MAX_TIME: {
		char *end;
		double t;

		errno = 0;
		t = strtod(val, &end);
		if (!*val || !strchr("0123456789.", *val) || errno || end == val || (*end && strcmp(end, "s")) ||
		    !(t > 0 && t <= 86400))
			goto bad;
		o->max_time = t;
		break;
	}
	case CB_OPT_WARMUP:
		if (cb_int_parse(val, 0, 1000, &v))
			goto bad;
		o->warmup = (int)v;
		break;
	case CB_OPT_CPU:
		if (strcmp(val, "auto") == 0) {
			o->cpu = -1;
			break;
		}
		if (cb_int_parse(val, 0, 4095, &v))
			goto bad;
		o->cpu = (int)v;
		break;
	case CB_OPT_OUT:
		if (!*val || strlen(val) >= sizeof(o->out))
			goto bad;
		snprintf(o->out, sizeof(o->out), "%s", val);
		break;
	case CB_OPT_NUMA:
		if (strcmp(val, "local") && strcmp(val, "remote") && strcmp(val, "interleave"))
			goto bad;
		snprintf(o->numa, sizeof(o->numa), "%s", val);
		break;
	case CB_OPT_EVENTS:
		/* libpfm4 names: letters, digits and _ : . - = , only; checked against the PMU later. */
		if (!*val || strlen(val) >= sizeof(o->events) ||
		    strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-=,") != strlen(val))
			goto bad;
		snprintf(o->events, sizeof(o->events), "%s", val);
		break;
	case CB_OPT_SIBLINGS:
		if (cb_int_parse(val, 0, 4095, &v))
			goto bad;
		o->siblings = (int)v;
		break;
	case CB_OPT_THREADS:
		if (cb_int_parse(val, 1, CB_WORKERS_MAX, &v))
			goto bad;
		o->threads = (int)v;
		break;
	case CB_OPT_PROCESSES:
		if (cb_int_parse(val, 1, CB_WORKERS_MAX, &v))
			goto bad;
		o->processes = (int)v;
		break;
	case CB_OPT_SWAP:
		if (strcmp(val, "zram") && strcmp(val, "swapfile") && strcmp(val, "existing") && strcmp(val, "none"))
			goto bad;
		snprintf(o->swap, sizeof(o->swap), "%s", val);
		break;
	case CB_OPT_SWAP_SIZE:
		if (cb_size_parse(val, &o->swap_size))
			goto bad;
		break;
	case CB_OPT_SWAP_COMP:
		if (!*val || strlen(val) >= sizeof(o->swap_comp) || strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(val))
			goto bad;
		snprintf(o->swap_comp, sizeof(o->swap_comp), "%s", val);
		break;
	case CB_OPT_SWAPFILE:
		if (val[0] != '/' || strlen(val) >= sizeof(o->swapfile))
			goto bad;
		snprintf(o->swapfile, sizeof(o->swapfile), "%s", val);
		break;
	}
	o->set |= flag;
	return 0;
bad:
	snprintf(err, errlen, "--%s %s: bad value%s", name, val,
		 flag == CB_OPT_REPEAT ? " (want 1 ... 100000 or auto)" :
		 flag == CB_OPT_TARGET_CI ? " (want a fraction above 0 and below 1, e.g. 1% or 0.01)" :
		 flag == CB_OPT_MAX_REPEAT ? " (want 3 ... 100000)" :
		 flag == CB_OPT_MAX_TIME ? " (want seconds above 0, at most 86400, e.g. 60 or 60s)" :
		 flag == CB_OPT_WARMUP ? " (want 0 ... 1000)" :
		 flag == CB_OPT_CPU ? " (want a CPU number or auto)" :
		 flag == CB_OPT_NUMA ? " (want local, remote or interleave)" :
		 flag == CB_OPT_EVENTS ? " (want libpfm4 event names separated by commas)" :
		 flag == CB_OPT_SIBLINGS ? " (want 0 ... 4095)" :
		 flag == CB_OPT_SWAP ? " (want zram, swapfile, existing or none)" :
		 flag == CB_OPT_SWAP_SIZE ? " (want a size such as 2G)" :
		 flag == CB_OPT_SWAP_COMP ? " (want a zram algorithm such as lz4)" :
		 flag == CB_OPT_SWAPFILE ? " (want an absolute path)" : "");
	return -1;
}

int cb_opts_parse(int argc, char **argv, struct cb_opts *o, unsigned allowed, char *err, size_t errlen)
{
	unsigned seen = 0;
	int i;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *val, *eq;
		char name[32];
		unsigned flag = 0;

		if (strncmp(arg, "--", 2) != 0 || !arg[2])
			break;
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - arg - 2 : (long)strlen(arg) - 2), arg + 2);
		/* --target-ci and --target_ci alike (config keys are spelt with '_'). */
		for (char *d = name; *d; d++)
			if (*d == '-')
				*d = '_';
		for (size_t k = 0; k < CB_ARRAY_SIZE(cb_opt_names); k++)
			if (strcmp(name, cb_opt_names[k].name) == 0)
				flag = cb_opt_names[k].flag;
		if (!(flag & allowed)) {
			snprintf(err, errlen, "unknown option --%s", name);
			return -1;
		}
		/* One rule for every repeated setting: an error, never the last one silently winning. */
		if (flag & seen) {
			snprintf(err, errlen, "--%s given twice", name);
			return -1;
		}
		seen |= flag;
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			snprintf(err, errlen, "--%s needs a value", name);
			return -1;
		}
		if (cb_opt_apply(o, flag, name, val, err, errlen))
			return -1;
	}
	return i;
}
