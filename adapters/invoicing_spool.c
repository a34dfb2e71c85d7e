/*
 * invoicing_spool.c -- usage files as CSV files in a spool directory
 * (SPEC section 8, docs/INVOICING-SPOOL.md).
 *
 * Layout below invoicing.spool_dir:
 *
 *   outbox/<usage_file_id>.csv       one usage file, complete or absent
 *   outbox/<usage_file_id>.external  its external id and a newline
 *   outbox/.<name>.XXXXXX            a temporary file being written
 *   acks/<usage_file_id>.status      the platform's answer (it writes these)
 *
 * The spool is its own "platform", so it names things itself, and names
 * them deterministically so that a re-send after a crash writes the same
 * file under the same name:
 *
 *   usage file  UF-<period>-DDDD-DDDD, eight digits of a hash of the
 *               external id (probe k = 0, 1, ... when another external id
 *               already holds the name: see slot());
 *   record      UR-<period>-DDDD-DDDD-NNNN-NNNN, the file's digits and the
 *               record's number in the file (1-based).
 *
 * Atomicity.  send() first writes the .external index, then the .csv; each
 * is written to a temporary file, fsync'ed, renamed into place and the
 * directory fsync'ed.  find() reports a file only when both exist, so a
 * crash at any point leaves either nothing that find() reports or a
 * complete file.  A re-send of the same external id finds its own index,
 * rebuilds the same bytes and either writes the .csv or, when it is already
 * there, checks that it holds exactly those bytes.
 *
 * No floating point: amounts arrive in minor units and leave through
 * awc_money_format_minor().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awc.h"
#include "csvout.h"
#include "invoicing.h"
#include "money.h"

#define EXTERNAL_ID_MAX 255        /* bytes of an external id */
#define FIELD_MAX 4096             /* bytes of one text field of a record */
#define MAX_PROBES 64              /* names tried for one external id */
#define MAX_RECORDS 99999999u      /* the record number has eight digits */
#define ACK_MAX (64 * 1024)        /* bytes of an ack file that are read */
#define DIR_MODE 0750
#define FILE_MODE 0640
#define EXCERPT_MAX 32             /* bytes of a bad value quoted in a message */
#define EXCERPT_BUFSZ (4 * EXCERPT_MAX + 4)   /* escaped: up to 4 bytes each, "...", NUL */

static const char header[] =
    "record_id,record_note,item_search_criteria,item_search_value,amount,quantity,"
    "start_time_utc,end_time_utc,asset_search_criteria,asset_search_value,customer_id,"
    "reseller_id,currency\r\n";

/* How a record names its item and its asset on the platform (the platform
 * looks the item up by MPN and the asset by its id). */
static const char item_criteria[] = "mpn";
static const char asset_criteria[] = "asset.id";

struct spool {
    awc_invoicing base;
    char outbox[PATH_MAX];
    char acks[PATH_MAX];
};

/* --- small helpers ------------------------------------------------------------ */

static int io_error(const char *what, const char *path, int err)
{
    return awc_error_set(AWC_EIO, "spool: %s %s: %s", what, path, strerror(err));
}

