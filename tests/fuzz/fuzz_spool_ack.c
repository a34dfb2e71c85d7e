/*
 * fuzz_spool_ack.c -- the spool adapter's acks (awc_spool_ack_parse,
 * invoicing.h; docs/INVOICING-SPOOL.md, "Acks").
 *
 * The input is an ack file's content (read as the adapter reads it: up to
 * the first NUL byte).  Checks (abort() when one fails):
 *   - accepted exactly when line 1, without a byte order mark and blanks
 *     around it, is "accepted", "closed" or "rejected", with the matching
 *     status;
 *   - the note is NUL-terminated, shorter than AWC_UF_NOTE_MAX, has no
 *     blank at either end, is a piece of the input and, when cut, is not
 *     cut inside a UTF-8 character;
 *   - a refusal is AWC_EBADINPUT, leaves the state unchanged, and its
 *     message has no byte below 0x20 or above 0x7e and quotes line 1 as
 *     "got '...'": undoing the escapes (\xNN, \\) gives the line's first
 *     32 bytes at most, followed by "..." exactly when the line is longer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "invoicing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_spool_ack: check failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define PATH "acks/UF-2026-10-0000-0001.status"

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Line 1 as the contract reads it, into buf (NUL-terminated). */
static void first_line(char *buf, const char *text)
{
    const char *s = text, *e;

    if (strncmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    e = strchr(s, '\n');
    if (!e)
        e = s + strlen(s);
    while (s < e && blank(*s))
        s++;
    while (e > s && blank(e[-1]))
        e--;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = '\0';
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The message ends in "got '<excerpt>'"; the excerpt decodes to a prefix
 * of line of at most 32 bytes, with "..." when the line is longer. */
static void check_quote(const char *msg, const char *line)
{
    const char *q = strstr(msg, "got '"), *end;
    size_t len = strlen(line), k = 0;
    int dots;

    CHECK(q != NULL);
    q += 5;
    end = msg + strlen(msg);
    CHECK(end > q && end[-1] == '\'');
    end--;
    /* text that looks like a URL with userinfo is redacted in every
     * message (awc_redact_userinfo, tested in test_config.c): the excerpt
     * then differs from the line on purpose */
    if (memmem(q, (size_t)(end - q), "://", 3))
        return;
    dots = end - q >= 3 && memcmp(end - 3, "...", 3) == 0;
    if (dots && len > 32)
        end -= 3;
    while (q < end) {
        unsigned char c;
        if (*q == '\\') {
            CHECK(q + 1 < end);
            if (q[1] == '\\') {
                c = '\\';
                q += 2;
            } else {
                CHECK(q + 3 < end && q[1] == 'x' && hexval(q[2]) >= 0 && hexval(q[3]) >= 0);
                c = (unsigned char)(hexval(q[2]) * 16 + hexval(q[3]));
                CHECK(c < 0x20 || c >= 0x7f);
                q += 4;
            }
        } else {
            c = (unsigned char)*q++;
        }
        CHECK(k < len && (unsigned char)line[k] == c);
        k++;
    }
    CHECK(k == (len < 32 ? len : 32));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *orig, *line;
    awc_uf_state st, before;
    const char *msg;
    size_t n;
    int rc, want;

    text = malloc(size + 1);
    orig = malloc(size + 1);
    line = malloc(size + 1);
    CHECK(text && orig && line);
    memcpy(text, data, size);
    text[size] = '\0';
    memcpy(orig, text, size + 1);
    first_line(line, orig);
    want = strcmp(line, "accepted") == 0 ? AWC_UF_ACCEPTED
         : strcmp(line, "closed") == 0   ? AWC_UF_CLOSED
         : strcmp(line, "rejected") == 0 ? AWC_UF_REJECTED : -1;

    memset(&st, 0x5a, sizeof(st));
    before = st;
    rc = awc_spool_ack_parse(&st, text, PATH);
    if (want >= 0) {
        CHECK(rc == 0);
        CHECK((int)st.status == want);
        n = strnlen(st.note, sizeof(st.note));
        CHECK(n < sizeof(st.note));
        if (n) {
            CHECK(!blank(st.note[0]) && !blank(st.note[n - 1]));
            CHECK(memmem(orig, size, st.note, n) != NULL);
        }
        /* a note cut short ends on a character boundary */
        if (n == sizeof(st.note) - 1) {
            const char *at = memmem(orig, size, st.note, n);
            CHECK(((unsigned char)at[n] & 0xc0) != 0x80);
        }
    } else {
        CHECK(rc == AWC_EBADINPUT);
        CHECK(memcmp(&st, &before, sizeof(st)) == 0);
        msg = awc_error_last();
        CHECK(strstr(msg, PATH) != NULL);
        for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
            CHECK(*p >= 0x20 && *p < 0x7f);
        check_quote(msg, line);
    }
    awc_error_clear();
    free(text);
    free(orig);
    free(line);
    return 0;
}
