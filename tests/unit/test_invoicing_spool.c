/*
 * test_invoicing_spool.c -- the spool invoicing adapter (SPEC section 8,
 * docs/INVOICING-SPOOL.md): the CSV byte for byte, RFC 4180 quoting and
 * spreadsheet safety, deterministic names, atomic writes (a failed rename
 * leaves nothing find() reports and no temporary file), recovery after a
 * crash between the index and the rename, acks, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "awc.h"
#include "invoicing.h"

#define NREC_MAX 10

struct fx {
    char dir[256];
    char dir2[256];
    awc_invoicing *inv;
    awc_invoicing *inv2;
};

static awc_usage_record recs[NREC_MAX];
static char ids[NREC_MAX][AWC_UF_ID_MAX];

/* --- helpers ------------------------------------------------------------------- */

static void rm_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char sub[1024];

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    if ((d = opendir(path)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
            rm_tree(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

static awc_invoicing *open_spool(const char *dir)
{
    awc_invoicing_params p;
    awc_invoicing *inv = NULL;

    memset(&p, 0, sizeof(p));
    p.spool_dir = dir;
    assert_int_equal(awc_invoicing_spool_open(&inv, &p), 0);
    assert_non_null(inv);
    return inv;
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "%s/spoolA.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    snprintf(fx->dir2, sizeof(fx->dir2), "%s/spoolB.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(fx->dir));
    assert_non_null(mkdtemp(fx->dir2));
    fx->inv = open_spool(fx->dir);
    fx->inv2 = open_spool(fx->dir2);
    memset(ids, 0, sizeof(ids));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    fx->inv->ops->close(fx->inv);
    fx->inv2->ops->close(fx->inv2);
    rm_tree(fx->dir);
    rm_tree(fx->dir2);
    free(fx);
    awc_alloc_fail_after(-1);
    return 0;
}

static void rec(size_t i, const char *note, int64_t minor)
{
    awc_usage_record *r = &recs[i];

    memset(r, 0, sizeof(*r));
    r->note = note;
    r->item_mpn = "AWS-CREDIT";
    r->amount_minor = minor;
    r->exponent = 2;
    r->start_utc = "2026-10-01T00:00:00Z";
    r->end_utc = "2026-11-01T00:00:00Z";
    r->asset_id = "AS-1000-2000-3000";
    r->customer_id = "TA-0001-0002";
    r->reseller_id = "R-1";
    r->currency = "USD";
    r->seq = i + 1;
    r->line_no = 1;
}

static awc_usage_file file_of(const char *ext, size_t n)
{
    awc_usage_file f;

    f.external_id = ext;
    f.period = "2026-10";
    f.reseller_id = "R-1";
    f.currency = "USD";
    f.records = recs;
    f.n = n;
    return f;
}

/* Read a whole small file into a static buffer. */
static const char *slurp(const char *path)
{
    static char buf[64 * 1024];
    FILE *fp = fopen(path, "rb");
    size_t n;

    assert_non_null(fp);
    n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static const char *path_of(const char *dir, const char *sub, const char *id, const char *ext)
{
    static char buf[4][1024];
    static int k;

    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s/%s%s", dir, sub, id, ext);
    return buf[k];
}

/* Entries of dir/outbox whose names start with '.' (other than . and ..). */
static int temp_files(const char *dir)
{
    char path[512];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/outbox", dir);
    assert_non_null(d = opendir(path));
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
            strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int entries(const char *dir, const char *sub)
{
    char path[512];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    assert_non_null(d = opendir(path));
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void assert_file_id_shape(const char *id)
{
    assert_int_equal(strlen(id), 20);
    assert_memory_equal(id, "UF-2026-10-", 11);
    for (int i = 11; i < 20; i++)
        if (i != 15)
            assert_true(id[i] >= '0' && id[i] <= '9');
    assert_int_equal(id[15], '-');
}

#define HEADER "record_id,record_note,item_search_criteria,item_search_value,amount,quantity," \
    "start_time_utc,end_time_utc,asset_search_criteria,asset_search_value,customer_id," \
    "reseller_id,currency\r\n"

/* --- tests --------------------------------------------------------------------- */

static void csv_byte_for_byte(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:1", 3);
    awc_uf_state st;
    char expect[2048], rid[AWC_UF_ID_MAX];
    struct stat sb;

    rec(0, "AWSC-000000-0000-0017 MAP credit", -1234);
    rec(1, "AWSC-000000-0000-0025 EDP", -5);
    rec(2, "AWSC-000000-0000-0033 SLA", -100000);
    recs[2].customer_id = "TA-0009";
    recs[2].asset_id = "AS-9";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    assert_file_id_shape(st.usage_file_id);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(st.records, 3);

    /* record ids: the file's digits, then the record number */
    for (int i = 0; i < 3; i++) {
        snprintf(rid, sizeof(rid), "UR-%.17s-0000-%04d", st.usage_file_id + 3, i + 1);
        assert_string_equal(ids[i], rid);
    }
    snprintf(expect, sizeof(expect),
             HEADER
             "%s,AWSC-000000-0000-0017 MAP credit,mpn,AWS-CREDIT,-12.34,1,2026-10-01T00:00:00Z,"
             "2026-11-01T00:00:00Z,asset.id,AS-1000-2000-3000,TA-0001-0002,R-1,USD\r\n"
             "%s,AWSC-000000-0000-0025 EDP,mpn,AWS-CREDIT,-0.05,1,2026-10-01T00:00:00Z,"
             "2026-11-01T00:00:00Z,asset.id,AS-1000-2000-3000,TA-0001-0002,R-1,USD\r\n"
             "%s,AWSC-000000-0000-0033 SLA,mpn,AWS-CREDIT,-1000.00,1,2026-10-01T00:00:00Z,"
             "2026-11-01T00:00:00Z,asset.id,AS-9,TA-0009,R-1,USD\r\n",
             ids[0], ids[1], ids[2]);
    assert_string_equal(slurp(path_of(fx->dir, "outbox", st.usage_file_id, ".csv")), expect);
    assert_string_equal(slurp(path_of(fx->dir, "outbox", st.usage_file_id, ".external")),
                        "awscredit:2026-10:R-1:USD:1\n");
    assert_int_equal(temp_files(fx->dir), 0);
    assert_int_equal(entries(fx->dir, "outbox"), 2);

    assert_int_equal(stat(path_of(fx->dir, "outbox", st.usage_file_id, ".csv"), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    snprintf(expect, sizeof(expect), "%s/acks", fx->dir);
    assert_int_equal(stat(expect, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0027, 0);

    /* find() reports it */
    memset(&st, 0x55, sizeof(st));
    assert_int_equal(fx->inv->ops->find(fx->inv, "awscredit:2026-10:R-1:USD:1", &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(st.records, 3);
    assert_string_equal(st.note, "");
}

static void zero_exponent_currency(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:JPY:1", 1);
    awc_uf_state st;
    const char *csv;

    rec(0, "yen", -1234);
    recs[0].currency = "JPY";
    recs[0].exponent = 0;
    f.currency = "JPY";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    csv = slurp(path_of(fx->dir, "outbox", st.usage_file_id, ".csv"));
    assert_non_null(strstr(csv, ",yen,mpn,AWS-CREDIT,-1234,1,"));
    assert_non_null(strstr(csv, ",R-1,JPY\r\n"));

    /* a wrong exponent for the currency is refused */
    recs[0].exponent = 2;
    f.external_id = "awscredit:2026-10:R-1:JPY:2";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "exponent"));
}

static void quoting_and_formulas(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:quote", 10);
    awc_uf_state st;
    const char *csv, *line;
    static const struct { const char *note, *cell; } cases[10] = {
        { "credit, with comma", "\"credit, with comma\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "two\nlines", "\"two\nlines\"" },
        { "=SUM(A1:A9)", "'=SUM(A1:A9)" },
        { "+1+2", "'+1+2" },
        { "@cmd, x", "\"'@cmd, x\"" },
        { "-12.50", "-12.50" },        /* a number is not a formula */
        { "-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0" },
        { "'=1+1", "''=1+1" },         /* lossless: an apostrophe of its own is kept */
        { "'plain", "'plain" },
    };

    for (int i = 0; i < 10; i++)
        rec((size_t)i, cases[i].note, -(i + 1));
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    assert_int_equal(st.records, 10);   /* the quoted newline is not a record end */
    csv = slurp(path_of(fx->dir, "outbox", st.usage_file_id, ".csv"));
    for (int i = 0; i < 10; i++) {
        char want[256];
        snprintf(want, sizeof(want), "%s,%s,mpn,AWS-CREDIT,-0.%02d,1,", ids[i], cases[i].cell,
                 i + 1);
        line = strstr(csv, want);
        assert_non_null(line);
    }

    /* a tab or CR at the start of a note is also neutralised */
    rec(0, "\tx", -1);
    f.external_id = "awscredit:2026-10:R-1:USD:tab";
    f.n = 1;
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    csv = slurp(path_of(fx->dir, "outbox", st.usage_file_id, ".csv"));
    assert_non_null(strstr(csv, ",'\tx,mpn,"));
}

static void deterministic_ids(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-7:USD:1", 2);
    awc_uf_state a, b, c;
    char ids_a[2][AWC_UF_ID_MAX], csv_a[4096];

    rec(0, "one", -1);
    rec(1, "two", -2);
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &a, ids), 0);
    memcpy(ids_a, ids, sizeof(ids_a));
    snprintf(csv_a, sizeof(csv_a), "%s", slurp(path_of(fx->dir, "outbox", a.usage_file_id, ".csv")));

    /* another spool, same file: same names, same bytes */
    assert_int_equal(fx->inv2->ops->send(fx->inv2, &f, &b, ids), 0);
    assert_string_equal(a.usage_file_id, b.usage_file_id);
    assert_string_equal(ids_a[0], ids[0]);
    assert_string_equal(ids_a[1], ids[1]);
    assert_string_equal(slurp(path_of(fx->dir2, "outbox", b.usage_file_id, ".csv")), csv_a);

    /* another external id: another name */
    f.external_id = "awscredit:2026-10:R-7:USD:2";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &c, ids), 0);
    assert_string_not_equal(a.usage_file_id, c.usage_file_id);
    assert_string_not_equal(ids_a[0], ids[0]);

    /* a caller's own record id is kept */
    recs[1].record_id = "UR-2026-10-0000-0000-0000-0042";
    f.external_id = "awscredit:2026-10:R-7:USD:3";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &c, ids), 0);
    assert_string_equal(ids[1], "UR-2026-10-0000-0000-0000-0042");
}

static void resend_is_idempotent(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:9", 2);
    awc_uf_state a, b;
    struct stat s1, s2;

    rec(0, "one", -1);
    rec(1, "two", -2);
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &a, ids), 0);
    assert_int_equal(stat(path_of(fx->dir, "outbox", a.usage_file_id, ".csv"), &s1), 0);
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &b, ids), 0);
    assert_string_equal(a.usage_file_id, b.usage_file_id);
    assert_int_equal(stat(path_of(fx->dir, "outbox", b.usage_file_id, ".csv"), &s2), 0);
    assert_int_equal(s1.st_ino, s2.st_ino);          /* not rewritten */
    assert_int_equal(entries(fx->dir, "outbox"), 2);

    /* the same external id with other records is a conflict, not an overwrite */
    recs[1].amount_minor = -3;
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &b, ids), AWC_ECONFLICT);
    assert_non_null(strstr(awc_error_last(), "different records"));
    assert_int_equal(b.status, AWC_UF_UNKNOWN);
    assert_int_equal(entries(fx->dir, "outbox"), 2);
}