static int join(char *buf, size_t n, const char *dir, const char *name, const char *ext)
{
    int len = snprintf(buf, n, "%s/%s%s", dir, name, ext);
    if (len < 0 || (size_t)len >= n)
        return awc_error_set(AWC_ECONFIG, "spool: path too long below %s", dir);
    return 0;
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "YYYY-MM" with a month 01..12. */
static int valid_period(const char *p)
{
    if (!p || strlen(p) != 7 || !is_digits(p, 4) || p[4] != '-' || !is_digits(p + 5, 2))
        return 0;
    return (p[5] == '0' && p[6] >= '1') || (p[5] == '1' && p[6] <= '2');
}

/* "UF-YYYY-MM-DDDD-DDDD": also keeps a caller's id from naming another path. */
static int valid_file_id(const char *id)
{
    char period[8];

    if (strlen(id) != 20 || memcmp(id, "UF-", 3) != 0 || id[10] != '-' || id[15] != '-')
        return 0;
    memcpy(period, id + 3, 7);
    period[7] = '\0';
    return valid_period(period) && is_digits(id + 11, 4) && is_digits(id + 16, 4);
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int valid_time(const char *t)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

    if (!t || strlen(t) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
            return 0;
    return 1;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* A short, escaped excerpt of a bad value for a message: at most
 * EXCERPT_MAX bytes of s, each byte below 0x20, 0x7f or above as \xNN, a
 * backslash as \\, then "..." when s is longer.  buf holds EXCERPT_BUFSZ
 * bytes.  Text the platform writes (an ack) or a caller passes is quoted
 * only this way, so a message never carries more than a few bytes of a
 * file, nor a byte a terminal would act on. */
static const char *excerpt(char buf[EXCERPT_BUFSZ], const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;

    for (i = 0; s[i] && i < EXCERPT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '\\') {
            buf[o++] = '\\';
            if (c == '\\') {
                buf[o++] = '\\';
                continue;
            }
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        } else {
            buf[o++] = (char)c;
        }
    }
    if (s[i]) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static int valid_external_id(const char *ext)
{
    if (!ext || !*ext)
        return awc_error_set(AWC_EUSAGE, "spool: empty external id");
    if (strlen(ext) > EXTERNAL_ID_MAX || has_control(ext))
        return awc_error_set(AWC_EUSAGE, "spool: external id is longer than %d bytes or has "
                             "control characters", EXTERNAL_ID_MAX);
    return 0;
}

/* --- names ------------------------------------------------------------------- */

/* Eight decimal digits for probe k of an external id: FNV-1a over the id
 * (and k when k > 0), then a 64-bit finaliser so that near ids spread. */
static uint32_t digits_of(const char *ext, unsigned k)
{
    uint64_t h = UINT64_C(14695981039346656037);

    for (const unsigned char *p = (const unsigned char *)ext; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    if (k > 0) {
        h = (h ^ 0xffu) * UINT64_C(1099511628211);
        for (; k; k /= 10)
            h = (h ^ ('0' + k % 10)) * UINT64_C(1099511628211);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return (uint32_t)(h % 100000000u);
}

static void file_id(char out[AWC_UF_ID_MAX], const char *period, uint32_t d)
{
    snprintf(out, AWC_UF_ID_MAX, "UF-%.7s-%04" PRIu32 "-%04" PRIu32, period, d / 10000, d % 10000);
}

/* Record n (1-based) of file id "UF-YYYY-MM-DDDD-DDDD". */
static void record_id(char out[AWC_UF_ID_MAX], const char *fid, uint32_t n)
{
    snprintf(out, AWC_UF_ID_MAX, "UR-%.17s-%04" PRIu32 "-%04" PRIu32, fid + 3, n / 10000,
             n % 10000);
}

/* --- files --------------------------------------------------------------------- */

/* Open a spool file for reading without following a link: the last
 * component must not be a symbolic link (O_NOFOLLOW), and the file must be
 * a regular file with one link, owned by the user we run as (geteuid()).
 * acks/ is written by the platform, so a link or a file of another user
 * there could make us read, and quote, a file that is not an ack; the
 * outbox files are ours and pass the same checks.  O_NONBLOCK keeps a FIFO
 * from blocking the open (it is then refused as not a regular file).
 * 0 with *out the descriptor, 1 when the file does not exist, or < 0
 * with the error set (AWC_EIO; the message names the path, never its
 * content). */
static int open_spool_file(int *out, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY), err;

    *out = -1;
    if (fd < 0) {
        err = errno;
        if (err == ENOENT)
            return 1;
        if (err == ELOOP)
            return awc_error_set(AWC_EIO, "spool: %s is a symbolic link (refused)", path);
        return io_error("cannot open", path, err);
    }
    if (fstat(fd, &st) != 0) {
        err = errno;
        close(fd);
        return io_error("cannot stat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return awc_error_set(AWC_EIO, "spool: %s is not a regular file (refused)", path);
    }
    if (st.st_uid != geteuid()) {
        close(fd);
        return awc_error_set(AWC_EIO, "spool: %s belongs to uid %lu, not to uid %lu that "
                             "awscredit runs as (refused)", path, (unsigned long)st.st_uid,
                             (unsigned long)geteuid());
    }
    if (st.st_nlink != 1) {
        close(fd);
        return awc_error_set(AWC_EIO, "spool: %s has %lu hard links, not 1 (refused)", path,
                             (unsigned long)st.st_nlink);
    }
    *out = fd;
    return 0;
}

/* Read up to max bytes of path into a NUL-terminated buffer (*out, freed by
 * the caller).  1 when the file does not exist, 0 when read, < 0 on error. */
static int read_small(char **out, size_t *len, const char *path, size_t max)
{
    char *buf;
    size_t got = 0;
    int fd, rc = open_spool_file(&fd, path);

    if (rc != 0)
        return rc;
    if (!(buf = awc_malloc(max + 1))) {
        close(fd);
        return awc_error_set(AWC_ENOMEM, "spool: out of memory reading %s", path);
    }
    while (got < max) {
        ssize_t r = read(fd, buf + got, max - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            close(fd);
            awc_free(buf);
            return io_error("cannot read", path, err);
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

/* A regular file (a symbolic link is not one: open_spool_file refuses it). */
static int is_regular(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return io_error("cannot open directory", dir, errno);
    if (fsync(fd) != 0 && errno != EINVAL) {
        int err = errno;
        close(fd);
        return io_error("cannot fsync directory", dir, err);
    }
    close(fd);
    return 0;
}

/* Write len bytes as dir/name: a temporary ".name.XXXXXX" in dir, fsync,
 * rename, fsync dir.  On failure the temporary file is removed and the
 * final name is untouched. */
static int write_atomic(const char *dir, const char *name, const char *data, size_t len)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    size_t off = 0;
    int fd, rc, err;

    if ((rc = join(dst, sizeof(dst), dir, name, "")) != 0)
        return rc;
    if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(tmp))
        return awc_error_set(AWC_ECONFIG, "spool: path too long below %s", dir);
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
        return io_error("cannot create a temporary file in", dir, errno);
    if (fchmod(fd, FILE_MODE) != 0)
        goto fail;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        off += (size_t)w;
    }
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, dst) != 0) {
        err = errno;
        unlink(tmp);
        return io_error("cannot rename a temporary file to", dst, err);
    }
    return fsync_dir(dir);

fail:
    err = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return io_error("cannot write", dst, err);
}

/* Read path in blocks, handing each to fn (which returns 0 to go on, 1 to
 * stop early).  0, or < 0 with the error set. */
static int read_blocks(const char *path, int (*fn)(void *arg, const char *p, size_t n),
                       void *arg)
{
    char buf[64 * 1024];
    int fd, rc = open_spool_file(&fd, path);

    if (rc != 0)
        return rc == 1 ? io_error("cannot open", path, ENOENT) : rc;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            close(fd);
            return io_error("cannot read", path, err);
        }
        if (r == 0 || fn(arg, buf, (size_t)r) != 0)
            break;
    }
    close(fd);
    return 0;
}

typedef struct compare {
    const char *data;
    size_t len, off;
    int same;
} compare;

static int compare_block(void *arg, const char *p, size_t n)
{
    compare *c = arg;
    if (n > c->len - c->off || memcmp(p, c->data + c->off, n) != 0) {
        c->same = 0;
        return 1;
    }
    c->off += n;
    return 0;
}

/* Same bytes in path as data[0..len)?  1 yes, 0 no, < 0 error. */
static int same_content(const char *path, const char *data, size_t len)
{
    compare c = { data, len, 0, 1 };
    int rc = read_blocks(path, compare_block, &c);
    return rc < 0 ? rc : c.same && c.off == len;
}

typedef struct line_count {
    size_t lines;
    int quoted;
} line_count;

static int count_block(void *arg, const char *p, size_t n)
{
    line_count *k = arg;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            k->quoted = !k->quoted;
        else if (p[i] == '\n' && !k->quoted)
            k->lines++;
    }
    return 0;
}

