/*
 * rules_csv.c -- rules CSV import and export (RFC 4180).
 *
 * The reader is a small state machine over the buffer that remembers the
 * line each cell starts on, so every message can say "NAME:LINE: COLUMN:".
 * Each record becomes one awc_rule; awc_rule_check() then names the
 * column of anything wrong, and duplicate ids are found at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "rule.h"
#include "wbuf.h"
#include "rules_csv.h"
#include "split.h"

#define QUOTE_MAX 40

static const char *const columns[AWC_RULES_CSV_COLUMNS] = {
    "id", "name", "created", "match", "description", "period_from", "period_to",
    "customers_mode", "customers", "resellers_mode", "resellers", "services_mode", "services",
    "types", "accounts", "customer_percent", "reseller_percent", "parties"
};

enum {
    C_ID, C_NAME, C_CREATED, C_MATCH, C_DESC, C_FROM, C_TO, C_CMODE, C_CUST, C_RMODE, C_RES,
    C_SMODE, C_SVC, C_TYPES, C_ACCTS, C_CPCT, C_RPCT, C_PARTIES
};

/* --- the reader --------------------------------------------------------------------- */

typedef struct cell {
    size_t off, len;              /* into reader.buf */
    long line;
} cell;

typedef struct reader {
    const char *p, *end, *name;
    long line;
    char *buf;                    /* unquoted cells of the current record */
    size_t blen, bcap;
    cell cells[AWC_RULES_CSV_COLUMNS + 1];
    size_t ncells;                /* may exceed the array: counted, not stored */
    long rec_line;
    int first_quoted;             /* the record's first cell was quoted */
} reader;

