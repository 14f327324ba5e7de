/*
 * fuzz_input.h — what every libFuzzer target here shares: turning the raw
 * input into C strings and checking invariants.
 *
 * Each string handed to the code under test lives in its own heap block of
 * exactly strlen + 1 bytes, so AddressSanitizer reports any read past the
 * NUL. Several strings come out of one input by splitting it at NUL bytes
 * (libFuzzer's mutators insert and remove NULs readily, and the seed files
 * stay readable).
 */
#ifndef GH_FUZZ_INPUT_H
#define GH_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: unlike assert(), never compiled out. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,     \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Exactly n bytes (ASan gives malloc(0) a block with no usable byte). */
static inline void *fuzz_malloc(size_t n)
{
	void *p = malloc(n);
	if (!p && n)
		abort();
	return p;
}

/* data[0..size) as a NUL-terminated heap string (cut at the first NUL). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n = nul ? (size_t)(nul - data) : size;
	char *s = fuzz_malloc(n + 1);
	memcpy(s, data, n);
	s[n] = 0;
	return s;
}

static inline char *fuzz_strdup(const char *s)
{
	return fuzz_strndup((const uint8_t *)s, strlen(s));
}

/* Splits data at NUL bytes into at most max heap strings; the last one runs
 * to the next NUL or the end. Returns how many (>= 1: empty input gives ""). */
static inline int fuzz_split(const uint8_t *data, size_t size, char **parts, int max)
{
	int n = 0;
	size_t at = 0;
	do {
		const uint8_t *nul = memchr(data + at, 0, size - at);
		size_t len = nul ? (size_t)(nul - (data + at)) : size - at;
		parts[n++] = fuzz_strndup(data + at, len);
		at += len + 1;
	} while (at <= size && n < max);
	return n;
}

static inline void fuzz_free_parts(char **parts, int n)
{
	for (int i = 0; i < n; i++)
		free(parts[i]);
}

/* Takes one control byte off the front of the input (0 when empty). */
static inline uint8_t fuzz_take_u8(const uint8_t **data, size_t *size)
{
	if (*size == 0)
		return 0;
	uint8_t b = **data;
	(*data)++;
	(*size)--;
	return b;
}

#endif