/* Records in a CSV file we wrote: line ends outside quotes, less the header. */
static int count_records(size_t *out, const char *path)
{
    line_count k = { 0, 0 };
    int rc = read_blocks(path, count_block, &k);
    if (rc < 0)
        return rc;
    *out = k.lines > 0 ? k.lines - 1 : 0;
    return 0;
}

/* --- CSV ----------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->oom = 1;
                return;
            }
            cap *= 2;
        }
        if (!(p = awc_realloc(b->p, cap))) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* One field, RFC 4180: quoted when it holds a comma, quote, CR or LF, with
 * quotes doubled; a free-text field gets the export's lossless formula
 * guard (csvout.h, docs/EXPORT.md). */
static void field(struct buf *b, const char *s, int free_text)
{
    const char *q;
    int prefix = free_text && awc_csv_needs_guard(s, strlen(s));

    if (!strpbrk(s, ",\"\r\n")) {
        if (prefix)
            put(b, "'", 1);
        puts_(b, s);
        return;
    }
    put(b, "\"", 1);
    if (prefix)
        put(b, "'", 1);
    while ((q = strchr(s, '"')) != NULL) {
        put(b, s, (size_t)(q - s) + 1);
        put(b, "\"", 1);
        s = q + 1;
    }
    puts_(b, s);
    put(b, "\"", 1);
}

