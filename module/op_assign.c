/* op_assign.c -- `assign --period P`: every PENDING_ASSIGN credit of P gets
 * its rule's split, or the default configuration, or stays pending flagged
 * unmapped when its account has no owner.  One unit of work, in chunks.
 *
 * The chunks go through a two-stage pipeline: while the store writes chunk
 * k, a helper thread works out chunk k+1 (rule, split lines, note, JSON)
 * and has the store write its rows in the store's own form (assign_stage,
 * which reads nothing of the store's).  The helper touches only its own
 * slot, the rules and the owners map (both read-only by then) and the
 * counts (which nothing else reads until the end); every other store call
 * and every host callback stays on the calling thread. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "assign.h"
#include "date.h"
#include "mod.h"
#include "out.h"
#include "owners.h"
#include "ruleload.h"

#define CHUNK 1000                /* no more than the store stages at once (1,000) */
#define CURRENCIES 200            /* more than ISO 4217 has */
#define TEXT_MAX (sizeof(((awc_pending *)0)->product_code) + \
                  sizeof(((awc_pending *)0)->description))

typedef struct item {
    awc_split_line lines[AWC_SPEC_MAX + 1];
    char owner_account[AWC_ACCOUNT_LEN + 1];
    char note[160];
    char detail[4096];             /* up to 9 lines of JSON, each under 400 bytes */
} item;

/* A pending credit as read, its two long strings in the slot's text. */
typedef struct input {
    uint64_t seq;
    int64_t version;
    int unmapped;
    char usage_account[AWC_ACCOUNT_LEN + 1], owner_account[AWC_ACCOUNT_LEN + 1];
    char currency[4], credit_type[33];
    awc_amount amount;
    size_t product_at, desc_at;
} input;

/* One chunk: its inputs, then the assignments worked out from them. */
typedef struct slot {
    input in[CHUNK];
    size_t nin;
    char *text;                    /* CHUNK * TEXT_MAX bytes */
    size_t text_at;
    awc_assignment a[CHUNK];
    item items[CHUNK];
    size_t n;                      /* assignments to apply */
    awc_stage *stage;              /* NULL, or the store's rows of a[0..n) */
    int rc;                        /* of working it out; err is its message */
    char err[AWC_ERRMSG_MAX];
} slot;

typedef struct cur_total {
    char currency[4];
    int exponent;
    size_t credits;
    int64_t assigned, retained;
} cur_total;

typedef struct run {
    awc_module *m;
    const awc_call *c;
    const char *period;
    awc_store *st;
    char first_day[11];
    awc_ruleset *rs;
    awc_owners *owners;
    awc_split_spec def;
    int have_default;
    slot *slots[2];
    int fill;                      /* the slot taking inputs */
    int ready;                     /* the other slot holds a chunk to apply */
    size_t applied;                /* credits behind the applied chunks (progress) */
    /* results, reset on every attempt; written by the chunk being worked out */
    size_t seen, by_rule, by_default, flagged, still_unmapped, no_rule;
    cur_total tot[CURRENCIES];
    size_t ntot;
} run;

static void reset(run *r)
{
    r->seen = r->by_rule = r->by_default = r->flagged = r->still_unmapped = r->no_rule = 0;
    r->ntot = 0;
    r->fill = r->ready = 0;
    r->applied = 0;
    r->slots[0]->nin = r->slots[1]->nin = 0;
    r->slots[0]->text_at = r->slots[1]->text_at = 0;
}

static void add_total(run *r, const char *currency, int e, const awc_split_line *l, size_t n)
{
    cur_total *t = NULL;
    for (size_t i = 0; i < r->ntot; i++)
        if (strcmp(r->tot[i].currency, currency) == 0)
            t = &r->tot[i];
    if (!t && r->ntot < CURRENCIES) {
        t = &r->tot[r->ntot++];
        memset(t, 0, sizeof(*t));
        memcpy(t->currency, currency, 4);
        t->exponent = e;
    }
    if (!t)
        return;
    t->credits++;
    for (size_t i = 0; i < n; i++) {
        if (l[i].kind == AWC_SPLIT_RETAINED)
            t->retained += l[i].amount_minor;
        else
            t->assigned += l[i].amount_minor;
    }
}

