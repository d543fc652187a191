/* bench/vm_costs.c - what a page fault and loading the UTF-8 locale
 * cost on this machine, the figures behind docs/performance.md, "Huge
 * pages" and "The start". Not part of the build:
 *
 *     cc -O2 -o /tmp/vm_costs bench/vm_costs.c && /tmp/vm_costs 512
 *
 * Touches PAGES fresh 4 KiB pages of an anonymous map one by one, then
 * the same bytes populated in one call (MADV_POPULATE_WRITE), then
 * advised as 2 MiB huge pages (MADV_HUGEPAGE), and times
 * setlocale(LC_CTYPE, "C.UTF-8"); each figure is wall time in this one
 * thread.
 */
#define _GNU_SOURCE
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Milliseconds to touch N bytes of a fresh map, a byte a page, after
 * ADVICE (0: none) on its 2 MiB-aligned part. */
static double touch_ms(size_t n, int advice)
{
	size_t huge = (size_t)2 << 20;
	char *map = mmap(NULL, n + huge, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		exit(1);
	char *p = (char *)(((uintptr_t)map + huge - 1) & ~(uintptr_t)(huge - 1));
	double t = now_ms();
	if (advice != 0)
		madvise(p, n, advice);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	t = now_ms() - t;
	munmap(map, n + huge);
	return t;
}

int main(int argc, char **argv)
{
	size_t pages = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
	size_t n = pages * 4096;
	double small = touch_ms(n, 0);
	printf("%zu small pages touched: %.2f ms, %.1f us a page\n", pages,
	       small, small * 1e3 / (double)pages);
	double pop = touch_ms(n, MADV_POPULATE_WRITE);
	printf("populated in one call:  %.2f ms, %.1f us a page\n", pop,
	       pop * 1e3 / (double)pages);
	double huge = touch_ms(n, MADV_HUGEPAGE);
	printf("advised huge pages:     %.2f ms\n", huge);
	double t = now_ms();
	setlocale(LC_CTYPE, "C.UTF-8");
	printf("setlocale C.UTF-8:      %.2f ms\n", now_ms() - t);
	return 0;
}
