/* heap.c - back malloc's heaps with huge pages; see heap.h. */
#include "heap.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "th_limits.h"

/* The block heap_warm takes: three whole 2 MiB pages at least, wherever
 * malloc puts it; room for a worker's read window and a crash loop's
 * groups. On the crash loop 4 MiB left 605 page faults, 6, 8 and 12 MiB
 * about 360, at the same peak RSS (docs/performance.md, "Huge pages"). */
#define HEAP_WARM_BYTES ((size_t)8 << 20)
#define HUGE_PAGE_BYTES ((uintptr_t)2 << 20)

/* Blocks below this come from a heap, the warm block among them, not a
 * map of their own. Setting it also keeps glibc's trim threshold at its
 * default instead of raising it as mapped blocks are freed, so memory
 * freed at a heap's top still goes back to the system: with the trim
 * threshold raised too, the 5-million-task log peaked at 61.5 MB
 * instead of 48.5 (docs/performance.md, "Huge pages"). */
#define HEAP_MMAP_THRESHOLD (16 << 20)

/* Bytes of malloc's own before a block it hands out (two words in
 * glibc's chunks), taken off the head pad so that the next block starts
 * at the first huge page, its header just before it. */
#define HEAP_CHUNK_HEADER (2 * sizeof(size_t))

/* The tail pad: larger than any block malloc caches per thread, so that
 * it comes from the heap's top, right after the warm block. */
#define HEAP_TAIL_BYTES ((size_t)64 << 10)

/* Heaps warm now, whose pads are not yet freed (TH_HUGE_PAGE_THREADS at
 * most): process-wide, as malloc's heaps are. */
static atomic_size_t warm_heaps;

void heap_keep_memory(void)
{
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
#endif
}

/* Giving a heap's top back is a system call and page-table work: after
 * a crash loop's report, freeing the groups and the heaps' pads took 0.56
 * to 1.24 ms with it and 0.15 to 0.50 without (docs/performance.md, "The
 * end of a scan"). Any size past what a run holds will do. */
#define HEAP_KEEP_FREED_THRESHOLD (1 << 30)

void heap_keep_freed(void)
{
#ifdef M_TRIM_THRESHOLD
	mallopt(M_TRIM_THRESHOLD, HEAP_KEEP_FREED_THRESHOLD);
#endif
}

/* Advises huge pages for the whole 2 MiB pages of the N bytes at P;
 * returns the bytes advised, and the first of them in *FROM. */
static size_t advise_huge_pages(char *p, size_t n, uintptr_t *from)
{
	uintptr_t start = (uintptr_t)p, mask = HUGE_PAGE_BYTES - 1;
	*from = (start + mask) & ~mask;
	uintptr_t to = (start + n) & ~mask;
	if (to <= *from)
		return 0;
#ifdef MADV_HUGEPAGE
	if (madvise((void *)*from, to - *from, MADV_HUGEPAGE) == 0)
		return (size_t)(to - *from);
#endif
	return 0;
}

struct heap_pads heap_warm(size_t *advised)
{
	struct heap_pads pads = {NULL, NULL, false};
	size_t got = 0;
	if (advised != NULL)
		*advised = 0;
	if (atomic_fetch_add(&warm_heaps, 1) >= TH_HUGE_PAGE_THREADS) {
		atomic_fetch_sub(&warm_heaps, 1);
		return pads;
	}
	pads.counted = true;
	char *block = malloc(HEAP_WARM_BYTES);
	if (block != NULL) {
		uintptr_t from;
		got = advise_huge_pages(block, HEAP_WARM_BYTES, &from);
		/* the head pad will take the freed block's part before its
		 * first huge page */
		size_t before = (size_t)(from - (uintptr_t)block);
		if (got > 0)
			pads.tail = malloc(HEAP_TAIL_BYTES);
		free(block);
		if (got > 0 && before > HEAP_CHUNK_HEADER)
			pads.head = malloc(before - HEAP_CHUNK_HEADER);
	}
	if (advised != NULL)
		*advised = got;
	return pads;
}

void heap_pads_free(struct heap_pads *pads)
{
	free(pads->head);
	free(pads->tail);
	if (pads->counted)
		atomic_fetch_sub(&warm_heaps, 1);
	*pads = (struct heap_pads){NULL, NULL, false};
}

/* N bytes rounded up to whole pages, and the guard page after them. */
static size_t mapped_bytes(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (n + page - 1) / page * page + page;
}

void *heap_map(size_t n)
{
	size_t len = mapped_bytes(n), page = (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + len - page, page, PROT_NONE) != 0) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

void heap_unmap(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, mapped_bytes(n));
}