/* s (NUL-terminated, shorter than cap) into dst[cap]. */
static void copy_in(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* ---- working a chunk out (the helper thread) ------------------------------------- */

/* The assignment of one pending credit into the slot, or none (left as it
 * is: still unmapped, or no rule and no default). */
static int work_out(run *r, slot *s, const input *p)
{
    item *it = &s->items[s->n];
    awc_assignment *a = &s->a[s->n];
    const char *account = p->owner_account[0] ? p->owner_account : p->usage_account;
    const char *description = s->text + p->desc_at;
    const awc_rule *rule = NULL;
    awc_split_spec spec;
    awc_owner owner;
    int64_t total;
    size_t nlines = 0;
    int e, rc;

    r->seen++;
    memset(a, 0, sizeof(*a));
    memcpy(it->owner_account, p->owner_account, sizeof(it->owner_account));
    a->seq = p->seq;
    a->expect_version = p->version;
    a->from = AWC_PENDING_ASSIGN;
    a->owner_account_id = it->owner_account[0] ? it->owner_account : NULL;
    if (!awc_owners_find(r->owners, account, &owner)) {
        if (p->unmapped) {
            r->still_unmapped++;
            return 0;
        }
        snprintf(it->note, sizeof(it->note), "no owner for account %s on %s", account,
                 r->first_day);
        a->to = AWC_PENDING_ASSIGN;
        a->kind = AWC_EV_FLAG;
        a->unmapped = 1;
        a->note = it->note;
        r->flagged++;
        s->n++;
        return 0;
    }
    awc_rule_input in = { description, r->period, owner.customer_id, owner.reseller_id,
                          s->text + p->product_at, p->credit_type, account };
    rule = r->rs ? awc_ruleset_choose(r->rs, &in) : NULL;
    if (rule)
        awc_splitspec_from_rule(&spec, rule);
    else if (r->have_default)
        spec = r->def;
    else {
        r->no_rule++;
        return 0;
    }
    if ((rc = awc_invoiceable(&total, &e, p->amount, p->currency)) != 0 ||
        (rc = awc_assign_lines(it->lines, AWC_SPEC_MAX + 1, &nlines, total, &spec, &owner)) != 0)
        return awc_error_prefix(rc, "credit %llu", (unsigned long long)p->seq);
    a->to = AWC_ASSIGNED;
    a->kind = AWC_EV_ASSIGN;
    a->customer_id = owner.customer_id;
    a->asset_id = owner.asset_id;
    a->reseller_id = owner.reseller_id;
    a->rule_id = rule ? rule->id : "default";
    a->lines = it->lines;
    a->nlines = nlines;
    snprintf(it->note, sizeof(it->note), rule ? "rule %s" : "default configuration %s",
             rule ? rule->id : r->m->cfg.assign.default_split);
    a->note = it->note;
    awc_lines_json(it->detail, sizeof(it->detail), it->lines, nlines);
    a->detail = it->detail;
    add_total(r, p->currency, e, it->lines, nlines);
    if (rule)
        r->by_rule++;
    else
        r->by_default++;
    s->n++;
    return 0;
}

typedef struct job {
    run *r;
    slot *s;
} job;

/* Every input of the slot; the outcome and its message stay in the slot,
 * since messages are per thread. */
static void *work_chunk(void *arg)
{
    job *j = arg;
    slot *s = j->s;

    s->n = 0;
    s->rc = 0;
    for (size_t i = 0; i < s->nin && s->rc == 0; i++)
        s->rc = work_out(j->r, s, &s->in[i]);
    if (s->rc != 0)
        awc_error_copy(s->rc, s->err, sizeof(s->err));
    else if (s->stage) /* the store's rows too, off the thread that sends them */
        j->r->st->ops->assign_stage(j->r->st, s->stage, s->a, s->n, j->r->c->actor);
    return NULL;
}

/* ---- the pipeline (the calling thread) ------------------------------------------ */

static int apply(run *r, awc_store *st, slot *s)
{
    int rc = s->n ? st->ops->assign_apply(st, s->a, s->n, r->c->actor, s->stage) : 0;
    r->applied += s->nin;
    if (rc == 0 && r->m->host.progress)
        r->m->host.progress(r->m->host.ctx, "assign", r->applied, 0);
    return rc;
}

/* Work out the filled slot while the other one (if it holds a chunk) is
 * applied; then the filled slot holds the chunk to apply next. */
static int cycle(run *r, awc_store *st)
{
    slot *s = r->slots[r->fill], *other = r->slots[!r->fill];
    job j = { r, s };
    sigset_t all, old;
    pthread_t t;
    int threaded = 0, rc = 0;

    if (r->ready) { /* the helper takes no signal: they stay the host's thread's */
        static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };
        sigfillset(&all);
        for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
            sigdelset(&all, faults[i]); /* but its own faults reach the host's handlers */
        pthread_sigmask(SIG_SETMASK, &all, &old);
        threaded = pthread_create(&t, NULL, work_chunk, &j) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }

    if (!threaded)
        work_chunk(&j); /* nothing to overlap with, or no thread to be had */
    if (r->ready)
        rc = apply(r, st, other);
    if (threaded)
        pthread_join(t, NULL);
    if (rc == 0 && s->rc != 0)
        rc = awc_error_set(s->rc, "%s", s->err);
    r->ready = 1;
    r->fill = !r->fill;
    other->nin = 0;
    other->text_at = 0;
    return rc;
}

