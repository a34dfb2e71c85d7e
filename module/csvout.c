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

int awc_csv_needs_guard(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    switch (s[0]) {
    case '=': case '@': case '\t': case '\r':
        return 1;
    case '+': case '-':
        return !awc_csv_is_number(s, n);
    }
    return 0;
}

/* Does the cell need quotes? */
static int needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n')
            return 1;
    }
    return 0;
}

size_t awc_csv_cell(char *out, size_t cap, const char *s, size_t n)
{
    int guard = awc_csv_needs_guard(s, n), quote = needs_quotes(s, n);
    size_t len = 0;

#define PUT(ch) do { if (len < cap) out[len] = (ch); len++; } while (0)
    if (quote)
        PUT('"');
    if (guard)
        PUT('\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            PUT('"');
        PUT(s[i]);
    }
    if (quote)
        PUT('"');
#undef PUT
    if (len < cap)
        out[len] = '\0';
    return len;
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
    size_t worst = 2 * n + 4;      /* comma, quotes, guard, every byte doubled */

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
