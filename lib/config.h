/* Suite configs: plain `key = value` and `run = SCENARIO [options]` lines, `#` comments.
 * Parsed, never sourced; every error names file:line. */
#ifndef CB_CONFIG_H
#define CB_CONFIG_H

#include "opts.h"

#define CB_CONFIG_SETTINGS_MAX 32

struct cb_config_run {
	char scenario[64];
	struct cb_opts opts;        /* suite defaults overridden by the line's options */
	int line;
};

/* A kernel setting the suite applies for its duration and restores afterwards. */
struct cb_config_setting {
	char key[48];
	char path[256];
	char value[32];
	int line;
};

/* The order a suite runs its repetitions in (config key `order`). */
enum cb_order {
	CB_ORDER_INTERLEAVED,       /* rounds: repetition 1 of every instance, then repetition 2, ... */
	CB_ORDER_SEQUENTIAL,        /* every repetition of an instance back to back, then the next */
};

struct cb_config {
	struct cb_opts defaults;
	enum cb_order order;
	int order_line;             /* 0 = unset (interleaved) */
	struct cb_config_run *runs;
	int nruns;
	struct cb_config_setting settings[CB_CONFIG_SETTINGS_MAX];
	int nsettings;
	int default_line[16];       /* line of each suite default key (size, repeat, ...), 0 = unset */
};

#define CB_CONFIG_MAX_BYTES (1 << 20)

/* Returns 0, or -1 with "file:line: reason" in err (-errno text for an unreadable file). */
int cb_config_parse_file(const char *path, struct cb_config *cfg, char *err, size_t errlen);
int cb_config_parse_text(const char *name, const char *text, struct cb_config *cfg, char *err, size_t errlen);
/* The bytes text[0..len): a NUL among them is an error naming its line. */
int cb_config_parse_mem(const char *name, const char *text, size_t len, struct cb_config *cfg, char *err,
			size_t errlen);
void cb_config_free(struct cb_config *cfg);
struct cb_scenario;
/* The backings a run line's --backing names for scenario s (all, a comma list, or one name):
 * their count (0: none the scenario has), or -1 with err set. */
int cb_config_backings(const char *spec, const struct cb_scenario *s, char (*names)[32], int max, char *err,
		       size_t errlen);

#endif