typedef struct pending_arg {
    run *r;
    awc_store *st;
} pending_arg;

static int on_pending(void *arg, const awc_pending *p)
{
    pending_arg *pa = arg;
    run *r = pa->r;
    slot *s = r->slots[r->fill];
    input *in = &s->in[s->nin++];
    size_t np = strnlen(p->product_code, sizeof(p->product_code) - 1);
    size_t nd = strnlen(p->description, sizeof(p->description) - 1);

    in->seq = p->seq;
    in->version = p->version;
    in->unmapped = p->unmapped;
    in->amount = p->amount;
    copy_in(in->usage_account, sizeof(in->usage_account), p->usage_account_id);
    copy_in(in->owner_account, sizeof(in->owner_account), p->owner_account_id);
    copy_in(in->currency, sizeof(in->currency), p->currency);
    copy_in(in->credit_type, sizeof(in->credit_type), p->credit_type);
    in->product_at = s->text_at;
    memcpy(s->text + s->text_at, p->product_code, np);
    s->text[s->text_at + np] = '\0';
    s->text_at += np + 1;
    in->desc_at = s->text_at;
    memcpy(s->text + s->text_at, p->description, nd);
    s->text[s->text_at + nd] = '\0';
    s->text_at += nd + 1;
    return s->nin == CHUNK ? cycle(r, pa->st) : 0;
}

static int assign_all(awc_store *st, void *arg)
{
    run *r = arg;
    pending_arg pa = { r, st };
    int rc;

    reset(r);
    if ((rc = st->ops->credits_pending(st, r->period, on_pending, &pa)) != 0)
        return rc;
    if (r->slots[r->fill]->nin && (rc = cycle(r, st)) != 0)
        return rc;
    return r->ready ? apply(r, st, r->slots[!r->fill]) : 0;
}

/* Not zeroed: 19 MB of line buffers that are written before they are read
 * (the counts are set by reset() and work_chunk()). */
static slot *slot_new(awc_store *st)
{
    slot *s = awc_malloc(sizeof(*s));
    if (!s)
        return NULL;
    if (!(s->text = awc_malloc(CHUNK * TEXT_MAX))) {
        awc_free(s);
        return NULL;
    }
    /* optional: without it the store binds each chunk itself */
    s->stage = st->ops->stage_new ? st->ops->stage_new(st) : NULL;
    return s;
}

static void slot_free(awc_store *st, slot *s)
{
    if (!s)
        return;
    if (s->stage)
        st->ops->stage_free(st, s->stage);
    awc_free(s->text);
    awc_free(s);
}