/* c is a byte of set (never the terminating NUL). */
static int in_set(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

static const char *col_name(size_t i)
{
    return i < AWC_RULES_CSV_COLUMNS ? columns[i] : "extra column";
}

static int bad(const reader *rd, long line, const char *col, const char *what)
{
    char text[AWC_ERRMSG_MAX];
    snprintf(text, sizeof(text), "%s:%ld: %s: %s", rd->name, line, col, what);
    return awc_error_set(AWC_EBADINPUT, "%s", text);
}

static int put(reader *rd, char c)
{
    char *b = awc_grow(rd->buf, &rd->bcap, rd->blen, 1, 256);

    if (!b)
        return AWC_ENOMEM;
    rd->buf = b;
    rd->buf[rd->blen++] = c;
    return 0;
}

/* Next record into rd->cells: 1 = got one, 0 = end of input, < 0 = error. */
static int next_record(reader *rd)
{
    int rc;

    for (;;) {
        if (rd->p >= rd->end)
            return 0;
        rd->blen = 0;
        rd->ncells = 0;
        rd->rec_line = rd->line;
        rd->first_quoted = 0;
        for (;;) {
            cell c = { rd->blen, 0, rd->line };
            size_t idx = rd->ncells;
            if (rd->p < rd->end && *rd->p == '"') {
                rd->first_quoted |= idx == 0;
                rd->p++;
                for (;;) {
                    if (rd->p >= rd->end)
                        return bad(rd, c.line, col_name(idx), "quoted cell is not closed");
                    if (*rd->p == '"') {
                        if (rd->p + 1 < rd->end && rd->p[1] == '"') {
                            rd->p += 2;
                            if ((rc = put(rd, '"')))
                                return rc;
                            continue;
                        }
                        rd->p++;
                        break;
                    }
                    if (*rd->p == '\n')
                        rd->line++;
                    if ((rc = put(rd, *rd->p++)))
                        return rc;
                }
                if (rd->p < rd->end && *rd->p != ',' && *rd->p != '\r' && *rd->p != '\n')
                    return bad(rd, rd->line, col_name(idx), "text after a closing quote");
            } else {
                while (rd->p < rd->end && *rd->p != ',' && *rd->p != '\r' && *rd->p != '\n') {
                    if (*rd->p == '"')
                        return bad(rd, rd->line, col_name(idx),
                                   "quote inside an unquoted cell (quote the whole cell and "
                                   "write each quote twice)");
                    if ((rc = put(rd, *rd->p++)))
                        return rc;
                }
            }
            c.len = rd->blen - c.off;
            if (idx < AWC_RULES_CSV_COLUMNS + 1)
                rd->cells[idx] = c;
            rd->ncells++;
            if (rd->p < rd->end && *rd->p == ',') {
                rd->p++;
                continue;
            }
            break;
        }
        /* end of record */
        if (rd->p < rd->end && *rd->p == '\r') {
            rd->p++;
            if (rd->p >= rd->end || *rd->p != '\n')
                return bad(rd, rd->line, col_name(rd->ncells - 1),
                           "carriage return without a line feed");
        }
        if (rd->p < rd->end && *rd->p == '\n') {
            rd->p++;
            rd->line++;
        }
        if (rd->ncells == 1 && rd->cells[0].len == 0 && !rd->first_quoted)
            continue;             /* a blank line */
        return 1;
    }
}

/* --- cells to a rule ---------------------------------------------------------------- */

static const char *cell_ptr(const reader *rd, size_t i)
{
    /* no buffer yet when every cell so far was empty */
    return rd->buf ? rd->buf + rd->cells[i].off : "";
}

/* Cell i as a new string; blanks trimmed when trim; formula guard removed
 * when unguard. */
static int cell_dup(char **out, const reader *rd, size_t i, int trim, int unguard)
{
    const char *s = cell_ptr(rd, i);
    size_t len = rd->cells[i].len;

    if (unguard && len >= 2 && s[0] == '\'' && in_set(s[1], "=+-@'\t\r"))
        s++, len--;
    if (trim) {
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        while (len > 0 && (*s == ' ' || *s == '\t'))
            s++, len--;
    }
    *out = awc_strndup(s, len);
    return *out ? 0 : awc_error_set(AWC_ENOMEM, "out of memory");
}

static int has_nul(const reader *rd, size_t i)
{
    return memchr(cell_ptr(rd, i), '\0', rd->cells[i].len) != NULL;
}

static int read_mode(awc_ctx *c, const reader *rd, size_t mode_col, size_t list_col)
{
    int rc;
    if (rd->cells[mode_col].len == 0)
        c->mode = AWC_CTX_ALL;
    else if (awc_ctx_mode_parse(&c->mode, cell_ptr(rd, mode_col), rd->cells[mode_col].len))
        return bad(rd, rd->cells[mode_col].line, columns[mode_col],
                   "must be all, only or except");
    rc = awc_rule_list_parse(&c->items, &c->n, cell_ptr(rd, list_col), rd->cells[list_col].len);
    if (rc == AWC_EBADINPUT)
        return bad(rd, rd->cells[list_col].line, columns[list_col], awc_error_last());
    return rc;
}

static int add_target(awc_rule *r, const reader *rd, size_t col, awc_target_kind kind,
                      const char *party, size_t plen, const char *pct, size_t len)
{
    awc_split_target *t;
    int32_t bp;
    if (r->n_split >= AWC_RULE_TARGETS)
        return bad(rd, rd->cells[col].line, columns[col], "more than 8 split targets");
    if (awc_percent_parse(&bp, pct, len))
        return bad(rd, rd->cells[col].line, columns[col], awc_error_last());
    if (plen > AWC_RULE_ID_MAX)
        return bad(rd, rd->cells[col].line, columns[col], "party id longer than 64");
    t = &r->split[r->n_split++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->bp = bp;
    if (party)
        memcpy(t->party_id, party, plen);
    return 0;
}

static int read_parties(awc_rule *r, const reader *rd)
{
    const char *s = cell_ptr(rd, C_PARTIES), *end = s + rd->cells[C_PARTIES].len;
    int rc;

    while (s < end) {
        const char *tok, *eq;
        while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
            s++;
        if (s == end)
            break;
        tok = s;
        while (s < end && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            s++;
        eq = memchr(tok, '=', (size_t)(s - tok));
        if (!eq || eq == tok) {
            char what[96];
            snprintf(what, sizeof(what), "'%.*s' is not ID=PERCENT, e.g. P-1=12.5",
                     (int)(s - tok > QUOTE_MAX ? QUOTE_MAX : s - tok), tok);
            return bad(rd, rd->cells[C_PARTIES].line, columns[C_PARTIES], what);
        }
        if ((rc = add_target(r, rd, C_PARTIES, AWC_TARGET_PARTY, tok, (size_t)(eq - tok), eq + 1,
                             (size_t)(s - eq - 1))))
            return rc;
    }
    return 0;
}

static int read_period(char out[8], const reader *rd, size_t col)
{
    size_t len = rd->cells[col].len;
    if (len == 0)
        return 0;
    if (!awc_rule_period_valid(cell_ptr(rd, col), len))
        return bad(rd, rd->cells[col].line, columns[col], "expected YYYY-MM or empty");
    memcpy(out, cell_ptr(rd, col), 7);
    out[7] = '\0';
    return 0;
}

static int to_rule(awc_rule *r, const reader *rd)
{
    const char *field = NULL;
    int rc;

    for (size_t i = 0; i < AWC_RULES_CSV_COLUMNS; i++)
        if (has_nul(rd, i))
            return bad(rd, rd->cells[i].line, columns[i], "contains a NUL byte");
    if (rd->cells[C_ID].len == 0 || rd->cells[C_ID].len > AWC_RULE_ID_MAX)
        return bad(rd, rd->cells[C_ID].line, "id", "must be 1..64 characters");
    memcpy(r->id, cell_ptr(rd, C_ID), rd->cells[C_ID].len);
    r->id[rd->cells[C_ID].len] = '\0';
    if ((rc = cell_dup(&r->name, rd, C_NAME, 0, 1)))
        return rc;
    if (awc_rule_created_parse(&r->created, cell_ptr(rd, C_CREATED), rd->cells[C_CREATED].len))
        return bad(rd, rd->cells[C_CREATED].line, "created", awc_error_last());
    if (rd->cells[C_MATCH].len == 0)
        r->match = AWC_MATCH_ANY;
    else if (awc_match_kind_parse(&r->match, cell_ptr(rd, C_MATCH), rd->cells[C_MATCH].len))
        return bad(rd, rd->cells[C_MATCH].line, "match",
                   "must be any, exact, contains, prefix or regex");
    if ((rc = cell_dup(&r->match_text, rd, C_DESC, 1, 1)))
        return rc;
    if (r->match_text[0] == '\0')
        r->match = AWC_MATCH_ANY;     /* a blank description matches any */
    if ((rc = read_period(r->period_from, rd, C_FROM)) || (rc = read_period(r->period_to, rd, C_TO)))
        return rc;
    if ((rc = read_mode(&r->customers, rd, C_CMODE, C_CUST)) ||
        (rc = read_mode(&r->resellers, rd, C_RMODE, C_RES)) ||
        (rc = read_mode(&r->services, rd, C_SMODE, C_SVC)))
        return rc;
    rc = awc_rule_list_parse(&r->types, &r->n_types, cell_ptr(rd, C_TYPES), rd->cells[C_TYPES].len);
    if (rc)
        return rc == AWC_EBADINPUT ? bad(rd, rd->cells[C_TYPES].line, "types", awc_error_last())
                                   : rc;
    rc = awc_rule_list_parse(&r->accounts, &r->n_accounts, cell_ptr(rd, C_ACCTS),
                             rd->cells[C_ACCTS].len);
    if (rc)
        return rc == AWC_EBADINPUT ? bad(rd, rd->cells[C_ACCTS].line, "accounts",
                                         awc_error_last())
                                   : rc;
    if (rd->cells[C_CPCT].len &&
        (rc = add_target(r, rd, C_CPCT, AWC_TARGET_CUSTOMER, NULL, 0, cell_ptr(rd, C_CPCT),
                         rd->cells[C_CPCT].len)))
        return rc;
    if (rd->cells[C_RPCT].len &&
        (rc = add_target(r, rd, C_RPCT, AWC_TARGET_RESELLER, NULL, 0, cell_ptr(rd, C_RPCT),
                         rd->cells[C_RPCT].len)))
        return rc;
    if ((rc = read_parties(r, rd)))
        return rc;
    if ((rc = awc_rule_check(r, &field))) {
        size_t i;
        for (i = 0; i < AWC_RULES_CSV_COLUMNS; i++)
            if (field && strcmp(columns[i], field) == 0)
                break;
        const char *msg = awc_error_last();
        size_t cl;
        if (i == AWC_RULES_CSV_COLUMNS)
            i = C_ID;
        /* "customers: customers: ..." reads badly: drop the repeated name */
        cl = strlen(columns[i]);
        if (strncmp(msg, columns[i], cl) == 0 && msg[cl] == ':' && msg[cl + 1] == ' ')
            msg += cl + 2;
        return bad(rd, rd->cells[i].line, columns[i], msg);
    }
    return 0;
}

static int check_header(const reader *rd)
{
    char what[320];
    size_t start = 0;

    /* a UTF-8 byte order mark before the first name */
    if (rd->cells[0].len >= 3 && memcmp(cell_ptr(rd, 0), "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    for (size_t i = 0; i < rd->ncells && i < AWC_RULES_CSV_COLUMNS; i++) {
        size_t skip = i == 0 ? start : 0, len = rd->cells[i].len - skip;
        if (len != strlen(columns[i]) || memcmp(cell_ptr(rd, i) + skip, columns[i], len) != 0) {
            snprintf(what, sizeof(what), "column %zu is '%.*s', expected '%s'", i + 1,
                     (int)(len > QUOTE_MAX ? QUOTE_MAX : len), cell_ptr(rd, i) + skip,
                     columns[i]);
            return bad(rd, rd->cells[i].line, "header", what);
        }
    }
    if (rd->ncells != AWC_RULES_CSV_COLUMNS) {
        snprintf(what, sizeof(what), "%zu columns, expected %d: %s", rd->ncells,
                 AWC_RULES_CSV_COLUMNS, AWC_RULES_CSV_HEADER);
        return bad(rd, rd->rec_line, "header", what);
    }
    return 0;
}

typedef struct idline {
    const char *id;
    long line;
} idline;

static int cmp_idline(const void *a, const void *b)
{
    const idline *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

int awc_rules_csv_parse(const char *buf, size_t len, const char *name, awc_rule **out,
                        size_t *n)
{
    reader rd;
    awc_rule *rules = NULL;
    idline *ids = NULL;
    size_t count = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    memset(&rd, 0, sizeof(rd));
    rd.name = name ? name : "<input>";
    if (len > AWC_RULES_CSV_MAX_BYTES)
        return awc_error_set(AWC_EBADINPUT, "%s: %zu bytes, more than the %zu a rules file may "
                             "have", rd.name, len, AWC_RULES_CSV_MAX_BYTES);
    rd.p = buf ? buf : "", rd.end = rd.p + (buf ? len : 0), rd.line = 1;

    rc = next_record(&rd);
    if (rc == 0)
        rc = bad(&rd, 1, "header", "missing (the file is empty)");
    if (rc < 0 || (rc = check_header(&rd)))
        goto out;
    while ((rc = next_record(&rd)) == 1) {
        char what[64];
        if (rd.ncells != AWC_RULES_CSV_COLUMNS) {
            snprintf(what, sizeof(what), "%zu columns, expected %d", rd.ncells,
                     AWC_RULES_CSV_COLUMNS);
            rc = bad(&rd, rd.rec_line, "record", what);
            goto out;
        }
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            awc_rule *nr = awc_realloc(rules, ncap * sizeof(*rules));
            idline *ni;
            if (!nr) {
                rc = awc_error_set(AWC_ENOMEM, "out of memory");
                goto out;
            }
            rules = nr;
            ni = awc_realloc(ids, ncap * sizeof(*ids));
            if (!ni) {
                rc = awc_error_set(AWC_ENOMEM, "out of memory");
                goto out;
            }
            ids = ni;
            cap = ncap;
        }
        memset(&rules[count], 0, sizeof(*rules));
        count++;
        if ((rc = to_rule(&rules[count - 1], &rd)))
            goto out;
        ids[count - 1].line = rd.cells[C_ID].line;
    }
    if (rc < 0)
        goto out;
    rc = 0;
    for (size_t i = 0; i < count; i++)
        ids[i].id = rules[i].id;
    if (count)
        qsort(ids, count, sizeof(*ids), cmp_idline);
    for (size_t i = 1; i < count; i++)
        if (strcmp(ids[i - 1].id, ids[i].id) == 0) {
            char what[160];
            snprintf(what, sizeof(what), "duplicate rule id '%s' (first on line %ld)", ids[i].id,
                     ids[i - 1].line);
            rc = bad(&rd, ids[i].line, "id", what);
            goto out;
        }
out:
    awc_free(rd.buf);
    awc_free(ids);
    if (rc) {
        awc_rules_free(rules, count);
        return rc;
    }
    *out = rules;
    *n = count;
    return 0;
}

/* --- export ------------------------------------------------------------------------- */

/* One cell: quoted when it holds , " CR or LF; guarded against formulas
 * when guard (see rules_csv.h). */
static void w_cell(awc_wbuf *w, const char *s, int guard, int last)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        awc_wbuf_str(w, "\"");
    if (guard && (in_set(s[0], "=+-@\t\r") || (s[0] == '\'' && in_set(s[1], "=+-@'\t\r"))))
        awc_wbuf_str(w, "'");
    for (; *s; s++) {
        if (*s == '"')
            awc_wbuf_str(w, "\"");
        awc_wbuf_put(w, s, 1);
    }
    if (quote)
        awc_wbuf_str(w, "\"");
    awc_wbuf_str(w, last ? "\r\n" : ",");
}

static void w_list_cell(awc_wbuf *w, char *const *items, size_t n)
{
    /* ids hold no blank, comma or quote issue that needs more than w_cell */
    size_t len = 0;
    char *s, *p;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    s = awc_malloc(len + 1);
    if (!s) {
        w->failed = -1;
        return;
    }
    p = s;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        if (i)
            *p++ = ' ';
        memcpy(p, items[i], l);
        p += l;
    }
    *p = '\0';
    w_cell(w, s, 0, 0);
    awc_free(s);
}

static void w_rule(awc_wbuf *w, const awc_rule *r)
{
    char created[AWC_RULE_CREATED_LEN + 1], pct[16], cpct[16] = "", rpct[16] = "";
    char parties[AWC_RULE_TARGETS * (AWC_RULE_ID_MAX + 10) + 1] = "";
    size_t plen = 0;

    (void)awc_rule_created_format(created, sizeof(created), r->created);
    w_cell(w, r->id, 0, 0);
    w_cell(w, r->name ? r->name : "", 1, 0);
    w_cell(w, created, 0, 0);
    w_cell(w, awc_match_kind_name(r->match), 0, 0);
    w_cell(w, r->match_text ? r->match_text : "", 1, 0);
    w_cell(w, r->period_from, 0, 0);
    w_cell(w, r->period_to, 0, 0);
    w_cell(w, awc_ctx_mode_name(r->customers.mode), 0, 0);
    w_list_cell(w, r->customers.items, r->customers.n);
    w_cell(w, awc_ctx_mode_name(r->resellers.mode), 0, 0);
    w_list_cell(w, r->resellers.items, r->resellers.n);
    w_cell(w, awc_ctx_mode_name(r->services.mode), 0, 0);
    w_list_cell(w, r->services.items, r->services.n);
    w_list_cell(w, r->types, r->n_types);
    w_list_cell(w, r->accounts, r->n_accounts);
    for (size_t i = 0; i < r->n_split; i++) {
        const awc_split_target *t = &r->split[i];
        awc_percent_format(pct, sizeof(pct), t->bp);
        if (t->kind == AWC_TARGET_CUSTOMER)
            memcpy(cpct, pct, sizeof(pct));
        else if (t->kind == AWC_TARGET_RESELLER)
            memcpy(rpct, pct, sizeof(pct));
        else
            plen += (size_t)snprintf(parties + plen, sizeof(parties) - plen, "%s%s=%s",
                                     plen ? " " : "", t->party_id, pct);
    }
    w_cell(w, cpct, 0, 0);
    w_cell(w, rpct, 0, 0);
    w_cell(w, parties, 0, 1);
}

int awc_rules_csv_write(const awc_rule *rules, size_t n, awc_rules_write_fn write, void *ctx)
{
    awc_wbuf *w;
    int failed;

    for (size_t i = 0; i < n; i++)
        if (awc_rule_check(&rules[i], NULL))
            return awc_error_prefix(AWC_EBADINPUT, "rule '%.*s'", AWC_RULE_ID_MAX, rules[i].id);
    w = awc_malloc(sizeof(*w));
    if (!w)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    w->fn = write, w->ctx = ctx, w->failed = 0, w->len = 0;
    awc_wbuf_str(w, AWC_RULES_CSV_HEADER "\r\n");
    for (size_t i = 0; i < n && !w->failed; i++)
        w_rule(w, &rules[i]);
    awc_wbuf_flush(w);
    failed = w->failed;
    awc_free(w);
    if (failed < 0)
        return awc_error_set(AWC_ENOMEM, "out of memory writing the rules CSV");
    return failed ? awc_error_set(AWC_EIO, "writing the rules CSV failed") : 0;
}
