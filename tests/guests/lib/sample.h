/*
 * Summaries of timing samples for the bench guest (tests/guests/bench.c):
 * minimum, lower median, mean and maximum of an array of tick counts.
 * Pure code (host-tested in tests/unit/test_sample.c).
 */
#ifndef KEEL_GUESTS_SAMPLE_H
#define KEEL_GUESTS_SAMPLE_H

#include "lib/types.h"

struct sample_summary {
	u64 count;
	u64 min;
	u64 median; /* the lower median: element (count - 1) / 2 of the sorted samples */
	u64 max;
	u64 sum;
};

/* Sorts v[0..n) ascending in place (heap sort: O(n log n), no recursion). */
void sample_sort(u64 *v, size_t n);

/*
 * Subtracts `bias` from each of v[0..n) (a sample below it becomes 0),
 * sorts v and summarises it. n == 0 gives an all-zero summary. v is left
 * sorted and biased.
 */
struct sample_summary sample_summarize(u64 *v, size_t n, u64 bias);

/* The mean in hundredths, rounded half up (0 for an empty summary). */
u64 sample_mean_centi(const struct sample_summary *s);

#endif
