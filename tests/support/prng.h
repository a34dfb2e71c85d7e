/*
 * prng.h -- the property tests' fixed-seed generator (splitmix64).  The
 * seed is printed, and AWC_TEST_SEED replays another one.  Header-only:
 * each test program has its own state.  Call rng_seed() before use.
 */
#ifndef AWC_TEST_PRNG_H
#define AWC_TEST_PRNG_H

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>

#include <cmocka.h>

static uint64_t rng;

static inline uint64_t rng_next(void)
{
    uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline void rng_seed(const char *test)
{
    const char *env = getenv("AWC_TEST_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 0) : UINT64_C(20260105);
    rng = seed;
    print_message("%s: seed %" PRIu64 "\n", test, seed);
}

/* Uniform enough below n (n > 0) for tests. */
static inline uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

#endif
