/* bytes.c - test helper: see bytes.h. */
#include "bytes.h"

#include <criterion/criterion.h>

#include <bzlib.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

struct bytes bytes_of(const char *s, size_t n)
{
	struct bytes b = {malloc(n + 1), n, n + 1};

	memcpy(b.p, s, n);
	return b;
}

struct bytes text_of(size_t n, unsigned seed)
{
	struct bytes b = {malloc(n + 1), n, n + 1};

	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b.p[i] = (seed >> 16) % 17 == 0
			     ? '\n'
			     : 'a' + (char)((seed >> 20) % 26);
	}
	return b;
}

void bytes_append_raw(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->size) {
		b->size = 2 * (b->n + n + 1);
		b->p = realloc(b->p, b->size);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

void bytes_append(struct bytes *b, struct bytes more)
{
	bytes_append_raw(b, more.p, more.n);
	free(more.p);
}

struct bytes gzip_of(struct bytes data, int level)
{
	z_stream z = {0};
	struct bytes out = {NULL, 0, 0};

	cr_assert_eq(
	    deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	out.p = malloc(deflateBound(&z, data.n));
	z.next_in = (Bytef *)data.p;
	z.avail_in = (uInt)data.n;
	z.next_out = (Bytef *)out.p;
	z.avail_out = (uInt)deflateBound(&z, data.n);
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	out.n = z.total_out;
	deflateEnd(&z);
	return out;
}

struct bytes zstd_of(struct bytes data, int level)
{
	struct bytes out = {malloc(ZSTD_compressBound(data.n)), 0, 0};

	out.n = ZSTD_compress(out.p, ZSTD_compressBound(data.n), data.p, data.n,
			      level);
	cr_assert(!ZSTD_isError(out.n));
	return out;
}

struct bytes xz_of(struct bytes data, unsigned level)
{
	size_t cap = lzma_stream_buffer_bound(data.n);
	struct bytes out = {malloc(cap), 0, 0};

	cr_assert_eq(lzma_easy_buffer_encode(level, LZMA_CHECK_CRC64, NULL,
					     (const uint8_t *)data.p, data.n,
					     (uint8_t *)out.p, &out.n, cap),
		     LZMA_OK);
	return out;
}

struct bytes bzip2_of(struct bytes data, int level)
{
	unsigned cap = (unsigned)(data.n + data.n / 100 + 600);
	struct bytes out = {malloc(cap), 0, 0};

	cr_assert_eq(BZ2_bzBuffToBuffCompress(out.p, &cap, data.p,
					      (unsigned)data.n, level, 0, 0),
		     BZ_OK);
	out.n = cap;
	return out;
}

int memfd_of(const void *p, size_t n, const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	cr_assert(fd >= 0);
	cr_assert(write(fd, p, n) == (ssize_t)n);
	cr_assert(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

int pipe_of(const void *p, size_t n)
{
	int ends[2];

	cr_assert(pipe(ends) == 0);
	cr_assert(write(ends[1], p, n) == (ssize_t)n);
	close(ends[1]);
	return ends[0];
}
