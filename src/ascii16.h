/* ascii16.h - classes of sixteen ASCII bytes at once (SSE2), for the
 * scanners that find where a run of name bytes ends (classify.c's
 * exception types, kvline.h's keys).
 *
 * Owns:        nothing: inline functions of a vector the caller loads.
 */
#ifndef TH_ASCII16_H
#define TH_ASCII16_H

#if defined(__SSE2__)
#include <emmintrin.h>

/* The bytes of V that are ASCII letters (either case) or digits, each
 * 0xff, the others 0. Bytes from 0x80 are negative as signed, so none;
 * the letters of both cases are one range once 0x20 is set in them. */
static inline __m128i ascii16_alnum(__m128i v)
{
	__m128i low = _mm_or_si128(v, _mm_set1_epi8(0x20));
	__m128i letter =
	    _mm_and_si128(_mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
			  _mm_cmplt_epi8(low, _mm_set1_epi8('z' + 1)));
	__m128i digit =
	    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
			  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
	return _mm_or_si128(letter, digit);
}
#endif

#endif
