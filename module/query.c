/* query.c -- awc_filter (the host's strings) to awc_query (the store's
 * parsed filters), with the actor's scope. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "awc.h"
#include "credit_id.h"
#include "date.h"
#include "money.h"
#include "query.h"

/* Does the host's filter struct reach field?  (ABI: structs grow at their
 * end; a reader touches a field only when the size says it is there.) */
#define HAS(f, field) ((f)->size >= offsetof(awc_filter, field) + sizeof((f)->field))

/* The longest value worth sending to the database; longer cannot match a
 * column (VARCHAR(1024) description, 128 for ids). */
#define TEXT_MAX 1024
#define ID_MAX AWC_CODE_MAX

static const struct {
    const char *name;              /* as --sort takes it */
    const char *column;            /* the CSV column, accepted too */
    awc_sort_key key;
} sort_names[] = {
    {"id", "credit_id", AWC_SORT_ID},
    {"period", "period", AWC_SORT_PERIOD},
    {"amount", "amount", AWC_SORT_AMOUNT},
    {"status", "status", AWC_SORT_STATUS},
    {"customer", "customer_id", AWC_SORT_CUSTOMER},
    {"reseller", "reseller_id", AWC_SORT_RESELLER},
    {"account", "usage_account_id", AWC_SORT_ACCOUNT},
    {"updated", "updated_at", AWC_SORT_UPDATED},
    {"type", "credit_type", AWC_SORT_TYPE},
};
#define N_SORT (sizeof(sort_names) / sizeof(sort_names[0]))

const char *awc_sort_name(awc_sort_key k)
{
    for (size_t i = 0; i < N_SORT; i++)
        if (sort_names[i].key == k)
            return sort_names[i].name;
    return "id";
}

/* Quote at most 40 bytes of s in messages. */
#define Q(s) (strlen(s) > 40 ? 40 : (int)strlen(s)), (s), (strlen(s) > 40 ? "..." : "")

/* A text filter: NULL stays NULL; "" is refused (an empty variable in a
 * script must not silently mean "everything"); too long is refused. */
static int text(const char **out, const char *v, const char *opt, size_t max)
{
    *out = NULL;
    if (!v)
        return 0;
    if (!*v)
        return awc_error_set(AWC_EUSAGE, "%s: empty value", opt);
    if (strlen(v) > max)
        return awc_error_set(AWC_EUSAGE, "%s '%.*s%s': longer than %zu bytes", opt, Q(v), max);
    *out = v;
    return 0;
}

/* "ASSIGNED,processed" into a mask of (1 << awc_state). */
static int statuses(unsigned *mask, const char *s)
{
    const char *p = s;

    *mask = 0;
    if (!*s)
        return awc_error_set(AWC_EUSAGE, "--status: empty value");
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char one[32];
        awc_state st;

        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0)
            return awc_error_set(AWC_EUSAGE, "--status '%.*s%s': an empty state in the list",
                                 Q(s));
        if (n < sizeof(one)) {
            memcpy(one, p, n);
            one[n] = '\0';
        }
        if (n >= sizeof(one) || awc_state_parse(&st, one) != 0)
            return awc_error_set(AWC_EUSAGE,
                                 "--status '%.*s%s': unknown state '%.*s' (expected "
                                 "PENDING_ASSIGN, ASSIGNED, PROCESSING or PROCESSED)",
                                 Q(s), n > 32 ? 32 : (int)n, p);
        *mask |= 1u << st;
        if (!end)
            return 0;
        p = end + 1;
    }
}

static int period(const char **out, const char *v, const char *what)
{
    *out = NULL;
    if (!v)
        return 0;
    if (!*v)
        return awc_error_set(AWC_EUSAGE, "--period: the %s is empty", what);
    if (awc_period_check(v) != 0)
        return awc_error_prefix(AWC_EUSAGE, "--period");
    *out = v;
    return 0;
}

static int amount(int *has, awc_amount *out, const char *v, const char *opt)
{
    int rc;

    *has = 0;
    if (!v)
        return 0;
    if (!*v)
        return awc_error_set(AWC_EUSAGE, "%s: empty value", opt);
    if ((rc = awc_money_parse(out, v, strlen(v))) != 0)
        return awc_error_prefix(AWC_EUSAGE, "%s", opt);
    *has = 1;
    return 0;
}

