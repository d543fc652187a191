/* test_codec.c - compression magic: what each start of a file is taken
 * for, and which of the recognised compressions are read.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "codec.h"

/* Sniffs the N bytes at P, which must settle the format. */
static enum th_compression sniffed(const char *p, size_t n)
{
	enum th_compression c = TH_COMPRESSION_NONE;

	cr_assert(codec_sniff((const unsigned char *)p, n, &c),
		  "%zu bytes did not settle the format", n);
	return c;
}

#define SNIFF(s) sniffed((s), sizeof(s) - 1)

Test(codec, every_magic_is_recognised_by_its_bytes)
{
	cr_assert_eq(SNIFF("\x1f\x8b\x08"), TH_COMPRESSION_GZIP);
	cr_assert_eq(SNIFF("\x28\xb5\x2f\xfd"), TH_COMPRESSION_ZSTD);
	cr_assert_eq(SNIFF("\xfd"
			   "7zXZ\0"),
		     TH_COMPRESSION_XZ);
	cr_assert_eq(SNIFF("BZh9"), TH_COMPRESSION_BZIP2);
	cr_assert_eq(SNIFF("BZh1"), TH_COMPRESSION_BZIP2);
	cr_assert_eq(SNIFF("\x04\x22\x4d\x18"), TH_COMPRESSION_LZ4);
	cr_assert_eq(SNIFF("\x02\x21\x4c\x18"), TH_COMPRESSION_LZ4);
	cr_assert_eq(SNIFF("LZIP"), TH_COMPRESSION_LZIP);
	cr_assert_eq(SNIFF("\x1f\x9d"), TH_COMPRESSION_COMPRESS);
}

Test(codec, text_that_only_starts_like_a_magic_is_plain)
{
	cr_assert_eq(SNIFF("BZh0"), TH_COMPRESSION_NONE);
	cr_assert_eq(SNIFF("BZhello"), TH_COMPRESSION_NONE);
	cr_assert_eq(SNIFF("\xfd"
			   "7zXY"),
		     TH_COMPRESSION_NONE);
	cr_assert_eq(SNIFF("LZIQ"), TH_COMPRESSION_NONE);
	cr_assert_eq(SNIFF("2026-12-03 ERROR"), TH_COMPRESSION_NONE);
	cr_assert_eq(SNIFF("Traceback"), TH_COMPRESSION_NONE);
}

Test(codec, a_proper_prefix_of_a_magic_asks_for_more_bytes)
{
	const char *prefixes[] = {"\x1f", "\x28\xb5", "\xfd\x37zX", "BZh", "L"};
	enum th_compression c;

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		cr_assert_not(codec_sniff((const unsigned char *)prefixes[i],
					  strlen(prefixes[i]), &c),
			      "\"%s\" settled the format", prefixes[i]);
	cr_assert_not(codec_sniff((const unsigned char *)"", 0, &c));
}

Test(codec, only_the_four_decoded_compressions_are_readable)
{
	cr_assert(codec_readable(TH_COMPRESSION_GZIP));
	cr_assert(codec_readable(TH_COMPRESSION_ZSTD));
	cr_assert(codec_readable(TH_COMPRESSION_XZ));
	cr_assert(codec_readable(TH_COMPRESSION_BZIP2));
	cr_assert_not(codec_readable(TH_COMPRESSION_NONE));
	cr_assert_not(codec_readable(TH_COMPRESSION_LZ4));
	cr_assert_not(codec_readable(TH_COMPRESSION_LZIP));
	cr_assert_not(codec_readable(TH_COMPRESSION_COMPRESS));
	cr_assert_str_eq(codec_name(TH_COMPRESSION_BZIP2), "bzip2");
	cr_assert_str_eq(codec_name(TH_COMPRESSION_LZ4), "lz4");
}

Test(codec, a_decoder_stopped_inside_a_member_finishes_truncated)
{
	/* the first 10 bytes of a gzip member: its header, no data */
	static const unsigned char head[] = {0x1f, 0x8b, 8, 0, 0,
					     0,	   0,	 0, 0, 3};
	unsigned char out[16];
	struct th_codec *c = codec_new(TH_COMPRESSION_GZIP);
	struct th_codec_io io = {head, sizeof head, 0, out, sizeof out, 0};

	cr_assert_eq(codec_step(c, &io), TH_OK);
	cr_assert_eq(io.in_pos, sizeof head);
	cr_assert_eq(io.out_pos, 0);
	cr_assert_eq(codec_finish(c), TH_ERR_CORRUPT);
	cr_assert_str_eq(codec_error(c), "gzip data is truncated");
	codec_free(c);
}
