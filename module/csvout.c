/* csvout.c -- RFC 4180 cells with the formula guard, buffered output. */
#include <string.h>

#include "awc.h"
#include "csvout.h"
#include "out.h"

int awc_csv_is_number(const char *s, size_t n)
{
    size_t i = 0, digits = 0;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (digits == 0)
        return 0;
    if (i < n && s[i] == '.') {
        digits = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
        if (digits == 0)
            return 0;
    }
    return i == n;
}

/* The guard is lossless: a cell that starts with an apostrophe followed
 * by one of = + - @ ' TAB CR gets one more, so that a reader that strips
 * one apostrophe from exactly those cells (docs/EXPORT.md, "Formula
 * guard") gets every value back as it was. */
int awc_csv_needs_guard(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    switch (s[0]) {
    case '=': case '@': case '\t': case '\r':
        return 1;
    case '+': case '-':
        return !awc_csv_is_number(s, n);
    case '\'':
        return n >= 2 && strchr("=+-@'\t\r", s[1]) != NULL;
    }
    return 0;
}

/* Bytes that make a cell need quotes: comma, quote, CR, LF. */
static const unsigned char special[256] = { [','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1 };

size_t awc_csv_cell(char *out, size_t cap, const char *s, size_t n)
{
    int guard = awc_csv_needs_guard(s, n), quote = 0;
    size_t quotes = 0, len, o = 0;

    for (size_t i = 0; i < n; i++) {
        if (special[(unsigned char)s[i]]) {
            quote = 1;
            quotes += s[i] == '"';
        }
    }
    len = n + (size_t)guard + (quote ? 2 + quotes : 0);
    if (len >= cap) {                  /* does not fit: say how much it needs */
        if (cap)
            out[0] = '\0';
        return len;
    }
    if (quote)
        out[o++] = '"';
    if (guard)
        out[o++] = '\'';
    if (quotes == 0) {
        memcpy(out + o, s, n);         /* the common case */
        o += n;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"')
                out[o++] = '"';
            out[o++] = s[i];
        }
    }
    if (quote)
        out[o++] = '"';
    out[o] = '\0';
    return o;
}

void awc_csvout_init(awc_csvout *w, const awc_call *c)
{
    w->c = c;
    w->n = 0;
    w->cells = 0;
    w->rc = 0;
}

int awc_csvout_flush(awc_csvout *w)
{
    if (w->rc == 0 && w->n > 0)
        w->rc = awc_out_write(w->c, w->buf, w->n);
    w->n = 0;
    return w->rc;
}

/* Room for need more bytes in the buffer, flushing if that helps; 0 when
 * the buffer can never hold them. */
static int room(awc_csvout *w, size_t need)
{
    if (AWC_CSVOUT_BUFSZ - w->n >= need)
        return 1;
    if (awc_csvout_flush(w) != 0)
        return 0;
    return need <= AWC_CSVOUT_BUFSZ;
}

int awc_csvout_cell(awc_csvout *w, const char *s, size_t n)
{
    size_t worst = 2 * n + 5;      /* comma, quotes, guard, doubled quotes, NUL */

    if (w->rc)
        return w->rc;
    if (room(w, worst)) {
        if (w->cells++)
            w->buf[w->n++] = ',';
        w->n += awc_csv_cell(w->buf + w->n, AWC_CSVOUT_BUFSZ - w->n, s, n);
        return 0;
    }
    if (w->rc)
        return w->rc;
    /* A cell larger than the whole buffer: format it on its own. */
    {
        char *big = awc_malloc(worst);
        int comma = w->cells++ > 0;
        size_t len;

        if (!big)
            return w->rc = awc_error_set(AWC_ENOMEM, "out of memory");
        big[0] = ',';
        len = awc_csv_cell(big + 1, worst - 1, s, n);
        w->rc = awc_out_write(w->c, comma ? big : big + 1, comma ? len + 1 : len);
        awc_free(big);
        return w->rc;
    }
}

int awc_csvout_cellz(awc_csvout *w, const char *s)
{
    return awc_csvout_cell(w, s ? s : "", s ? strlen(s) : 0);
}

int awc_csvout_end(awc_csvout *w)
{
    if (w->rc)
        return w->rc;
    if (!room(w, 2))
        return w->rc;
    w->buf[w->n++] = '\r';
    w->buf[w->n++] = '\n';
    w->cells = 0;
    return 0;
}