/* An AWS account id: 12 digits. */
static int account(const char **out, const char *v)
{
    size_t n;
    int rc;

    if ((rc = text(out, v, "--account", 64)) != 0 || !v)
        return rc;
    n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            n = 0;
    if (n != AWC_ACCOUNT_LEN)
        return awc_error_set(AWC_EUSAGE, "--account '%.*s%s': expected a 12-digit AWS "
                             "account id", Q(v));
    return 0;
}

/* The credit types (SPEC 5.5; the table in adapters/cur_file.c gives them),
 * any case: the canonical name. */
static const char *const credit_types[] = {
    "MAP", "EDP", "POC", "GRAVITON", "MARKETPLACE", "PARTNER", "SLA", "PROMOTIONAL",
};

static int type(const char **out, const char *v)
{
    int rc;

    if ((rc = text(out, v, "--type", 32)) != 0 || !v)
        return rc;
    for (size_t i = 0; i < sizeof(credit_types) / sizeof(credit_types[0]); i++)
        if (strcasecmp(v, credit_types[i]) == 0) {
            *out = credit_types[i];
            return 0;
        }
    return awc_error_set(AWC_EUSAGE, "--type '%.*s%s': unknown credit type (expected MAP, EDP, "
                         "POC, GRAVITON, MARKETPLACE, PARTNER, SLA or PROMOTIONAL)", Q(v));
}

static int sort(awc_query *q, const char *v)
{
    const char *name = v;

    q->sort = AWC_SORT_ID;
    q->descending = 0;
    if (!v)
        return 0;
    if (*name == '-') {
        q->descending = 1;
        name++;
    } else if (*name == '+') {
        name++;
    }
    for (size_t i = 0; i < N_SORT; i++) {
        if (strcasecmp(name, sort_names[i].name) == 0 ||
            strcasecmp(name, sort_names[i].column) == 0) {
            q->sort = sort_names[i].key;
            return 0;
        }
    }
    return awc_error_set(AWC_EUSAGE, "--sort '%.*s%s': unknown column (expected id, period, "
                         "amount, status, customer, reseller, account, updated or type; "
                         "'-' in front for descending)", Q(v));
}