/* --- validation --------------------------------------------------------------- */

/* An identifier field: non-empty, bounded, no control characters and not
 * starting like a formula (the platform matches it exactly, so it is
 * refused rather than altered). */
static int check_id(const char *ext, size_t i, const char *name, const char *v)
{
    char s[EXCERPT_BUFSZ];

    if (!v || !*v)
        return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: %s is empty", ext, i + 1,
                             name);
    if (strlen(v) > FIELD_MAX || has_control(v) || awc_csv_needs_guard(v, strlen(v)))
        return awc_error_set(AWC_EBADINPUT,
                             "usage file %s record %zu: %s '%s' is too long, has control "
                             "characters or starts like a formula", ext, i + 1, name,
                             excerpt(s, v));
    return 0;
}

/* A record's reseller: its own, else the file's. */
static const char *reseller_of(const awc_usage_file *f, const awc_usage_record *r)
{
    return r->reseller_id && *r->reseller_id ? r->reseller_id : f->reseller_id;
}

static int check_record(const awc_usage_file *f, size_t i)
{
    const awc_usage_record *r = &f->records[i];
    const char *ext = f->external_id;
    int rc, e;

    if ((rc = check_id(ext, i, "item_mpn", r->item_mpn)) ||
        (rc = check_id(ext, i, "asset_id", r->asset_id)) ||
        (rc = check_id(ext, i, "customer_id", r->customer_id)) ||
        (rc = check_id(ext, i, "reseller_id", reseller_of(f, r))))
        return rc;
    if (r->record_id && *r->record_id) {
        if (strlen(r->record_id) >= AWC_UF_ID_MAX)
            return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: record_id longer "
                                 "than %d bytes", ext, i + 1, AWC_UF_ID_MAX - 1);
        if ((rc = check_id(ext, i, "record_id", r->record_id)) != 0)
            return rc;
    }
    if (r->note && strlen(r->note) > FIELD_MAX)
        return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: note longer than %d bytes",
                             ext, i + 1, FIELD_MAX);
    if (!r->currency || strcmp(r->currency, f->currency) != 0)
        return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: currency differs from "
                             "the file's %s", ext, i + 1, f->currency);
    e = awc_currency_exponent(f->currency);
    if (r->exponent < 0 || r->exponent > 4 || (e >= 0 && e != r->exponent))
        return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: exponent %d does not "
                             "fit currency %s", ext, i + 1, r->exponent, f->currency);
    if (!valid_time(r->start_utc) || !valid_time(r->end_utc))
        return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: start and end must look "
                             "like YYYY-MM-DDTHH:MM:SSZ", ext, i + 1);
    return 0;
}

static int check_file(const awc_usage_file *f)
{
    int rc;

    if ((rc = valid_external_id(f->external_id)) != 0)
        return rc;
    if (!valid_period(f->period))
        return awc_error_set(AWC_EBADINPUT, "usage file %s: period is not YYYY-MM",
                             f->external_id);
    if (!f->currency || strlen(f->currency) != 3 || has_control(f->currency))
        return awc_error_set(AWC_EBADINPUT, "usage file %s: currency is not a 3-letter code",
                             f->external_id);
    if (f->n == 0 || f->n > MAX_RECORDS || !f->records)
        return awc_error_set(AWC_EBADINPUT, "usage file %s: %zu records (1 to %u allowed)",
                             f->external_id, f->n, MAX_RECORDS);
    for (size_t i = 0; i < f->n; i++)
        if ((rc = check_record(f, i)) != 0)
            return rc;
    return 0;
}