static int report(run *r)
{
    const awc_call *c = r->c;
    char a[AWC_MONEY_BUFSZ], t[AWC_MONEY_BUFSZ];
    int rc;

    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object(), *tots = json_array();
        int bad = 0;
        for (size_t i = 0; i < r->ntot; i++) {
            json_t *o = json_object();
            awc_money_format_minor(a, sizeof(a), r->tot[i].assigned, r->tot[i].exponent);
            awc_money_format_minor(t, sizeof(t), r->tot[i].retained, r->tot[i].exponent);
            bad |= awc_json_set(o, "currency", json_string(r->tot[i].currency)) |
                   awc_json_set(o, "credits", json_integer((json_int_t)r->tot[i].credits)) |
                   awc_json_set(o, "assigned", json_string(a)) |
                   awc_json_set(o, "retained", json_string(t));
            bad |= json_array_append_new(tots, o);
        }
        bad |= awc_json_set(doc, "period", json_string(r->period)) |
               awc_json_set(doc, "pending", json_integer((json_int_t)r->seen)) |
               awc_json_set(doc, "by_rule", json_integer((json_int_t)r->by_rule)) |
               awc_json_set(doc, "by_default", json_integer((json_int_t)r->by_default)) |
               awc_json_set(doc, "unmapped_new", json_integer((json_int_t)r->flagged)) |
               awc_json_set(doc, "unmapped", json_integer((json_int_t)(r->flagged +
                                                                      r->still_unmapped))) |
               awc_json_set(doc, "no_rule", json_integer((json_int_t)r->no_rule)) |
               awc_json_set(doc, "totals", tots);
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return rc;
    }
    rc = awc_out_printf(c, "assign %s: %zu pending: %zu by rule, %zu by default, %zu unmapped "
                        "(%zu newly flagged), %zu left pending (no rule, no default)\n",
                        r->period, r->seen, r->by_rule, r->by_default,
                        r->flagged + r->still_unmapped, r->flagged, r->no_rule);
    for (size_t i = 0; rc == 0 && i < r->ntot; i++) {
        awc_money_format_minor(a, sizeof(a), r->tot[i].assigned, r->tot[i].exponent);
        awc_money_format_minor(t, sizeof(t), r->tot[i].retained, r->tot[i].exponent);
        rc = awc_out_printf(c, "  %s: %zu credits, assigned %s, retained %s\n",
                            r->tot[i].currency, r->tot[i].credits, a, t);
    }
    return rc;
}

int awc_op_assign(awc_module *m, const awc_call *c, const char *period)
{
    run r;
    awc_store *st;
    int rc;

    awc_op_begin();
    memset(&r, 0, sizeof(r));
    if (!period)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "assign: --period YYYY-MM is required"));
    if ((rc = awc_period_check(period)) != 0)
        return awc_op_end(c, rc);
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "assign: only a distributor runs "
                                                      "assignment; resellers use edit"));
    r.m = m;
    r.c = c;
    r.period = period;
    snprintf(r.first_day, sizeof(r.first_day), "%.7s-01", period);
    if (m->cfg.assign.default_split) {
        if ((rc = awc_splitspec_parse_percent(&r.def, m->cfg.assign.default_split)) != 0)
            return awc_op_end(c, awc_error_prefix(AWC_ECONFIG, "assign.default"));
        r.have_default = 1;
    }
    if ((rc = awc_mod_store(m, &st)) == 0) {
        r.st = st;
        r.slots[0] = slot_new(st);
        r.slots[1] = slot_new(st);
        if (!r.slots[0] || !r.slots[1])
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = awc_mod_period_open(m, st, period, "assign");
    if (rc == 0)
        rc = awc_ruleset_load(&r.rs, st);
    if (rc == 0)
        rc = awc_owners_load(&r.owners, st, r.first_day);
    if (rc == 0)
        rc = st->ops->tx(st, assign_all, &r);
    if (rc == 0)
        rc = report(&r);
    else if (rc != AWC_ELOCKED)
        awc_error_prefix(rc, "assign %s: nothing was assigned", period);
    awc_ruleset_free(r.rs);
    awc_owners_free(r.owners);
    slot_free(r.st, r.slots[0]);
    slot_free(r.st, r.slots[1]);
    return awc_op_end(c, rc);
}