static void failed_rename_leaves_nothing(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:crash", 2);
    awc_uf_state st;
    char id[AWC_UF_ID_MAX];

    rec(0, "one", -1);
    rec(1, "two", -2);
    /* learn the name in another spool, then block it here with a directory */
    assert_int_equal(fx->inv2->ops->send(fx->inv2, &f, &st, ids), 0);
    snprintf(id, sizeof(id), "%s", st.usage_file_id);
    assert_int_equal(mkdir(path_of(fx->dir, "outbox", id, ".csv"), 0700), 0);
    write_file(path_of(fx->dir, "outbox", id, ".csv/in-the-way"), "x");

    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EIO);
    assert_non_null(strstr(awc_error_last(), "rename"));
    assert_non_null(strstr(awc_error_last(), id));
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(temp_files(fx->dir), 0);

    memset(&st, 0x55, sizeof(st));
    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_string_equal(st.usage_file_id, "");

    /* once the way is clear, the re-send completes under the same name */
    rm_tree(path_of(fx->dir, "outbox", id, ".csv"));
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    assert_string_equal(st.usage_file_id, id);
    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_string_equal(st.usage_file_id, id);
    assert_int_equal(temp_files(fx->dir), 0);
}

static void crash_between_index_and_rename(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-2:USD:1", 3);
    awc_uf_state st;
    char id[AWC_UF_ID_MAX], tmp[64], whole[4096];

    rec(0, "one", -1);
    rec(1, "two", -2);
    rec(2, "three", -3);
    assert_int_equal(fx->inv2->ops->send(fx->inv2, &f, &st, ids), 0);
    snprintf(id, sizeof(id), "%s", st.usage_file_id);
    snprintf(whole, sizeof(whole), "%s", slurp(path_of(fx->dir2, "outbox", id, ".csv")));

    /* what a crash after the index and before the rename leaves */
    write_file(path_of(fx->dir, "outbox", id, ".external"), "awscredit:2026-10:R-2:USD:1\n");
    snprintf(tmp, sizeof(tmp), ".%.20s.csv.Ab12Cd", id);
    write_file(path_of(fx->dir, "outbox", tmp, ""), HEADER "UR-half,writ");

    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);

    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    assert_string_equal(st.usage_file_id, id);
    assert_string_equal(slurp(path_of(fx->dir, "outbox", id, ".csv")), whole);
    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(st.records, 3);
}

