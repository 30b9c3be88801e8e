/* Log-linear latency histogram (HDR-style): bounded memory, <= 1 % relative error. */
#ifndef CB_HIST_H
#define CB_HIST_H

#include <stdint.h>

/*
 * Values below 2^CB_HIST_SUB_BITS are stored exactly; every power-of-two range above is split
 * into 2^(CB_HIST_SUB_BITS-1) equal sub-buckets, so a bucket's midpoint is within
 * 2^-CB_HIST_SUB_BITS (0.8 %) of any value in it.
 */
#define CB_HIST_SUB_BITS 7
#define CB_HIST_BUCKETS ((64 - CB_HIST_SUB_BITS + 1) * (1 << (CB_HIST_SUB_BITS - 1)) + (1 << (CB_HIST_SUB_BITS - 1)))

struct cb_hist {
	uint64_t count;
	uint64_t min, max;          /* exact */
	double sum;                 /* exact mean = sum / count */
	uint64_t buckets[CB_HIST_BUCKETS];
};

void cb_hist_init(struct cb_hist *h);
void cb_hist_add(struct cb_hist *h, uint64_t v);
void cb_hist_merge(struct cb_hist *dst, const struct cb_hist *src);
/* pct in [0, 100]; 0 for an empty histogram; the max is exact, other values are bucket midpoints
 * clamped to [min, max]. */
uint64_t cb_hist_percentile(const struct cb_hist *h, double pct);
double cb_hist_mean(const struct cb_hist *h);
/* Bucket geometry, for exporting non-empty buckets: [low, high] inclusive. */
int cb_hist_bucket_of(uint64_t v);
uint64_t cb_hist_bucket_low(int i);
uint64_t cb_hist_bucket_high(int i);

#endif