/* The whole CSV of f as file fid, and each record's id into ids. */
static int build_csv(struct buf *b, const awc_usage_file *f, const char *fid,
                     char (*ids)[AWC_UF_ID_MAX])
{
    char amount[AWC_MONEY_BUFSZ];

    puts_(b, header);
    for (size_t i = 0; i < f->n; i++) {
        const awc_usage_record *r = &f->records[i];
        int rc;

        if (r->record_id && *r->record_id)
            snprintf(ids[i], AWC_UF_ID_MAX, "%s", r->record_id);
        else
            record_id(ids[i], fid, (uint32_t)(i + 1));
        if ((rc = awc_money_format_minor(amount, sizeof(amount), r->amount_minor,
                                         r->exponent)) < 0)
            return awc_error_prefix(rc, "usage file %s record %zu", f->external_id, i + 1);
        field(b, ids[i], 0);
        put(b, ",", 1);
        field(b, r->note ? r->note : "", 1);
        put(b, ",", 1);
        field(b, item_criteria, 0);
        put(b, ",", 1);
        field(b, r->item_mpn, 0);
        put(b, ",", 1);
        field(b, amount, 0);
        puts_(b, ",1,");
        field(b, r->start_utc, 0);
        put(b, ",", 1);
        field(b, r->end_utc, 0);
        put(b, ",", 1);
        field(b, asset_criteria, 0);
        put(b, ",", 1);
        field(b, r->asset_id, 0);
        put(b, ",", 1);
        field(b, r->customer_id, 0);
        put(b, ",", 1);
        field(b, reseller_of(f, r), 0);
        put(b, ",", 1);
        field(b, f->currency, 0);
        put(b, "\r\n", 2);
    }
    if (b->oom)
        return awc_error_set(AWC_ENOMEM, "spool: out of memory building usage file %s",
                             f->external_id);
    return 0;
}

