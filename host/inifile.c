/* inifile.c -- the configuration file, parsed by inih, checked against the
 * module's keys, kept in a table the host owns.
 *
 * inih does not report line numbers to its handler in every build, so the
 * file is fed to ini_parse_stream() through our own reader, one physical
 * line per call: the reader's line count is then the line the handler is
 * looking at, and it is the same count inih uses for its own errors.  The
 * reader also drops leading blanks (so inih never sees a continuation line),
 * strips '#' and ';' comments, and checks section names, so that an unknown
 * section is reported even when it holds no keys. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscredit.h"
#include "host.h"
#include "inifile.h"

#define LINE_BUF 4096          /* longest line we read; inih's own limit is lower */
#define ENTRIES_MAX 4096       /* most keys in one file */

typedef struct parse {
    host_ini *ini;
    const char *const *known;
    FILE *f;
    int line;                  /* physical lines read so far */
    int err_line;              /* line of the first error we found, 0 = none */
    int err_code;
    char *err;
    size_t errsz;
    char buf[LINE_BUF];
} parse;

HOST_PRINTF(3, 4)
static void record(parse *p, int code, const char *fmt, ...)
{
    va_list ap;
    if (p->err_line)
        return;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errsz, fmt, ap);
    va_end(ap);
    p->err_line = p->line ? p->line : 1;
    p->err_code = code;
}

static int section_known(const char *const *known, const char *section)
{
    size_t n = strlen(section);
    for (size_t i = 0; known && known[i]; i++)
        if (strncmp(known[i], section, n) == 0 && known[i][n] == '.')
            return 1;
    return 0;
}

static int key_known(const char *const *known, const char *section, const char *key)
{
    size_t n = strlen(section);
    for (size_t i = 0; known && known[i]; i++)
        if (strncmp(known[i], section, n) == 0 && known[i][n] == '.' &&
            strcmp(known[i] + n + 1, key) == 0)
            return 1;
    return 0;
}

static host_ini_entry *find(const host_ini *ini, const char *section, const char *key)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->v[i].section, section) == 0 && strcmp(ini->v[i].key, key) == 0)
            return &ini->v[i];
    return NULL;
}

/* Cut a '#' or ';' comment that starts the line or follows a blank. */
static void cut_comment(char *s)
{
    for (char *c = s; *c; c++)
        if ((*c == '#' || *c == ';') && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
            *c = '\0';
            return;
        }
}

/* Check a "[section]" line the way inih will read it. */
static void check_section_line(parse *p, const char *s)
{
    const char *end = strchr(s, ']');
    char name[128];
    size_t n;

    if (!end)
        return;                /* inih reports it as a malformed line */
    if (end[1]) {
        record(p, AWC_ECONFIG, "%s:%d: malformed line (text after ']')", p->ini->path, p->line);
        return;
    }
    n = (size_t)(end - s - 1);
    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, s + 1, n);
    name[n] = '\0';
    if (!section_known(p->known, name))
        record(p, AWC_ECONFIG, "%s:%d: unknown section [%s]", p->ini->path, p->line, name);
}

