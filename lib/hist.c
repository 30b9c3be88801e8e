#include <math.h>
#include <string.h>

#include "hist.h"

/*
 * Bucket index layout: values below 2^SUB_BITS map to themselves.  A larger value with its top
 * bit at position k is shifted right by s = k - (SUB_BITS - 1), which leaves its top SUB_BITS bits,
 * m in [HALF, 2*HALF); the index is s * HALF + m.  With s = 0 the same formula gives v itself, so
 * one expression covers both ranges and the indices are dense: the last bucket (k = 63) is
 * CB_HIST_BUCKETS - 1.
 */
#define HALF (1 << (CB_HIST_SUB_BITS - 1))

void cb_hist_init(struct cb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Runs right after a timed access, so it must stay a handful of instructions: no loop, no branch
 * the compiler cannot turn into a conditional move. */
static inline int cb_hist_index(uint64_t v)
{
	int k = 63 - __builtin_clzll(v | 1);
	int s = k > CB_HIST_SUB_BITS - 1 ? k - (CB_HIST_SUB_BITS - 1) : 0;

	return s * HALF + (int)(v >> s);
}

int cb_hist_bucket_of(uint64_t v)
{
	return cb_hist_index(v);
}

void cb_hist_add(struct cb_hist *h, uint64_t v)
{
	h->buckets[cb_hist_index(v)]++;
	h->count++;
	h->sum += (double)v;
	h->min = v < h->min ? v : h->min;
	h->max = v > h->max ? v : h->max;
}

void cb_hist_merge(struct cb_hist *dst, const struct cb_hist *src)
{
	if (!src->count)
		return;
	for (int i = 0; i < CB_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* Out-of-range indices give 0 rather than a shift by a negative or oversized amount. */
uint64_t cb_hist_bucket_low(int i)
{
	int s;

	if (i < 0 || i >= CB_HIST_BUCKETS)
		return 0;
	if (i < 2 * HALF)
		return (uint64_t)i;
	s = i / HALF - 1;
	return (uint64_t)(i - s * HALF) << s;
}

uint64_t cb_hist_bucket_high(int i)
{
	int s;

	if (i < 0 || i >= CB_HIST_BUCKETS)
		return 0;
	if (i < 2 * HALF)
		return (uint64_t)i;
	s = i / HALF - 1;
	/* Written as low + (width - 1) so the last bucket ends at UINT64_MAX without overflowing. */
	return cb_hist_bucket_low(i) + ((UINT64_C(1) << s) - 1);
}

uint64_t cb_hist_percentile(const struct cb_hist *h, double pct)
{
	uint64_t rank, cum = 0;
	double r;

	if (!h->count)
		return 0;
	/* !(pct > 0) also sends NaN to the min rather than to an arbitrary bucket. */
	if (!(pct > 0))
		return h->min;
	if (pct >= 100)
		return h->max;
	/* pct * count is exact for integral pct and realistic counts, so dividing last keeps e.g.
	 * p7 of 100 samples at rank 7: (7 / 100.0) * 100 is 7.000000000000001 and ceils to 8. */
	r = ceil(pct * (double)h->count / 100.0);
	rank = r < 1 ? 1 : r >= (double)h->count ? h->count : (uint64_t)r;
	for (int i = 0; i < CB_HIST_BUCKETS; i++) {
		uint64_t low, mid;

		cum += h->buckets[i];
		if (cum < rank)
			continue;
		low = cb_hist_bucket_low(i);
		mid = low + (cb_hist_bucket_high(i) - low) / 2;
		if (mid < h->min)
			return h->min;
		return mid > h->max ? h->max : mid;
	}
	/* Only reachable if the buckets disagree with count (a torn or corrupted struct). */
	return h->max;
}

double cb_hist_mean(const struct cb_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}