/* --- acks ---------------------------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copy the note, trimmed, cut at a UTF-8 character boundary if too long. */
static void copy_note(char *dst, const char *s)
{
    size_t n;

    while (is_blank(*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    if (n > AWC_UF_NOTE_MAX - 1) {
        n = AWC_UF_NOTE_MAX - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        while (n > 0 && is_blank(s[n - 1]))
            n--;                   /* a cut note ends on text too */
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* An ack's text: line 1 the status word, the rest a note (docs/INVOICING-
 * SPOOL.md, "Acks"). */
int awc_spool_ack_parse(awc_uf_state *out, char *text, const char *path)
{
    char shown[EXCERPT_BUFSZ], *line = text, *rest;

    if ((unsigned char)line[0] == 0xef && (unsigned char)line[1] == 0xbb &&
        (unsigned char)line[2] == 0xbf)
        line += 3;                     /* a byte order mark */
    rest = strchr(line, '\n');
    if (rest)
        *rest++ = '\0';
    else
        rest = line + strlen(line);
    while (is_blank(*line))
        line++;
    for (size_t n = strlen(line); n > 0 && is_blank(line[n - 1]); n--)
        line[n - 1] = '\0';

    if (strcmp(line, "accepted") == 0)
        out->status = AWC_UF_ACCEPTED;
    else if (strcmp(line, "closed") == 0)
        out->status = AWC_UF_CLOSED;
    else if (strcmp(line, "rejected") == 0)
        out->status = AWC_UF_REJECTED;
    else
        return awc_error_set(AWC_EBADINPUT, "%s: line 1: expected accepted, closed or rejected, "
                             "got '%s'", path, excerpt(shown, line));
    copy_note(out->note, rest);
    return 0;
}

/* The state of file id: its ack decides; without one, a file in the outbox
 * is pending and no file is unknown. */
static int spool_status(awc_invoicing *inv, const char *usage_file_id, awc_uf_state *out)
{
    struct spool *s = (struct spool *)inv;
    char csv[PATH_MAX], ack[PATH_MAX], shown[EXCERPT_BUFSZ], id[AWC_UF_ID_MAX];
    char *text = NULL;
    size_t len = 0;
    int rc, have_csv;

    /* the id may live in *out (status(inv, st.usage_file_id, &st)) */
    if (!usage_file_id || !valid_file_id(usage_file_id)) {
        memset(out, 0, sizeof(*out));
        return awc_error_set(AWC_EUSAGE, "spool: '%s' is not a usage file id "
                             "(UF-YYYY-MM-DDDD-DDDD)",
                             usage_file_id ? excerpt(shown, usage_file_id) : "");
    }
    snprintf(id, sizeof(id), "%s", usage_file_id);
    memset(out, 0, sizeof(*out));
    if ((rc = join(csv, sizeof(csv), s->outbox, id, ".csv")) ||
        (rc = join(ack, sizeof(ack), s->acks, id, ".status")))
        return rc;
    snprintf(out->usage_file_id, sizeof(out->usage_file_id), "%s", id);
    have_csv = is_regular(csv);
    if (have_csv && (rc = count_records(&out->records, csv)) != 0)
        return rc;

    if ((rc = read_small(&text, &len, ack, ACK_MAX)) < 0)
        return rc;
    if (rc == 1) {
        out->status = have_csv ? AWC_UF_PENDING : AWC_UF_UNKNOWN;
        return 0;
    }
    if ((rc = awc_spool_ack_parse(out, text, ack)) != 0)
        memset(out, 0, sizeof(*out));
    awc_free(text);
    return rc;
}

/* --- records ------------------------------------------------------------------ */

/* Reading the first field of each record of a CSV we wrote. */
enum { AT_START, FIRST, FIRST_Q, FIRST_QQ, REST, REST_Q };

struct ids_reader {
    char (*ids)[AWC_UF_ID_MAX];
    size_t cap, count, records;    /* records: including the header */
    char field[AWC_UF_ID_MAX];
    size_t flen;
    int toolong;
};

static void emit(struct ids_reader *r)
{
    if (r->records++ > 0) {
        if (r->count < r->cap && !r->toolong) {
            memcpy(r->ids[r->count], r->field, r->flen);
            r->ids[r->count][r->flen] = '\0';
        }
        r->count++;
    }
    r->flen = 0;
}

static void grow_field(struct ids_reader *r, char c)
{
    if (r->flen + 1 < sizeof(r->field))
        r->field[r->flen++] = c;
    else if (r->records > 0)
        r->toolong = 1;
}

static int spool_records(awc_invoicing *inv, const char *id, char (*record_ids)[AWC_UF_ID_MAX],
                         size_t cap, size_t *n)
{
    struct spool *s = (struct spool *)inv;
    struct ids_reader r;
    char csv[PATH_MAX], buf[64 * 1024], shown[EXCERPT_BUFSZ];
    int fd, rc, st = AT_START;

    *n = 0;
    if (!id || !valid_file_id(id))
        return awc_error_set(AWC_EUSAGE, "spool: '%s' is not a usage file id "
                             "(UF-YYYY-MM-DDDD-DDDD)", id ? excerpt(shown, id) : "");
    if ((rc = join(csv, sizeof(csv), s->outbox, id, ".csv")) != 0)
        return rc;
    if (!is_regular(csv))
        return awc_error_set(AWC_ENOTFOUND, "spool: no usage file %s", csv);
    if ((rc = open_spool_file(&fd, csv)) != 0)
        return rc == 1 ? io_error("cannot open", csv, ENOENT) : rc;
    memset(&r, 0, sizeof(r));
    r.ids = record_ids;
    r.cap = cap;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int err = errno;
            close(fd);
            return io_error("cannot read", csv, err);
        }
        if (got == 0)
            break;
        for (ssize_t i = 0; i < got; i++) {
            char c = buf[i];
            switch (st) {
            case AT_START:
            case FIRST:
                if (c == '"' && st == AT_START)
                    st = FIRST_Q;
                else if (c == ',')
                    emit(&r), st = REST;
                else if (c == '\n')
                    emit(&r), st = AT_START;
                else if (c != '\r')
                    grow_field(&r, c), st = FIRST;
                break;
            case FIRST_Q:
                if (c == '"')
                    st = FIRST_QQ;
                else
                    grow_field(&r, c);
                break;
            case FIRST_QQ:             /* a quote inside quotes: doubled, or the end */
                if (c == '"')
                    grow_field(&r, c), st = FIRST_Q;
                else if (c == ',')
                    emit(&r), st = REST;
                else if (c == '\n')
                    emit(&r), st = AT_START;
                else if (c != '\r')
                    st = FIRST;
                break;
            case REST:
                if (c == '"')
                    st = REST_Q;
                else if (c == '\n')
                    st = AT_START;
                break;
            case REST_Q:
                if (c == '"')
                    st = REST;
                break;
            }
        }
    }
    close(fd);
    if (st == FIRST || st == FIRST_QQ)
        emit(&r);                      /* no line end after the last record */
    if (r.toolong)
        return awc_error_set(AWC_EBADINPUT, "%s: a record id longer than %d bytes", csv,
                             AWC_UF_ID_MAX - 1);
    if (r.count > cap)
        return awc_error_set(AWC_EOVERFLOW, "spool: usage file %s holds %zu records, more than "
                             "the %zu expected", id, r.count, cap);
    *n = r.count;
    return 0;
}

/* --- find and send ---------------------------------------------------------------- */

enum { IDX_OTHER = 0, IDX_OURS = 1, IDX_ABSENT = 2 };

/* Does index file dir/<name> hold external id ext?  IDX_OURS, IDX_OTHER,
 * IDX_ABSENT (no such file), or < 0 on error. */
static int index_holds(const char *dir, const char *name, const char *ext)
{
    char path[PATH_MAX], *text = NULL;
    size_t len = 0, n = strlen(ext);
    int rc;

    if ((rc = join(path, sizeof(path), dir, name, "")) != 0)
        return rc;
    if ((rc = read_small(&text, &len, path, EXTERNAL_ID_MAX + 2)) != 0)
        return rc == 1 ? IDX_ABSENT : rc;
    rc = len == n + 1 && memcmp(text, ext, n) == 0 && text[n] == '\n' ? IDX_OURS : IDX_OTHER;
    awc_free(text);
    return rc;
}

/* The name for f: probe k = 0, 1, ... until a name is free (*ours = 0) or
 * already holds f's external id (*ours = 1). */
static int slot(struct spool *s, const awc_usage_file *f, char id[AWC_UF_ID_MAX], int *ours)
{
    char name[AWC_UF_ID_MAX + 16];
    int rc;

    for (unsigned k = 0; k < MAX_PROBES; k++) {
        file_id(id, f->period, digits_of(f->external_id, k));
        snprintf(name, sizeof(name), "%s.external", id);
        if ((rc = index_holds(s->outbox, name, f->external_id)) < 0)
            return rc;
        if (rc != IDX_OTHER) {
            *ours = rc == IDX_OURS;
            return 0;
        }
    }
    return awc_error_set(AWC_EIO, "spool: no free usage file name for %s after %d tries",
                         f->external_id, MAX_PROBES);
}

/* "UF-YYYY-MM-DDDD-DDDD.external" whose digits are those of some probe of
 * ext: its eight digits, else UINT32_MAX. */
static uint32_t index_digits(const char *name)
{
    size_t n = strlen(name);

    if (n != 29 || strcmp(name + 20, ".external") != 0 || !is_digits(name + 11, 4) ||
        !is_digits(name + 16, 4) || memcmp(name, "UF-", 3) != 0)
        return UINT32_MAX;
    return (uint32_t)strtoul(name + 11, NULL, 10) * 10000u + (uint32_t)strtoul(name + 16, NULL, 10);
}

/* The id of the complete usage file indexed for ext into id, 1 when found,
 * 0 when none, < 0 on error. */
static int scan_outbox(struct spool *s, const char *ext, char id[AWC_UF_ID_MAX])
{
    uint32_t want[MAX_PROBES];
    struct dirent *de;
    DIR *d;
    int rc = 0;

    for (unsigned k = 0; k < MAX_PROBES; k++)
        want[k] = digits_of(ext, k);
    if (!(d = opendir(s->outbox)))
        return io_error("cannot read directory", s->outbox, errno);
    for (;;) {
        char csv[PATH_MAX];
        uint32_t dg;
        unsigned k = 0;

        errno = 0;
        if (!(de = readdir(d))) {
            if (errno != 0)
                rc = io_error("cannot read directory", s->outbox, errno);
            break;
        }
        if ((dg = index_digits(de->d_name)) == UINT32_MAX)
            continue;
        while (k < MAX_PROBES && want[k] != dg)
            k++;
        if (k == MAX_PROBES)
            continue;
        if ((rc = index_holds(s->outbox, de->d_name, ext)) < 0)
            break;
        if (rc != IDX_OURS) {
            rc = 0;
            continue;
        }
        rc = 0;
        snprintf(id, AWC_UF_ID_MAX, "%.20s", de->d_name);
        if ((rc = join(csv, sizeof(csv), s->outbox, id, ".csv")) != 0)
            break;
        if (is_regular(csv)) {
            rc = 1;
            break;
        }
        /* indexed but never completed: a crash before the rename, not sent */
    }
    closedir(d);
    return rc;
}

static int spool_find(awc_invoicing *inv, const char *ext, awc_uf_state *out)
{
    struct spool *s = (struct spool *)inv;
    char id[AWC_UF_ID_MAX];
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = valid_external_id(ext)) != 0 || (rc = scan_outbox(s, ext, id)) <= 0)
        return rc;
    return spool_status(inv, id, out);
}

