/* csv.c -- RFC 4180 records from text in memory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awc.h"
#include "csv.h"

void awc_csv_init(awc_csv *c, const char *name, const char *text, size_t len)
{
    memset(c, 0, sizeof(*c));
    c->p = text;
    c->end = text + len;
    c->name = name;
    c->next_line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c->p += 3;
}

void awc_csv_free(awc_csv *c)
{
    awc_free(c->buf);
    c->buf = NULL;
}

static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t k;
        unsigned cp;
        if (b < 0x80) {
            i++;
            continue;
        }
        if (b >= 0xC2 && b <= 0xDF)
            k = 1, cp = b & 0x1F;
        else if (b >= 0xE0 && b <= 0xEF)
            k = 2, cp = b & 0x0F;
        else if (b >= 0xF0 && b <= 0xF4)
            k = 3, cp = b & 0x07;
        else
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += k + 1;
    }
    return 1;
}

int awc_csv_next(awc_csv *c)
{
    size_t need, at = 0;
    const char *p;

    /* skip blank lines */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\n')
            c->next_line++;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->line = c->next_line;
    need = (size_t)(c->end - c->p) + AWC_CSV_MAX_FIELDS + 1;
    if (need > c->cap) {
        char *nb = awc_realloc(c->buf, need);
        if (!nb)
            return awc_error_set(AWC_ENOMEM, "%s: out of memory", c->name);
        c->buf = nb;
        c->cap = need;
    }
    c->nfields = 0;
    p = c->p;
    for (;;) {
        char *start = c->buf + at;
        if (c->nfields == AWC_CSV_MAX_FIELDS)
            return awc_error_set(AWC_EBADINPUT, "%s:%lu: more than %d fields", c->name, c->line,
                                 AWC_CSV_MAX_FIELDS);
        c->field[c->nfields++] = start;
        if (p < c->end && *p == '"') {
            p++;
            for (;;) {
                if (p >= c->end)
                    return awc_error_set(AWC_EBADINPUT, "%s:%lu: field %zu: unterminated quote",
                                         c->name, c->line, c->nfields);
                if (*p == '"') {
                    if (p + 1 < c->end && p[1] == '"') {
                        c->buf[at++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n')
                    c->next_line++;
                c->buf[at++] = *p++;
            }
            if (p < c->end && *p != ',' && *p != '\n' && *p != '\r')
                return awc_error_set(AWC_EBADINPUT, "%s:%lu: field %zu: text after a closing "
                                     "quote", c->name, c->line, c->nfields);
        } else {
            while (p < c->end && *p != ',' && *p != '\n' && *p != '\r') {
                if (*p == '"')
                    return awc_error_set(AWC_EBADINPUT, "%s:%lu: field %zu: quote inside an "
                                         "unquoted field", c->name, c->line, c->nfields);
                c->buf[at++] = *p++;
            }
        }
        c->buf[at++] = '\0';
        if (!utf8_ok((const unsigned char *)start, strlen(start)))
            return awc_error_set(AWC_EBADINPUT, "%s:%lu: field %zu: invalid UTF-8", c->name,
                                 c->line, c->nfields);
        if (p < c->end && *p == ',') {
            p++;
            continue;
        }
        if (p < c->end && *p == '\r')
            p++;
        if (p < c->end && *p == '\n') {
            p++;
            c->next_line++;
        }
        break;
    }
    c->p = p;
    return 1;
}

int awc_file_read(char **out, size_t *len, const char *path, size_t max)
{
    struct stat sb;
    char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return awc_error_set(AWC_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return awc_error_set(AWC_EIO, "%s: not a regular file", path);
    }
    if ((size_t)sb.st_size > max) {
        close(fd);
        return awc_error_set(AWC_EBADINPUT, "%s: larger than %zu bytes", path, max);
    }
    buf = awc_malloc((size_t)sb.st_size + 1);
    if (!buf) {
        close(fd);
        return awc_error_set(AWC_ENOMEM, "%s: out of memory", path);
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            awc_free(buf);
            return awc_error_set(AWC_EIO, "%s: read failed", path);
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}
