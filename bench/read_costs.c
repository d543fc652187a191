/* bench/read_costs.c - what it costs to bring a file's bytes in: read
 * into a small ring, or mapped. The figures behind docs/performance.md
 * ("Second session of 2026-12-06"). Not part of the build:
 *
 *     cc -O2 -o /tmp/read_costs bench/read_costs.c
 *     /tmp/read_costs FILE [KIB...]
 *
 * First reads FILE KIB KiB a read() (256 when none is given; each size
 * in turn) into a 1 MiB ring, as tracehound's window is filled, touching
 * a byte of every 64 once read; then maps it at a 2 MiB-aligned address,
 * so that the page cache's large folios can be mapped whole, and
 * touches the same bytes: plain, advised MADV_HUGEPAGE, and populated
 * up front (MAP_POPULATE). Each line gives the wall time in this one
 * thread, and, for the maps, the FilePmdMapped of /proc/meminfo while
 * the map is held (how much of the file the kernel mapped in 2 MiB
 * pieces). Run it with the file in the page cache the way it is to be
 * measured: `echo 1 > /proc/sys/vm/drop_caches; cat FILE >/dev/null`
 * first gives large folios.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RING ((size_t)1 << 20)
#define HUGE ((size_t)2 << 20)
#define LINE 64

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The FilePmdMapped line of /proc/meminfo, in KiB; -1 if unread. */
static long pmd_mapped_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kib = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "FilePmdMapped: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Milliseconds to read FD from its start, CHUNK bytes a read() into a
 * ring, touching a byte of every LINE; their sum in *SUM keeps the
 * touches from being dropped. */
static double read_ms(int fd, size_t chunk, uint64_t *sum)
{
	char *ring = aligned_alloc(4096, RING);
	if (ring == NULL || chunk == 0 || chunk > RING)
		exit(1);
	size_t at = 0;
	double t = now_ms();
	for (;;) {
		ssize_t got = read(fd, ring + at, chunk);
		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got; i += LINE)
			*sum += (unsigned char)ring[at + (size_t)i];
		at = (at + chunk) % (RING - RING % chunk);
	}
	t = now_ms() - t;
	free(ring);
	return t;
}

/* Milliseconds to map FD's N bytes at a 2 MiB boundary with FLAGS and
 * ADVICE (0: none) and touch a byte of every LINE; *PMD_KIB as
 * pmd_mapped_kib gives it while the map is held. */
static double map_ms(int fd, size_t n, int flags, int advice, uint64_t *sum,
		     long *pmd_kib)
{
	double t = now_ms();
	char *space = mmap(NULL, n + HUGE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (space == MAP_FAILED)
		exit(1);
	char *at = (char *)(((uintptr_t)space + HUGE - 1) & ~(HUGE - 1));
	char *p =
	    mmap(at, n, PROT_READ, MAP_PRIVATE | MAP_FIXED | flags, fd, 0);
	if (p == MAP_FAILED)
		exit(1);
	if (advice != 0)
		madvise(p, n, advice);
	for (size_t i = 0; i < n; i += LINE)
		*sum += (unsigned char)p[i];
	t = now_ms() - t;
	*pmd_kib = pmd_mapped_kib();
	munmap(space, n + HUGE);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: read_costs FILE [KIB...]\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
		perror(argv[1]);
		return 1;
	}
	size_t n = (size_t)st.st_size;
	uint64_t sum = 0;
	long pmd = 0;
	const char *one[] = {"256"};
	char **sizes = argc > 2 ? argv + 2 : (char **)one;
	int n_sizes = argc > 2 ? argc - 2 : 1;
	for (int i = 0; i < n_sizes; i++) {
		size_t kib = strtoul(sizes[i], NULL, 10);
		lseek(fd, 0, SEEK_SET);
		printf("read %4zu KiB a call:  %6.1f ms\n", kib,
		       read_ms(fd, kib << 10, &sum));
	}
	double t = map_ms(fd, n, 0, 0, &sum, &pmd);
	printf("mapped:                %6.1f ms (FilePmdMapped %ld KiB)\n", t,
	       pmd);
	t = map_ms(fd, n, 0, MADV_HUGEPAGE, &sum, &pmd);
	printf("mapped, MADV_HUGEPAGE: %6.1f ms (FilePmdMapped %ld KiB)\n", t,
	       pmd);
	t = map_ms(fd, n, MAP_POPULATE, 0, &sum, &pmd);
	printf("mapped, MAP_POPULATE:  %6.1f ms (FilePmdMapped %ld KiB)\n", t,
	       pmd);
	return sum == 42; /* never: keeps the touches */
}