static int spool_send(awc_invoicing *inv, const awc_usage_file *f, awc_uf_state *out,
                      char (*record_ids)[AWC_UF_ID_MAX])
{
    struct spool *s = (struct spool *)inv;
    char id[AWC_UF_ID_MAX], name[AWC_UF_ID_MAX + 16], csv[PATH_MAX];
    struct buf b = { NULL, 0, 0, 0 };
    int rc, ours = 0;

    memset(out, 0, sizeof(*out));
    if ((rc = check_file(f)) != 0 || (rc = slot(s, f, id, &ours)) != 0)
        return rc;
    if ((rc = build_csv(&b, f, id, record_ids)) != 0)
        goto done;
    if ((rc = join(csv, sizeof(csv), s->outbox, id, ".csv")) != 0)
        goto done;

    if (ours && is_regular(csv)) {
        /* Sent before (a re-send after a crash): the same bytes or nothing. */
        if ((rc = same_content(csv, b.p, b.len)) < 0)
            goto done;
        if (rc == 0) {
            rc = awc_error_set(AWC_ECONFLICT, "spool: %s already holds usage file %s with "
                               "different records", csv, f->external_id);
            goto done;
        }
    } else {
        if (!ours) {
            size_t n = strlen(f->external_id);
            char line[EXTERNAL_ID_MAX + 2];
            memcpy(line, f->external_id, n);
            line[n] = '\n';
            snprintf(name, sizeof(name), "%s.external", id);
            if ((rc = write_atomic(s->outbox, name, line, n + 1)) != 0)
                goto done;
        }
        snprintf(name, sizeof(name), "%s.csv", id);
        if ((rc = write_atomic(s->outbox, name, b.p, b.len)) != 0)
            goto done;
    }
    rc = spool_status(inv, id, out);

done:
    awc_free(b.p);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* --- open and close ------------------------------------------------------------- */

static void spool_close(awc_invoicing *inv)
{
    awc_free(inv);
}

static const awc_invoicing_ops spool_ops = {
    spool_close, spool_find, spool_send, spool_status, spool_records,
};

static int make_dir(const char *path)
{
    struct stat st;

    if (mkdir(path, DIR_MODE) != 0 && errno != EEXIST)
        return awc_error_set(AWC_ECONFIG, "invoicing.spool_dir: cannot create %s: %s", path,
                             strerror(errno));
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return awc_error_set(AWC_ECONFIG, "invoicing.spool_dir: %s is not a directory", path);
    return 0;
}

int awc_invoicing_spool_open(awc_invoicing **out, const awc_invoicing_params *p)
{
    struct spool *s;
    struct stat st;
    int rc;

    *out = NULL;
    if (!p || !p->spool_dir || !*p->spool_dir)
        return awc_error_set(AWC_ECONFIG, "invoicing.spool_dir is not set");
    if (stat(p->spool_dir, &st) != 0)
        return awc_error_set(AWC_ECONFIG, "invoicing.spool_dir %s: %s", p->spool_dir,
                             strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return awc_error_set(AWC_ECONFIG, "invoicing.spool_dir %s: not a directory",
                             p->spool_dir);
    if (!(s = awc_calloc(1, sizeof(*s))))
        return awc_error_set(AWC_ENOMEM, "spool: out of memory");
    s->base.ops = &spool_ops;
    if ((rc = join(s->outbox, sizeof(s->outbox), p->spool_dir, "outbox", "")) ||
        (rc = join(s->acks, sizeof(s->acks), p->spool_dir, "acks", "")) ||
        (rc = make_dir(s->outbox)) || (rc = make_dir(s->acks))) {
        awc_free(s);
        return rc;
    }
    *out = &s->base;
    return 0;
}