/* inih's fgets-style reader: one physical line per call. */
static char *reader(char *str, int num, void *stream)
{
    parse *p = stream;
    size_t n = 0, len;
    int c = EOF, nul = 0, toolong = 0;
    char *s;

    if (p->err_line)
        return NULL;           /* stop at our first error */
    while ((c = getc(p->f)) != EOF && c != '\n') {
        if (c == '\0')
            nul = 1;
        else if (n < sizeof(p->buf) - 1)
            p->buf[n++] = (char)c;
        else
            toolong = 1;
    }
    if (c == EOF && n == 0 && !nul && !toolong)
        return NULL;
    p->buf[n] = '\0';
    p->line++;
    if (nul) {
        record(p, AWC_ECONFIG, "%s:%d: malformed line (contains a NUL byte)", p->ini->path,
               p->line);
        return NULL;
    }

    s = p->buf;
    if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;                /* UTF-8 byte order mark */
    while (*s == ' ' || *s == '\t')
        s++;
    cut_comment(s);
    len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
    if (toolong || num < 3 || len > (size_t)num - 3) {
        record(p, AWC_ECONFIG, "%s:%d: line longer than %d characters", p->ini->path, p->line,
               num > 3 ? num - 3 : 0);
        return NULL;
    }
    if (*s == '[')
        check_section_line(p, s);
    if (p->err_line)
        return NULL;
    memcpy(str, s, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
    parse *p = user;
    host_ini *ini = p->ini;
    host_ini_entry *e;
    size_t olen;

    if (!value) {
        record(p, AWC_ECONFIG, "%s:%d: malformed line", ini->path, p->line);
        return 0;
    }
    if (!*section) {
        record(p, AWC_ECONFIG, "%s:%d: key '%s' is outside any [section]", ini->path, p->line,
               key);
        return 0;
    }
    if (!section_known(p->known, section)) {
        record(p, AWC_ECONFIG, "%s:%d: unknown section [%s]", ini->path, p->line, section);
        return 0;
    }
    if (!key_known(p->known, section, key)) {
        record(p, AWC_ECONFIG, "%s:%d: unknown key '%s' in section [%s]", ini->path, p->line,
               key, section);
        return 0;
    }
    e = find(ini, section, key);
    if (e) {
        record(p, AWC_ECONFIG, "%s:%d: duplicate key '%s' in section [%s] (first set on line %d)",
               ini->path, p->line, key, section, e->line);
        return 0;
    }
    if (ini->n >= ENTRIES_MAX) {
        record(p, AWC_ECONFIG, "%s:%d: more than %d keys", ini->path, p->line, ENTRIES_MAX);
        return 0;
    }
    if (ini->n == ini->cap) {
        size_t cap = ini->cap ? ini->cap * 2 : 32;
        host_ini_entry *v = realloc(ini->v, cap * sizeof(*v));
        if (!v) {
            record(p, AWC_ENOMEM, "out of memory");
            return 0;
        }
        ini->v = v;
        ini->cap = cap;
    }
    e = &ini->v[ini->n];
    memset(e, 0, sizeof(*e));
    e->line = p->line;
    e->section = strdup(section);
    e->key = strdup(key);
    e->value = strdup(value);
    olen = strlen(ini->path) + 16;
    e->origin = malloc(olen);
    if (e->origin)
        snprintf(e->origin, olen, "%s:%d", ini->path, p->line);
    ini->n++;                  /* counted now, so host_ini_free() frees a partial entry */
    if (!e->section || !e->key || !e->value || !e->origin) {
        record(p, AWC_ENOMEM, "out of memory");
        return 0;
    }
    return 1;
}

int host_ini_load(host_ini *out, const char *path, const char *const *known, char *err,
                  size_t errsz)
{
    FILE *f;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!path)
        return 0;
    f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "cannot read configuration %s: %s", path, strerror(errno));
        out->path = strdup(path);
        return out->path ? AWC_ECONFIG : AWC_ENOMEM;
    }
    rc = host_ini_read(out, f, path, known, err, errsz);
    fclose(f);
    return rc;
}

int host_ini_read(host_ini *out, FILE *f, const char *path, const char *const *known,
                  char *err, size_t errsz)
{
    parse *p;
    int ret, rc = 0;

    memset(out, 0, sizeof(*out));
    out->path = strdup(path);
    p = calloc(1, sizeof(*p));
    if (!out->path || !p) {
        free(p);
        snprintf(err, errsz, "out of memory");
        return AWC_ENOMEM;
    }
    p->ini = out;
    p->known = known;
    p->err = err;
    p->errsz = errsz;
    p->f = f;

    ret = ini_parse_stream(reader, p, handler, p);
    if (ferror(p->f)) {
        snprintf(err, errsz, "cannot read configuration %s: %s", path, strerror(errno));
        rc = AWC_ECONFIG;
    } else if (ret == -2) {
        snprintf(err, errsz, "out of memory");
        rc = AWC_ENOMEM;
    } else if (p->err_line && (ret <= 0 || ret >= p->err_line)) {
        rc = p->err_code;      /* our message is already in err */
    } else if (ret != 0) {
        snprintf(err, errsz, "%s:%d: malformed line", path, ret);
        rc = AWC_ECONFIG;
    }
    free(p);
    return rc;
}

const char *host_ini_get(const host_ini *ini, const char *section, const char *key)
{
    const host_ini_entry *e = (ini && section && key) ? find(ini, section, key) : NULL;
    return e ? e->value : NULL;
}

const char *host_ini_origin(const host_ini *ini, const char *section, const char *key)
{
    const host_ini_entry *e = (ini && section && key) ? find(ini, section, key) : NULL;
    return e ? e->origin : NULL;
}

void host_ini_free(host_ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->v[i].section);
        free(ini->v[i].key);
        free(ini->v[i].value);
        free(ini->v[i].origin);
    }
    free(ini->v);
    free(ini->path);
    memset(ini, 0, sizeof(*ini));
}
