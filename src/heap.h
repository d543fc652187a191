/* heap.h - back malloc's heaps with huge pages.
 *
 * On the virtual machines we measure on, the first touch of a 4 KiB page
 * of fresh memory costs about 11 microseconds, and a 2 MiB page costs
 * hardly more than one of them; a scan of a 256 MiB crash loop touched
 * some 1,200 small pages, most of them for its groups and read windows
 * (docs/performance.md, "Huge pages"). heap_keep_memory lets malloc keep
 * blocks of a few MiB in its heaps; heap_warm has the kernel back the
 * next few MiB a thread allocates with 2 MiB pages; heap_keep_freed
 * spares the frees before the exit giving memory back.
 *
 * heap_warm's caller owns the two pads it returns and frees them
 * (heap_pads_free) when the thread is done allocating; nothing else here
 * owns memory. These calls only change what allocation costs, never what
 * it gives: with another libc, or transparent huge pages off, they do
 * nothing.
 */
#ifndef TH_HEAP_H
#define TH_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/* Asks malloc (glibc's mallopt) to serve blocks up to a few MiB from its
 * heaps rather than a map of their own each. Process-wide: call once,
 * before any thread starts. */
void heap_keep_memory(void);

/* Blocks heap_warm leaves allocated around the warmed memory. */
struct heap_pads {
	/* before the first huge page: the next block starts there */
	void *head;
	/* after the last: the warmed memory is not the heap's top, which
	 * malloc would give back to the system */
	void *tail;
	bool counted; /* among the TH_HUGE_PAGE_THREADS warm at once */
};

/* Asks malloc (glibc's mallopt) to keep what is freed from now on
 * rather than give the top of a heap back to the system: for the frees
 * just before the process exits, which the exit undoes anyway.
 * Process-wide. */
void heap_keep_freed(void);

/* Warms the heap the calling thread allocates from: takes a block of a
 * few MiB, advises huge pages (MADV_HUGEPAGE) for its whole 2 MiB pages
 * and frees it between the pads, so that the thread's next allocations
 * land on them. Sets *ADVISED (unless NULL) to the bytes advised, 0 when
 * no memory was free, the advice was refused or TH_HUGE_PAGE_THREADS
 * heaps are warm already (until their pads are freed). Call in a thread
 * that allocates much (a scan's workers, the main thread, a decoder
 * thread), after heap_keep_memory. */
struct heap_pads heap_warm(size_t *advised);

/* Frees the pads of heap_warm, and its place among the warm heaps. */
void heap_pads_free(struct heap_pads *pads);

/* A zeroed block of N bytes in a map of its own, off the heaps and
 * their huge pages, for a large buffer that is mostly never touched: its
 * untouched pages cost nothing. An inaccessible page follows it, so a
 * write past its end faults. NULL when there is no memory. The caller
 * owns it and gives it back with heap_unmap(P, N). */
void *heap_map(size_t n);

/* Gives back heap_map's block P of N bytes; P NULL: nothing. */
void heap_unmap(void *p, size_t n);

#endif