int awc_query_from_filter(awc_query *out, const awc_filter *f, const awc_actor *a,
                          const char *prefix)
{
    awc_query *q = out;
    int rc;

    memset(q, 0, sizeof(*q));
    if (!f || f->size < offsetof(awc_filter, status))
        return awc_error_set(AWC_EUSAGE, "filter: missing or too small (size %zu)",
                             f ? f->size : (size_t)0);

    if (HAS(f, status) && f->status && (rc = statuses(&q->status_mask, f->status)) != 0)
        return rc;
    if (HAS(f, period_from) && (rc = period(&q->period_from, f->period_from, "start")) != 0)
        return rc;
    if (HAS(f, period_to) && (rc = period(&q->period_to, f->period_to, "end")) != 0)
        return rc;
    if (q->period_from && q->period_to && strcmp(q->period_from, q->period_to) > 0)
        return awc_error_set(AWC_EUSAGE, "--period %s..%s: the range ends before it starts",
                             q->period_from, q->period_to);
    if ((HAS(f, customer) && (rc = text(&q->customer, f->customer, "--customer", ID_MAX))) ||
        (HAS(f, reseller) && (rc = text(&q->reseller, f->reseller, "--reseller", ID_MAX))) ||
        (HAS(f, asset) && (rc = text(&q->asset, f->asset, "--asset", ID_MAX))) ||
        (HAS(f, account) && (rc = account(&q->account, f->account))) ||
        (HAS(f, description) &&
         (rc = text(&q->description, f->description, "--description", TEXT_MAX))) ||
        (HAS(f, type) && (rc = type(&q->type, f->type))) ||
        (HAS(f, rule) && (rc = text(&q->rule, f->rule, "--rule", 64))))
        return rc;
    if (HAS(f, currency) && f->currency) {
        const char *v = f->currency;
        if (strlen(v) != 3 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
            return awc_error_set(AWC_EUSAGE, "--currency '%.*s%s': expected a currency code "
                                 "of three capital letters (e.g. USD, EUR, JPY)", Q(v));
        q->currency = v;
    }
    if (HAS(f, credit_id) && f->credit_id) {
        if (!*f->credit_id)
            return awc_error_set(AWC_EUSAGE, "--credit-id: empty value");
        if ((rc = awc_credit_id_parse(&q->seq, f->credit_id, prefix)) != 0)
            return awc_error_prefix(rc == AWC_EBADINPUT ? AWC_EUSAGE : rc, "--credit-id");
    }
    if ((HAS(f, min_amount) &&
         (rc = amount(&q->has_min, &q->min_amount, f->min_amount, "--min-amount"))) ||
        (HAS(f, max_amount) &&
         (rc = amount(&q->has_max, &q->max_amount, f->max_amount, "--max-amount"))))
        return rc;
    if (q->has_min && q->has_max && q->min_amount > q->max_amount)
        return awc_error_set(AWC_EUSAGE, "--min-amount %s is above --max-amount %s: "
                             "nothing can match (credits are negative: --min-amount -100 "
                             "--max-amount -10 means 10 to 100 back)", f->min_amount,
                             f->max_amount);
    q->flag = HAS(f, unmapped) && f->unmapped ? AWC_FLAG_UNMAPPED : AWC_FLAG_NONE;
    if (HAS(f, held) && f->held)
        q->flag = AWC_FLAG_HELD;
    if (HAS(f, excluded) && f->excluded)
        q->flag = AWC_FLAG_EXCLUDED;
    if ((HAS(f, unmapped) && f->unmapped) + (HAS(f, held) && f->held) +
            (HAS(f, excluded) && f->excluded) > 1)
        return awc_error_set(AWC_EUSAGE, "--unmapped, --held and --excluded: give one of them");
    if (HAS(f, sort) && (rc = sort(q, f->sort)) != 0)
        return rc;
    if (HAS(f, limit)) {
        if (f->limit < 0)
            return awc_error_set(AWC_EUSAGE, "--limit %lld: expected a whole number >= 0",
                                 (long long)f->limit);
        q->limit = f->limit;
    }
    if (HAS(f, offset)) {
        if (f->offset < 0)
            return awc_error_set(AWC_EUSAGE, "--offset %lld: expected a whole number >= 0",
                                 (long long)f->offset);
        q->offset = f->offset;
    }

    /* Scope (SPEC 13): a reseller sees its own credits only.  A reseller
     * actor without a reseller id sees nothing ("" matches no credit). */
    if (a && a->role == AWC_ROLE_RESELLER)
        q->scope_reseller = a->reseller_id ? a->reseller_id : "";
    return 0;
}

int awc_row_split_amount(char *buf, size_t n, const awc_credit_row *r, int64_t minor)
{
    int e = awc_currency_exponent(r->c.currency), rc;
    awc_amount a;

    if (n)
        buf[0] = '\0';
    if (!r->has_splits)
        return 0;
    if (e < 0)
        return awc_error_set(AWC_EBADINPUT, "credit %llu: currency '%s' has no known minor "
                             "unit", (unsigned long long)r->c.seq, r->c.currency);
    if ((rc = awc_money_from_minor(&a, minor, e)) != 0)
        return rc;
    return awc_money_format(buf, n, a);
}

void awc_row_time_iso(char out[21], const char *stored)
{
    size_t n = strlen(stored);

    if (n < 19) {
        snprintf(out, 21, "%s", stored);
        return;
    }
    memcpy(out, stored, 10);
    out[10] = 'T';
    memcpy(out + 11, stored + 11, 8);
    out[19] = 'Z';
    out[20] = '\0';
}

/* credits_totals callback: the currencies seen, "EUR, USD". */
static int note_currency(void *arg, const char *currency, int64_t count, const char *sum)
{
    char *seen = arg;
    size_t n = strlen(seen);

    (void)count;
    (void)sum;
    if (n + 6 < 64)
        snprintf(seen + n, 64 - n, "%s%s", n ? ", " : "", currency);
    return 0;
}

int awc_query_amounts_check(awc_store *st, const awc_query *q)
{
    awc_query scope = *q;
    char seen[64] = "";
    int rc;

    if ((!q->has_min && !q->has_max) || q->currency || !st->ops->credits_totals)
        return 0;
    scope.has_min = scope.has_max = 0;
    if ((rc = st->ops->credits_totals(st, &scope, note_currency, seen)) != 0)
        return rc;
    if (strchr(seen, ','))
        return awc_error_set(AWC_EUSAGE, "%s compares amounts of one currency, and the credits "
                             "these filters select are in %s: add --currency",
                             q->has_min ? "--min-amount" : "--max-amount", seen);
    return 0;
}
