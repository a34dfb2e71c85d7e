/*
 * test_sha256.c -- sha256.c against the standard test vectors: the FIPS
 * 180-4 examples ("abc", the 448- and 896-bit messages), the empty
 * message and one million 'a' (NIST), then runs of 'a' at the padding
 * edges (55, 56, 63, 64, 65 bytes; digests from Python's hashlib, an
 * independent implementation).  Then the streaming interface:
 * any split of a message into updates gives the one-shot digest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sha256.h"

static void check(const char *msg, size_t n, const char *want)
{
    char got[AWC_SHA256_HEXLEN + 1];
    awc_sha256_hex(got, msg, n);
    assert_string_equal(got, want);
}

static void test_fips_examples(void **state)
{
    (void)state;
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
          "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_empty(void **state)
{
    char got[AWC_SHA256_HEXLEN + 1];
    (void)state;
    check("", 0, AWC_SHA256_EMPTY_HEX);
    awc_sha256_hex(got, NULL, 0);
    assert_string_equal(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_million_a(void **state)
{
    static char chunk[1000];
    awc_sha256_ctx c;
    uint8_t d[AWC_SHA256_LEN];
    char hex[AWC_SHA256_HEXLEN + 1];
    int i;
    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    awc_sha256_init(&c);
    for (i = 0; i < 1000; i++)
        awc_sha256_update(&c, chunk, sizeof(chunk));
    awc_sha256_final(&c, d);
    awc_sha256_tohex(hex, d);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundary: 55 bytes still fit the length in
 * the same block, 56 do not; 64 is one full block. */
static void test_padding_edges(void **state)
{
    static const struct { size_t n; const char *want; } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
    };
    char buf[65];
    size_t i;
    (void)state;
    memset(buf, 'a', sizeof(buf));
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        check(buf, v[i].n, v[i].want);
}

static void test_streaming_splits(void **state)
{
    static const char msg[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                              "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    const size_t n = sizeof(msg) - 1;
    char want[AWC_SHA256_HEXLEN + 1], got[AWC_SHA256_HEXLEN + 1];
    size_t a, b;
    (void)state;
    awc_sha256_hex(want, msg, n);
    for (a = 0; a <= n; a++) {
        for (b = a; b <= n; b += 7) {
            awc_sha256_ctx c;
            uint8_t d[AWC_SHA256_LEN];
            awc_sha256_init(&c);
            awc_sha256_update(&c, msg, a);
            awc_sha256_update(&c, msg + a, b - a);
            awc_sha256_update(&c, NULL, 0);
            awc_sha256_update(&c, msg + b, n - b);
            awc_sha256_final(&c, d);
            awc_sha256_tohex(got, d);
            assert_string_equal(got, want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_examples),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_edges),
        cmocka_unit_test(test_streaming_splits),
    };
    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
