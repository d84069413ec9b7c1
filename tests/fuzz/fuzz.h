/*
 * fuzz.h: what every libFuzzer target includes: the entry points
 * libFuzzer calls, and FUZZ_ASSERT, which stops the run on a broken
 * invariant so that libFuzzer keeps the input that broke it.
 */
#ifndef FWS_FUZZ_H
#define FWS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ASSERT(expr) do {						\
	if (!(expr)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #expr);				\
		abort();						\
	}								\
} while (0)

#endif