static void name_taken_by_another_external_id(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-3:USD:1", 1);
    awc_uf_state st;
    char id[AWC_UF_ID_MAX];

    rec(0, "one", -1);
    assert_int_equal(fx->inv2->ops->send(fx->inv2, &f, &st, ids), 0);
    snprintf(id, sizeof(id), "%s", st.usage_file_id);

    write_file(path_of(fx->dir, "outbox", id, ".external"), "someone-else\n");
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    assert_file_id_shape(st.usage_file_id);
    assert_string_not_equal(st.usage_file_id, id);
    assert_string_equal(slurp(path_of(fx->dir, "outbox", id, ".external")), "someone-else\n");

    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_string_not_equal(st.usage_file_id, id);
    assert_int_equal(fx->inv->ops->find(fx->inv, "someone-else", &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
}

static void records_read_back(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:rec", 4);
    awc_uf_state st;
    char back[NREC_MAX][AWC_UF_ID_MAX];
    size_t n = 99;

    rec(0, "one,\"quoted\"\nnote", -1);
    rec(1, "two", -2);
    rec(2, "three", -3);
    rec(3, "four", -4);
    recs[2].record_id = "UR-\"odd\",id";   /* a caller's id that needs quotes */
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    memset(back, 0, sizeof(back));
    assert_int_equal(fx->inv->ops->records(fx->inv, st.usage_file_id, back, NREC_MAX, &n), 0);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(back[i], ids[i]);
    assert_string_equal(back[2], "UR-\"odd\",id");

    /* fewer places than records: refused, not cut short */
    assert_int_equal(fx->inv->ops->records(fx->inv, st.usage_file_id, back, 3, &n),
                     AWC_EOVERFLOW);
    assert_int_equal(n, 0);
    assert_int_equal(fx->inv->ops->records(fx->inv, "UF-2026-10-0000-0001", back, 4, &n),
                     AWC_ENOTFOUND);
    assert_int_equal(fx->inv->ops->records(fx->inv, "UF-../x", back, 4, &n), AWC_EUSAGE);
}

static void acks(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:ack", 2);
    awc_uf_state st;
    char id[AWC_UF_ID_MAX];
    const char *ack;

    rec(0, "one", -1);
    rec(1, "two", -2);
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    snprintf(id, sizeof(id), "%s", st.usage_file_id);
    ack = path_of(fx->dir, "acks", id, ".status");

    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(st.records, 2);

    write_file(ack, "accepted\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, st.usage_file_id, &st), 0); /* id in out */
    assert_int_equal(st.status, AWC_UF_ACCEPTED);
    assert_string_equal(st.note, "");
    assert_string_equal(st.usage_file_id, id);

    write_file(ack, "\xef\xbb\xbf" "closed\r\nInvoice INV-2026-0042\r\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), 0);
    assert_int_equal(st.status, AWC_UF_CLOSED);
    assert_string_equal(st.note, "Invoice INV-2026-0042");

    write_file(ack, "rejected\nunknown asset AS-1000-2000-3000\nsecond line\n\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), 0);
    assert_int_equal(st.status, AWC_UF_REJECTED);
    assert_string_equal(st.note, "unknown asset AS-1000-2000-3000\nsecond line");
    assert_int_equal(st.records, 2);

    /* find() reads the same ack */
    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_REJECTED);

    write_file(ack, "Accepted\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), ack));
    assert_non_null(strstr(awc_error_last(), "Accepted"));
    assert_int_equal(st.status, AWC_UF_UNKNOWN);

    write_file(ack, "");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), ".status"));

    write_file(ack, "ok, accepted\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EBADINPUT);

    /* a long note is cut to the field */
    {
        static char big[3 * AWC_UF_NOTE_MAX];
        memcpy(big, "rejected\n", 9);
        memset(big + 9, 'x', sizeof(big) - 10);
        big[sizeof(big) - 1] = '\0';
        write_file(ack, big);
        assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), 0);
        assert_int_equal(strlen(st.note), AWC_UF_NOTE_MAX - 1);
    }
}

/* An ack is opened without following a link and must be a regular file
 * of ours with one link: a link in acks/ used to make status() quote the
 * first line of whatever file it pointed at.  A bad first line is quoted
 * only as a short excerpt with control and non-ASCII bytes escaped. */
static void ack_links_refused(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:link", 1);
    awc_uf_state st;
    char id[AWC_UF_ID_MAX], secret[512];
    const char *ack, *msg;

    rec(0, "one", -1);
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), 0);
    snprintf(id, sizeof(id), "%s", st.usage_file_id);
    ack = path_of(fx->dir, "acks", id, ".status");
    snprintf(secret, sizeof(secret), "%s/secret.ini", fx->dir);
    write_file(secret, "Db-S3cret-Passw0rd\n[db]\npassword = x\n");

    /* a symbolic link */
    assert_int_equal(symlink(secret, ack), 0);
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EIO);
    msg = awc_error_last();
    assert_non_null(strstr(msg, "symbolic link"));
    assert_non_null(strstr(msg, ".status"));
    assert_null(strstr(msg, "S3cret"));
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), AWC_EIO);
    assert_null(strstr(awc_error_last(), "S3cret"));
    assert_int_equal(unlink(ack), 0);

    /* a hard link */
    assert_int_equal(link(secret, ack), 0);
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EIO);
    assert_non_null(strstr(awc_error_last(), "hard links"));
    assert_null(strstr(awc_error_last(), "S3cret"));
    assert_int_equal(unlink(ack), 0);

    /* a FIFO: refused at once, not waited on */
    assert_int_equal(mkfifo(ack, 0600), 0);
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EIO);
    assert_non_null(strstr(awc_error_last(), "not a regular file"));
    assert_int_equal(unlink(ack), 0);

    /* a file of another user (only root can make one) */
    if (geteuid() == 0) {
        write_file(ack, "accepted\n");
        assert_int_equal(chown(ack, 1, 1), 0);
        assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EIO);
        assert_non_null(strstr(awc_error_last(), "belongs to uid 1"));
        assert_int_equal(unlink(ack), 0);
    }

    /* a link in the outbox is not taken for the usage file */
    {
        char csv[1024], moved[1024];
        snprintf(csv, sizeof(csv), "%s", path_of(fx->dir, "outbox", id, ".csv"));
        snprintf(moved, sizeof(moved), "%s/moved.csv", fx->dir);
        assert_int_equal(rename(csv, moved), 0);
        assert_int_equal(symlink(moved, csv), 0);
        assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), 0);
        assert_int_equal(st.status, AWC_UF_UNKNOWN);
        assert_int_equal(fx->inv->ops->records(fx->inv, id, ids, NREC_MAX, &st.records),
                         AWC_ENOTFOUND);
        assert_int_equal(unlink(csv), 0);
        assert_int_equal(rename(moved, csv), 0);
    }

    /* the ack itself: a bad line is quoted as 32 bytes at most, escaped */
    write_file(ack, "Db-S3cret-Passw0rd-0123456789abcdefghijklmnop\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EBADINPUT);
    msg = awc_error_last();
    assert_non_null(strstr(msg, "got 'Db-S3cret-Passw0rd-0123456789abc...'"));
    assert_null(strstr(msg, "abcd"));
    write_file(ack, "\x1b]0;x\x07\xc3\xa9\\\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "got '\\x1b]0;x\\x07\\xc3\\xa9\\\\'"));
    write_file(ack, "accepted\n");
    assert_int_equal(fx->inv->ops->status(fx->inv, id, &st), 0);
    assert_int_equal(st.status, AWC_UF_ACCEPTED);
}

static void status_of_unknown_and_bad_ids(void **state)
{
    struct fx *fx = *state;
    awc_uf_state st;

    assert_int_equal(fx->inv->ops->status(fx->inv, "UF-2026-10-0000-0001", &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(fx->inv->ops->status(fx->inv, "../../etc/passwd", &st), AWC_EUSAGE);
    assert_int_equal(fx->inv->ops->status(fx->inv, "UF-2026-13-0000-0001", &st), AWC_EUSAGE);
    assert_int_equal(fx->inv->ops->find(fx->inv, "never-sent", &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(fx->inv->ops->find(fx->inv, "", &st), AWC_EUSAGE);
    assert_int_equal(fx->inv->ops->find(fx->inv, "a\nb", &st), AWC_EUSAGE);
}

static void bad_input_writes_nothing(void **state)
{
    struct fx *fx = *state;
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:bad", 2);
    awc_uf_state st;

    rec(0, "one", -1);
    rec(1, "two", -2);
    recs[1].asset_id = "";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "record 2"));
    assert_non_null(strstr(awc_error_last(), "asset_id"));

    recs[1].asset_id = "=HYPERLINK(\"x\")";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EBADINPUT);
    recs[1].asset_id = "AS-1";
    recs[1].currency = "EUR";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EBADINPUT);
    recs[1].currency = "USD";
    recs[1].end_utc = "2026-11-01";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EBADINPUT);
    recs[1].end_utc = "2026-11-01T00:00:00Z";
    f.period = "2026/10";
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EBADINPUT);
    f.period = "2026-10";
    f.n = 0;
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_EBADINPUT);
    assert_int_equal(entries(fx->dir, "outbox"), 0);

    /* out of memory part-way: nothing visible either */
    f.n = 2;
    awc_alloc_fail_after(0);
    assert_int_equal(fx->inv->ops->send(fx->inv, &f, &st, ids), AWC_ENOMEM);
    awc_alloc_fail_after(-1);
    assert_int_equal(fx->inv->ops->find(fx->inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(temp_files(fx->dir), 0);
}

static void open_errors(void **state)
{
    struct fx *fx = *state;
    awc_invoicing_params p;
    awc_invoicing *inv = (awc_invoicing *)&p;
    char path[512];

    memset(&p, 0, sizeof(p));
    assert_int_equal(awc_invoicing_spool_open(&inv, &p), AWC_ECONFIG);
    assert_null(inv);
    assert_non_null(strstr(awc_error_last(), "spool_dir"));
    snprintf(path, sizeof(path), "%s/missing", fx->dir);
    p.spool_dir = path;
    assert_int_equal(awc_invoicing_spool_open(&inv, &p), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), path));
    /* outbox/ in the way as a plain file */
    snprintf(path, sizeof(path), "%s/sub", fx->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(path_of(fx->dir, "sub", "outbox", ""), "x");
    assert_int_equal(awc_invoicing_spool_open(&inv, &p), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "outbox"));
    assert_null(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(csv_byte_for_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(zero_exponent_currency, setup, teardown),
        cmocka_unit_test_setup_teardown(quoting_and_formulas, setup, teardown),
        cmocka_unit_test_setup_teardown(deterministic_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(resend_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_rename_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_between_index_and_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(name_taken_by_another_external_id, setup, teardown),
        cmocka_unit_test_setup_teardown(records_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(acks, setup, teardown),
        cmocka_unit_test_setup_teardown(ack_links_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(status_of_unknown_and_bad_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_input_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(open_errors, setup, teardown),
    };
    return cmocka_run_group_tests_name("invoicing_spool", tests, NULL, NULL);
}
