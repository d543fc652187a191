/* test_heap.c - warming a heap: at least three whole 2 MiB pages are
 * advised, and what the thread allocates next lies wholly in memory the
 * kernel was asked to back with huge pages (the "hg" flag of its mapping
 * in /proc/self/smaps), in a thread of its own as in the main thread,
 * and still after blocks were freed; no more than TH_HUGE_PAGE_THREADS
 * heaps are warm at once. A block of its own map is zeroed, writable to
 * its end, and a write past its pages faults.
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "th_limits.h"

#define MIB ((size_t)1 << 20)

/* Whether the mapping that holds P has the flag of MADV_HUGEPAGE ("hg"
 * among its VmFlags in /proc/self/smaps). */
static bool mapped_for_huge_pages(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	cr_assert_not_null(f, "/proc/self/smaps cannot be read");
	char line[512];
	bool inside = false, huge = false;
	uintptr_t at = (uintptr_t)p;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long from, to;
		if (sscanf(line, "%lx-%lx ", &from, &to) == 2) {
			inside = at >= from && at < to;
			continue;
		}
		if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			huge = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return huge;
}

/* Whether N bytes at P lie on memory advised for huge pages, both ends. */
static bool on_huge_pages(const char *p, size_t n)
{
	return mapped_for_huge_pages(p) && mapped_for_huge_pages(p + n - 1);
}

Test(heap, warming_advises_three_whole_huge_pages_at_least)
{
	heap_keep_memory();
	size_t advised = 0;
	struct heap_pads pads = heap_warm(&advised);
	cr_expect_geq(advised, 6 * MIB, "advised %zu bytes", advised);
	heap_pads_free(&pads);
	cr_expect_null(pads.head);
	cr_expect_null(pads.tail);
}

/* What heap_warm's thread allocates next: a read window's 1 MiB, then,
 * once it and some small blocks are freed, 1 MiB again. *ARG: whether
 * both lay on huge pages. */
static void *warm_then_allocate(void *arg)
{
	bool *huge = arg;
	size_t advised = 0;
	struct heap_pads pads = heap_warm(&advised);
	char *window = malloc(MIB);
	cr_assert_not_null(window);
	memset(window, 1, MIB);
	bool first = on_huge_pages(window, MIB);
	char *small[64];
	for (size_t i = 0; i < 64; i++)
		small[i] = malloc(100 + i);
	free(window);
	for (size_t i = 0; i < 64; i++)
		free(small[i]);
	char *again = malloc(MIB);
	cr_assert_not_null(again);
	*huge = first && on_huge_pages(again, MIB);
	free(again);
	heap_pads_free(&pads);
	cr_assert_gt(advised, 0, "nothing was advised");
	return NULL;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED true /* another allocator: its blocks are its own */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED true
#endif
#endif
#ifndef SANITIZED
#define SANITIZED false
#endif

Test(heap, a_thread_allocates_on_advised_memory_after_warming,
     .disabled = SANITIZED)
{
	heap_keep_memory();
	bool huge = false;
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, warm_then_allocate, &huge), 0);
	pthread_join(t, NULL);
	cr_expect(huge, "a 1 MiB block taken after heap_warm, in a thread "
			"of its own, is not on the memory it advised");
}

Test(heap, the_main_thread_allocates_on_advised_memory_after_warming,
     .disabled = SANITIZED)
{
	heap_keep_memory();
	bool huge = false;
	warm_then_allocate(&huge);
	cr_expect(huge, "a 1 MiB block taken after heap_warm, in the main "
			"thread, is not on the memory it advised");
}

Test(heap, no_more_heaps_are_warm_at_once_than_the_limit)
{
	heap_keep_memory();
	struct heap_pads pads[TH_HUGE_PAGE_THREADS + 1];
	size_t advised = 0;
	for (size_t i = 0; i < TH_HUGE_PAGE_THREADS; i++) {
		pads[i] = heap_warm(&advised);
		cr_expect_gt(advised, 0, "heap %zu of %d was not warmed", i,
			     TH_HUGE_PAGE_THREADS);
	}
	struct heap_pads over = heap_warm(&advised);
	cr_expect_eq(advised, 0, "one heap too many was warmed");
	cr_expect_null(over.head);
	cr_expect_null(over.tail);
	heap_pads_free(&over);
	heap_pads_free(&pads[0]);
	pads[0] = heap_warm(&advised);
	cr_expect_gt(advised, 0, "the place freed was not taken again");
	for (size_t i = 0; i < TH_HUGE_PAGE_THREADS; i++)
		heap_pads_free(&pads[i]);
}

Test(heap, a_mapped_block_is_zeroed_and_writable_to_its_end)
{
	size_t n = 4 * MIB + 64; /* the prefixer's decode space */
	unsigned char *p = heap_map(n);
	cr_assert_not_null(p);
	cr_expect_eq(p[0], 0);
	cr_expect_eq(p[n / 2], 0);
	cr_expect_eq(p[n - 1], 0);
	memset(p, 0xab, n);
	cr_expect_eq(p[n - 1], 0xab);
	cr_expect_not(mapped_for_huge_pages(p), "a map of its own is not "
						"advised for huge pages");
	heap_unmap(p, n);
	heap_unmap(NULL, n); /* nothing */
}

Test(heap, a_write_past_a_mapped_blocks_pages_faults, .signal = SIGSEGV,
     .disabled = SANITIZED)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	volatile char *p = heap_map(page);
	cr_assert_not_null(p);
	p[page] = 1; /* the guard page */
}
