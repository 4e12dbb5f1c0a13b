/*
 * Sample summaries for the bench guest (sample.h). Heap sort keeps the
 * cost at O(n log n) without recursion or extra memory: the guest sorts
 * up to 32768 samples in one go.
 */
#include "tests/guests/lib/sample.h"

/* Moves v[root] down until the max-heap v[0..n) holds again below root. */
static void sample_sift_down(u64 *v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		u64 t;

		if (child >= n)
			return;
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[root] >= v[child])
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

void sample_sort(u64 *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sample_sift_down(v, i, n);
	for (size_t end = n; end-- > 1;) {
		u64 t = v[0];

		v[0] = v[end];
		v[end] = t;
		sample_sift_down(v, 0, end);
	}
}

struct sample_summary sample_summarize(u64 *v, size_t n, u64 bias)
{
	struct sample_summary s = {0};

	if (n == 0)
		return s;
	for (size_t i = 0; i < n; i++) {
		v[i] = v[i] > bias ? v[i] - bias : 0;
		s.sum += v[i];
	}
	sample_sort(v, n);
	s.count = n;
	s.min = v[0];
	s.median = v[(n - 1) / 2];
	s.max = v[n - 1];
	return s;
}

u64 sample_mean_centi(const struct sample_summary *s)
{
	if (s->count == 0)
		return 0;
	return (s->sum * 100 + s->count / 2) / s->count;
}
