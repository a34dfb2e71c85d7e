/* op_assign.c -- `assign --period P`: every PENDING_ASSIGN credit of P gets
 * its rule's split, or the default configuration, or stays pending flagged
 * unmapped when its account has no owner.
 *
 * Credits go in chunks of at most 1,000, in seq order, and each chunk is a
 * unit of work of its own: its credits' new state, their events and their
 * split lines are committed together or not at all.  A run that stops
 * leaves every credit either done (with its event and lines) or pending for
 * the next run.
 *
 * Lanes: the period's seqs are cut into assign.lanes equal ranges, one per
 * lane, a thread with a database connection of its own.  A lane reads its
 * range a chunk at a time (plain reads, which lock nothing), works each
 * chunk out (rule, split lines, note, JSON; the store binds the rows with
 * assign_stage) and applies it.  A lane whose range is done takes the upper
 * half of what is left of the largest other one, when that is two chunks'
 * worth of seqs or more.  Ranges far apart keep the
 * lanes off each other's rows and index pages: a chunk's UPDATE reads its
 * credits as a range, which also locks the row after it, and a lane
 * writing the next chunk at the same time would be waited for.
 *
 * Applying checks that every credit is still at the version read; when one
 * changed meanwhile (an edit, another run) the lane reads the chunk again
 * under lock, and works it out and applies it in one unit.  A lane touches
 * its own slot and store, the rules and owners map (read-only by then) and,
 * under the run's mutex, the ranges and counts; the calling thread reports
 * progress.  Host callbacks stay on the calling thread, and since lanes
 * allocate, they run only on libc's allocator (awc_alloc_any_thread());
 * otherwise the calling thread is the one lane.
 *
 * Several hosts (on the nodes of a Galera cluster, SPEC 14) share a large
 * period: its seqs are cut into slices of SLICE_SEQS, and a host claims a
 * slice with a database lock of its own ("awscredit.assign.P.K", a row
 * with a lease) before its lanes work it; a slice another host holds is
 * skipped and tried again once a second until it is free (done, or its
 * holder's lease ran out), at most OTHERS_WAIT seconds.  A slice taken
 * again after another host finished it finds nothing pending: no credit
 * is assigned twice (and were two hosts to meet on a credit, the version
 * check above sends one of them back).  Hosts start at different slices.
 * A period of one slice is not claimed: one host or several work it as
 * before, by the version checks alone. */
#include <pthread.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "date.h"
#include "mod.h"
#include "out.h"
#include "owners.h"
#include "ruleload.h"

#define CHUNK 1000                /* no more than the store stages at once (1,000) */
#define LANES_MAX 8
#define CURRENCIES 200            /* more than ISO 4217 has */
#define TEXT_MAX (sizeof(((awc_pending *)0)->product_code) + \
                  sizeof(((awc_pending *)0)->description))

typedef struct item {
    awc_split_line lines[AWC_SPEC_MAX + 1];
    char owner_account[AWC_ACCOUNT_LEN + 1];
    char note[AWC_ERRMSG_MAX + 64];
    char detail[4096];             /* up to 9 lines of JSON, each under 400 bytes */
} item;

/* A pending credit as read, its two long strings in the slot's text. */
typedef struct input {
    uint64_t seq;
    int64_t version;
    int flag;                      /* awc_flag */
    char usage_account[AWC_ACCOUNT_LEN + 1], owner_account[AWC_ACCOUNT_LEN + 1];
    char currency[4], credit_type[33];
    awc_amount amount;
    size_t product_at, desc_at;
} input;

typedef struct cur_total {
    char currency[4];
    int exponent;
    size_t credits;
    awc_sum assigned, retained;    /* minor units, exact for any number of credits */
} cur_total;

/* What assignment did to some credits. */
typedef struct counts {
    size_t seen, by_rule, by_default, flagged, still_unmapped, no_rule;
    size_t held, still_held, excluded;
    size_t ntot;
    cur_total tot[CURRENCIES];
} counts;

#define SLICE_SEQS 100000
#define OTHERS_WAIT 300

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
    counts k;                      /* of this chunk, once applied */
    int rc;                        /* of the chunk; err is its message */
    char err[AWC_ERRMSG_MAX];
} slot;

struct run;

typedef struct lane {
    struct run *r;
    awc_store *st;                 /* its own; the run's on the calling thread */
    slot *s;                       /* the chunk it works on */
    uint64_t cursor, end;          /* seqs after cursor up to end are its to read */
    awc_pending_range q;           /* the chunk being read, or read again */
    pthread_t t;
    int started;                   /* t runs */
    int finished;                  /* t is done (under the mutex) */
    int own;                       /* st is its own connection */
} lane;

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
    lane lanes[LANES_MAX];
    size_t nlanes;
    int threaded;                  /* the lanes are threads */
    uint64_t first_seq, last_seq;  /* the period's credits */
    pthread_mutex_t mu;            /* guards what follows, the lanes' ranges and states */
    pthread_cond_t done;           /* a lane finished a chunk, or for good */
    size_t applied;                /* credits of the chunks applied (progress) */
    counts k;                      /* of every chunk applied */
    int rc;                        /* the first failure; err is its message */
    char err[AWC_ERRMSG_MAX];
} run;

/* The total of currency in k, added (zero) when it is new; NULL when k
 * holds CURRENCIES already. */
static cur_total *total_for(counts *k, const char *currency, int e)
{
    cur_total *t;

    for (size_t i = 0; i < k->ntot; i++)
        if (strcmp(k->tot[i].currency, currency) == 0)
            return &k->tot[i];
    if (k->ntot == CURRENCIES)
        return NULL;
    t = &k->tot[k->ntot++];
    memset(t, 0, sizeof(*t));
    memcpy(t->currency, currency, 4);
    t->exponent = e;
    return t;
}

static void add_total(counts *k, const char *currency, int e, const awc_split_line *l,
                      size_t n)
{
    cur_total *t = total_for(k, currency, e);

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

/* Add the counts of a chunk to the run's. */
static void add_counts(counts *to, const counts *k)
{
    to->seen += k->seen;
    to->by_rule += k->by_rule;
    to->by_default += k->by_default;
    to->flagged += k->flagged;
    to->still_unmapped += k->still_unmapped;
    to->no_rule += k->no_rule;
    to->held += k->held;
    to->still_held += k->still_held;
    to->excluded += k->excluded;
    for (size_t i = 0; i < k->ntot; i++) {
        cur_total *u = total_for(to, k->tot[i].currency, k->tot[i].exponent);
        if (u) {
            u->credits += k->tot[i].credits;
            u->assigned += k->tot[i].assigned;
            u->retained += k->tot[i].retained;
        }
    }
}

/* s (NUL-terminated, shorter than cap) into dst[cap]. */
static void copy_in(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* ---- working a chunk out (a lane) ----------------------------------------------- */

/* A credit that cannot be assigned (rc, the message in awc_error_last())
 * is held, with the reason in its FLAG event and its owner kept, so that
 * it is listed (list --held), counted, and the rest of the chunk goes on.
 * Only a bad credit is held: any other failure stops the chunk. */
static int hold(slot *s, const input *p, const awc_owner *owner, int rc)
{
    item *it = &s->items[s->n];
    awc_assignment *a = &s->a[s->n];

    if (rc != AWC_EBADINPUT && rc != AWC_EOVERFLOW)
        return awc_error_prefix(rc, "credit %llu", (unsigned long long)p->seq);
    if (p->flag == AWC_FLAG_HELD) {
        s->k.still_held++;
        return 0;
    }
    snprintf(it->note, sizeof(it->note), "held: cannot be assigned: %s", awc_error_last());
    a->to = AWC_PENDING_ASSIGN;
    a->kind = AWC_EV_FLAG;
    a->flag = AWC_FLAG_HELD;
    a->customer_id = owner->customer_id;
    a->asset_id = owner->asset_id;
    a->reseller_id = owner->reseller_id;
    a->note = it->note;
    s->k.held++;
    s->n++;
    return 0;
}

/* The assignment of one pending credit into the slot, or none (left as it
 * is: still unmapped, or no rule and no default). */
static int work_out(run *r, slot *s, const input *p)
{
    item *it = &s->items[s->n];
    awc_assignment *a = &s->a[s->n];
    counts *k = &s->k;
    const char *account = p->owner_account[0] ? p->owner_account : p->usage_account;
    const char *description = s->text + p->desc_at;
    const awc_rule *rule = NULL;
    awc_split_spec spec;
    awc_owner owner;
    int64_t total;
    size_t nlines = 0;
    int e, rc;

    k->seen++;
#ifdef AWC_TEST_BUILD
    {
        /* tests: a chunk that fails at this credit (not a bad credit, which is held) */
        const char *f = getenv("AWC_FAULT_ASSIGN_SEQ");
        if (f && strtoull(f, NULL, 10) == p->seq)
            return awc_error_set(AWC_EDB, "credit %llu: injected fault",
                                 (unsigned long long)p->seq);
    }
#endif
    if (p->flag == AWC_FLAG_EXCLUDED) {
        k->excluded++;
        return 0;
    }
    memset(a, 0, sizeof(*a));
    memcpy(it->owner_account, p->owner_account, sizeof(it->owner_account));
    a->seq = p->seq;
    a->expect_version = p->version;
    a->from = AWC_PENDING_ASSIGN;
    a->owner_account_id = it->owner_account[0] ? it->owner_account : NULL;
    if (!awc_owners_find(r->owners, account, &owner)) {
        if (p->flag == AWC_FLAG_UNMAPPED) {
            k->still_unmapped++;
            return 0;
        }
        snprintf(it->note, sizeof(it->note), "no owner for account %s on %s", account,
                 r->first_day);
        a->to = AWC_PENDING_ASSIGN;
        a->kind = AWC_EV_FLAG;
        a->flag = AWC_FLAG_UNMAPPED;
        a->note = it->note;
        k->flagged++;
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
        k->no_rule++;
        return 0;
    }
    if ((rc = awc_invoiceable(&total, &e, p->amount, p->currency)) != 0 ||
        (rc = awc_assign_lines(it->lines, AWC_SPEC_MAX + 1, &nlines, total, &spec, &owner)) != 0)
        return hold(s, p, &owner, rc);
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
    add_total(k, p->currency, e, it->lines, nlines);
    if (rule)
        k->by_rule++;
    else
        k->by_default++;
    s->n++;
    return 0;
}

/* Every input of the slot, from fresh counts; then, with a stage, the
 * store's rows of the assignments. */
static int work_chunk(run *r, slot *s, awc_store *st, awc_stage *stage)
{
    int rc;

    s->n = 0;
    s->k.seen = s->k.by_rule = s->k.by_default = s->k.flagged = 0;
    s->k.still_unmapped = s->k.no_rule = s->k.ntot = 0;
    s->k.held = s->k.still_held = s->k.excluded = 0;
    for (size_t i = 0; i < s->nin; i++)
        if ((rc = work_out(r, s, &s->in[i])) != 0)
            return rc;
    if (stage)
        st->ops->assign_stage(st, stage, s->a, s->n, r->c->actor);
    return 0;
}

/* One pending credit read into the slot (arg), which the unit reading
 * emptied first (so that a retried unit reads into an empty slot again). */
static int on_pending(void *arg, const awc_pending *p)
{
    slot *s = arg;
    input *in;
    size_t np = strnlen(p->product_code, sizeof(p->product_code) - 1);
    size_t nd = strnlen(p->description, sizeof(p->description) - 1);

    if (s->nin == CHUNK)
        return awc_error_set(AWC_EDB, "database: more pending credits than asked for");
    in = &s->in[s->nin++];
    in->seq = p->seq;
    in->version = p->version;
    in->flag = p->flag;
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
    return 0;
}

/* The unit that reads the lane's chunk (l->q) into its slot. */
static int read_chunk(awc_store *st, void *arg)
{
    lane *l = arg;

    l->s->nin = l->s->text_at = 0;
    return st->ops->credits_pending(st, &l->q, on_pending, l->s);
}

/* The unit for a chunk in which a credit changed after it was read: the
 * chunk's range read again under lock (l->q), worked out and applied.
 * Credits that left PENDING_ASSIGN meanwhile are not in it any more. */
static int redo_chunk(awc_store *st, void *arg)
{
    lane *l = arg;
    run *r = l->r;
    slot *s = l->s;
    int rc;

    if ((rc = read_chunk(st, l)) != 0 || (rc = work_chunk(r, s, st, NULL)) != 0)
        return rc;
    return s->n ? st->ops->assign_apply(st, s->a, s->n, r->c->actor, NULL) : 0;
}

/* The lane's chunk, worked out and applied (one unit); the outcome and its
 * message stay in the slot, since messages are per thread. */
static void lane_chunk(lane *l)
{
    run *r = l->r;
    slot *s = l->s;
    awc_store *st = l->st;
    int rc = work_chunk(r, s, st, s->stage);

    if (rc == 0 && s->n)
        rc = st->ops->assign_apply(st, s->a, s->n, r->c->actor, s->stage);
    if (rc == AWC_ECONFLICT) {
        l->q = (awc_pending_range){ r->period, s->in[0].seq - 1, s->in[s->nin - 1].seq,
                                    CHUNK, 1 };
        awc_error_clear();
        rc = st->ops->tx(st, redo_chunk, l);
    }
    s->rc = rc = awc_error_busy(rc, "run assign again");
    if (rc != 0)
        awc_error_copy(rc, s->err, sizeof(s->err));
}

/* The run's mutex, when there are threads. */
static void lock_run(run *r)
{
    if (r->threaded)
        pthread_mutex_lock(&r->mu);
}

static void unlock_run(run *r)
{
    if (r->threaded)
        pthread_mutex_unlock(&r->mu);
}

/* The run's first failure (under the mutex). */
static void failed(run *r, int rc, const char *msg)
{
    if (r->rc == 0) {
        r->rc = rc;
        snprintf(r->err, sizeof(r->err), "%s", msg);
    }
}

/* Make sure lane l has seqs left to read (under the mutex): when its own
 * range is done it takes the range of a lane without a thread, or the
 * upper half of what is left of the largest other range.  0 when there is
 * too little left anywhere to share. */
static int claim(run *r, lane *l)
{
    lane *v = NULL;
    uint64_t most = 0;

    if (l->cursor < l->end)
        return 1;
    for (size_t i = 0; i < r->nlanes; i++) {
        lane *x = &r->lanes[i];
        if (x != l && !x->started && x->cursor < x->end) { /* no thread: all of it */
            l->cursor = x->cursor;
            l->end = x->end;
            x->cursor = x->end;
            return 1;
        }
        if (x != l && x->end - x->cursor > most) {
            most = x->end - x->cursor;
            v = x;
        }
    }
    if (!v || most < 2 * CHUNK)
        return 0;
    l->cursor = v->cursor + most / 2;
    l->end = v->end;
    v->end = l->cursor;
    return 1;
}

/* A lane: read the next chunk of its range (plain reads on its own
 * connection), work it out and apply it, until no range is left or the run
 * failed. */
static void lane_run(lane *l)
{
    run *r = l->r;
    slot *s = l->s;
    int rc;

    for (;;) {
        lock_run(r);
        if (r->rc != 0 || !claim(r, l)) {
            unlock_run(r);
            break;
        }
        l->q = (awc_pending_range){ r->period, l->cursor, l->end, CHUNK, 0 };
        unlock_run(r);

        rc = l->st->ops->tx(l->st, read_chunk, l);

        lock_run(r);
        if (rc != 0) {
            awc_error_copy(rc, s->err, sizeof(s->err));
            failed(r, rc, s->err);
            unlock_run(r);
            break;
        }
        /* another lane may have taken the upper part of the range meanwhile */
        while (s->nin && s->in[s->nin - 1].seq > l->end)
            s->nin--;
        l->cursor = s->nin == CHUNK ? s->in[s->nin - 1].seq : l->end;
        unlock_run(r);
        if (!s->nin)
            continue;

        lane_chunk(l);

        lock_run(r);
        if (s->rc != 0) {
            failed(r, s->rc, s->err);
        } else {
            add_counts(&r->k, &s->k);
            r->applied += s->nin;
        }
        if (r->threaded)
            pthread_cond_signal(&r->done);
        unlock_run(r);
        if (!r->threaded && s->rc == 0 && r->m->host.progress)
            r->m->host.progress(r->m->host.ctx, "assign", r->applied, 0);
    }
}

static void *lane_main(void *arg)
{
    lane *l = arg;
    run *r = l->r;

    lane_run(l);
    pthread_mutex_lock(&r->mu);
    l->finished = 1;
    pthread_cond_signal(&r->done);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ---- the calling thread ------------------------------------------------------------ */

/* Not zeroed: 9.5 MB of line buffers that are written before they are read
 * (the counts are set by work_chunk()). */
static slot *slot_new(awc_store *st)
{
    slot *s = awc_malloc(sizeof(*s));
    if (!s)
        return NULL;
    if (!(s->text = awc_malloc(CHUNK * TEXT_MAX))) {
        awc_free(s);
        return NULL;
    }
    s->nin = s->text_at = 0;
    s->rc = 0;
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

/* A thread for lane l that takes no signal: they stay the host's thread's,
 * but its own faults reach the host's handlers.  0, or non-zero when no
 * thread was to be had. */
static int lane_start(lane *l)
{
    static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
        sigdelset(&all, faults[i]);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&l->t, NULL, lane_main, l);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    l->started = rc == 0;
    return rc;
}

/* How many lanes: assign.lanes, but one (the calling thread) when threads
 * may not allocate or the store cannot open another connection. */
static size_t lanes_wanted(const run *r)
{
    size_t want = r->m->cfg.assign.lanes ? r->m->cfg.assign.lanes : 1;

    if (want > LANES_MAX)
        want = LANES_MAX;
    if (want < 2 || !awc_alloc_any_thread() || !r->st->ops->another)
        want = 1;
    return want;
}

/* Lanes over the period's seqs (first..last), in equal parts; each with
 * its slot and, for more than one, its own connection and thread.  A lane
 * without a connection or thread leaves its part to the others; with none
 * the calling thread is the one lane. */
static int lanes_open(run *r, uint64_t first, uint64_t last)
{
    size_t want = lanes_wanted(r);
    uint64_t span = last - first + 1;

    for (size_t i = 0; i < want; i++) {
        lane *l = &r->lanes[i];
        l->r = r;
        l->cursor = first - 1 + span / want * i;
        l->end = i + 1 == want ? last : first - 1 + span / want * (i + 1);
        if (!(l->s = slot_new(r->st)))
            return awc_error_set(AWC_ENOMEM, "out of memory");
        r->nlanes++;
    }
    if (want == 1)
        return 0;
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        return awc_error_set(AWC_ENOMEM, "assign: no mutex to be had");
    if (pthread_cond_init(&r->done, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        return awc_error_set(AWC_ENOMEM, "assign: no condition variable to be had");
    }
    r->threaded = 1;
    pthread_mutex_lock(&r->mu); /* the lanes wait until all are set up */
    for (size_t i = 0; i < want; i++) {
        lane *l = &r->lanes[i];
        if (r->st->ops->another(r->st, &l->st) != 0) {
            awc_mod_log(r->m, AWC_LOG_WARN, "assign: lane %zu of %zu has no connection (%s); "
                        "the others do its part", i + 1, want, awc_error_last());
            l->finished = 1;
            continue;
        }
        l->own = 1;
        if (lane_start(l) != 0)
            l->finished = 1;
    }
    pthread_mutex_unlock(&r->mu);
    awc_error_clear();
    return 0;
}

/* Wait for the lanes, reporting progress; the calling thread is the lane
 * when none started. */
static void lanes_run(run *r)
{
    size_t started = 0, finished;

    if (r->threaded)
        for (size_t i = 0; i < r->nlanes; i++)
            started += r->lanes[i].started;
    if (!started) {
        if (r->threaded) {
            pthread_cond_destroy(&r->done);
            pthread_mutex_destroy(&r->mu);
            r->threaded = 0;
        }
        /* no thread: the connections opened go, and the calling thread
         * takes every lane's range in turn (claim) */
        for (size_t i = 0; i < r->nlanes; i++) {
            lane *l = &r->lanes[i];
            if (l->own)
                l->st->ops->close(l->st);
            l->st = NULL;
            l->own = 0;
        }
        r->lanes[0].st = r->st;
        lane_run(&r->lanes[0]);
        return;
    }
    pthread_mutex_lock(&r->mu);
    for (;;) {
        size_t applied = r->applied;
        finished = 0;
        for (size_t i = 0; i < r->nlanes; i++)
            finished += r->lanes[i].finished;
        if (finished == r->nlanes)
            break;
        pthread_cond_wait(&r->done, &r->mu);
        if (r->applied != applied && r->m->host.progress) {
            applied = r->applied;
            pthread_mutex_unlock(&r->mu);
            r->m->host.progress(r->m->host.ctx, "assign", applied, 0);
            pthread_mutex_lock(&r->mu);
        }
    }
    pthread_mutex_unlock(&r->mu);
    if (r->m->host.progress) /* the lanes are done: r->applied is final */
        r->m->host.progress(r->m->host.ctx, "assign", r->applied, 0);
}

/* Join the lanes' threads, close their connections, free the slots. */
static void lanes_close(run *r)
{
    for (size_t i = 0; i < r->nlanes; i++) {
        lane *l = &r->lanes[i];
        if (l->started)
            pthread_join(l->t, NULL);
        if (l->own)
            l->st->ops->close(l->st);
        slot_free(r->st, l->s);
    }
    if (r->threaded) {
        pthread_cond_destroy(&r->done);
        pthread_mutex_destroy(&r->mu);
    }
}

static int report(run *r)
{
    const awc_call *c = r->c;
    char a[AWC_SUM_BUFSZ], t[AWC_SUM_BUFSZ];
    int rc;

    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object(), *tots = json_array();
        int bad = 0;
        for (size_t i = 0; i < r->k.ntot; i++) {
            json_t *o = json_object();
            awc_sum_format_minor(a, sizeof(a), r->k.tot[i].assigned, r->k.tot[i].exponent);
            awc_sum_format_minor(t, sizeof(t), r->k.tot[i].retained, r->k.tot[i].exponent);
            bad |= awc_json_set(o, "currency", json_string(r->k.tot[i].currency)) |
                   awc_json_set(o, "credits", json_integer((json_int_t)r->k.tot[i].credits)) |
                   awc_json_set(o, "assigned", json_string(a)) |
                   awc_json_set(o, "retained", json_string(t));
            bad |= json_array_append_new(tots, o);
        }
        bad |= awc_json_set(doc, "period", json_string(r->period)) |
               awc_json_set(doc, "pending", json_integer((json_int_t)r->k.seen)) |
               awc_json_set(doc, "by_rule", json_integer((json_int_t)r->k.by_rule)) |
               awc_json_set(doc, "by_default", json_integer((json_int_t)r->k.by_default)) |
               awc_json_set(doc, "unmapped_new", json_integer((json_int_t)r->k.flagged)) |
               awc_json_set(doc, "unmapped", json_integer((json_int_t)(r->k.flagged +
                                                                      r->k.still_unmapped))) |
               awc_json_set(doc, "no_rule", json_integer((json_int_t)r->k.no_rule)) |
               awc_json_set(doc, "held_new", json_integer((json_int_t)r->k.held)) |
               awc_json_set(doc, "held", json_integer((json_int_t)(r->k.held +
                                                                  r->k.still_held))) |
               awc_json_set(doc, "excluded", json_integer((json_int_t)r->k.excluded)) |
               awc_json_set(doc, "totals", tots);
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return rc;
    }
    rc = awc_out_printf(c, "assign %s: %zu pending: %zu by rule, %zu by default, %zu unmapped "
                        "(%zu newly flagged), %zu left pending (no rule, no default)\n",
                        r->period, r->k.seen, r->k.by_rule, r->k.by_default,
                        r->k.flagged + r->k.still_unmapped, r->k.flagged, r->k.no_rule);
    if (rc == 0 && r->k.held + r->k.still_held)
        rc = awc_out_printf(c, "  %zu held: they cannot be assigned (%zu newly held); see "
                            "`list --held` and `show ID`\n", r->k.held + r->k.still_held,
                            r->k.held);
    if (rc == 0 && r->k.excluded)
        rc = awc_out_printf(c, "  %zu excluded by a distributor, left alone\n", r->k.excluded);
    for (size_t i = 0; rc == 0 && i < r->k.ntot; i++) {
        awc_sum_format_minor(a, sizeof(a), r->k.tot[i].assigned, r->k.tot[i].exponent);
        awc_sum_format_minor(t, sizeof(t), r->k.tot[i].retained, r->k.tot[i].exponent);
        rc = awc_out_printf(c, "  %s: %zu credits, assigned %s, retained %s\n",
                            r->k.tot[i].currency, r->k.tot[i].credits, a, t);
    }
    return rc;
}

/* The lanes over first..last, until they are done. */
static int lanes_over(run *r, uint64_t first, uint64_t last)
{
    int rc = lanes_open(r, first, last);

    if (rc == 0) {
        lanes_run(r);
        rc = r->rc;
    }
    lanes_close(r);
    r->nlanes = 0;
    r->threaded = 0;
    memset(r->lanes, 0, sizeof(r->lanes));
    return rc;
}

/* Seqs a slice: SLICE_SEQS; test builds take AWC_ASSIGN_SLICE, so that a
 * small period has several. */
static uint64_t slice_seqs(void)
{
#ifdef AWC_TEST_BUILD
    const char *e = getenv("AWC_ASSIGN_SLICE");
    char *end = NULL;
    unsigned long long v = e ? strtoull(e, &end, 10) : 0;
    if (e && *e && end && !*end && v > 0)
        return v;
#endif
    return SLICE_SEQS;
}

/* Claim slice k and work it: 1 another host holds it, 0 done, < 0 error. */
static int slice(run *r, uint64_t k)
{
    uint64_t lo = r->first_seq + k * slice_seqs(), hi = lo + slice_seqs() - 1;
    char name[64];
    int rc;

    if (hi > r->last_seq)
        hi = r->last_seq;
    snprintf(name, sizeof(name), "awscredit.assign.%.7s.%llu", r->period, (unsigned long long)k);
    if ((rc = r->st->ops->lock(r->st, name)) == AWC_ELOCKED) {
        awc_error_clear();
        return 1;
    }
    if (rc != 0)
        return rc;
    rc = lanes_over(r, lo, hi);
    r->st->ops->unlock(r->st, name);
    return rc;
}

/* The period's slices, claimed one at a time (see the top). */
static int slices(run *r)
{
    uint64_t n = (r->last_seq - r->first_seq) / slice_seqs() + 1, start, left;
    unsigned char *others;
    int rc = 0;

    if (n == 1 || !r->st->ops->lock)
        return lanes_over(r, r->first_seq, r->last_seq);
    if (!(others = awc_calloc((size_t)n, 1)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    start = (uint64_t)getpid() % n;
    left = n;
    for (int waited = 0; rc == 0 && left; waited++) {
        left = 0;
        for (uint64_t i = 0; rc == 0 && i < n; i++) {
            uint64_t k = (start + i) % n;
            if (waited && !others[k])
                continue;
            if ((rc = slice(r, k)) == 1) {
                others[k] = 1;
                left++;
                rc = 0;
            } else {
                others[k] = 0;
            }
        }
        if (rc == 0 && left && waited == OTHERS_WAIT)
            rc = awc_error_set(AWC_ELOCKED, "%llu slice%s of %s still claimed by another host "
                               "after %d s; run assign again later", (unsigned long long)left,
                               left == 1 ? "" : "s", r->period, OTHERS_WAIT);
        if (rc == 0 && left)
            sleep(1);
    }
    awc_free(others);
    return rc;
}

int awc_op_assign(awc_module *m, const awc_call *c, const char *period)
{
    run r;
    awc_store *st;
    size_t done;
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
    if ((rc = awc_mod_period_when(c, period, "assign", 0)) != 0)
        return awc_op_end(c, rc);
    r.m = m;
    r.c = c;
    r.period = period;
    snprintf(r.first_day, sizeof(r.first_day), "%.7s-01", period);
    if (m->cfg.assign.default_split) {
        if ((rc = awc_splitspec_parse_percent(&r.def, m->cfg.assign.default_split)) != 0)
            return awc_op_end(c, awc_error_prefix(AWC_ECONFIG, "assign.default"));
        r.have_default = 1;
    }
    if ((rc = awc_mod_store(m, &st)) == 0)
        r.st = st;
    if (rc == 0)
        rc = awc_mod_period_open(m, st, period, "assign");
    if (rc == 0)
        rc = awc_ruleset_load(&r.rs, st);
    if (rc == 0)
        rc = awc_owners_load(&r.owners, st, r.first_day);
    if (rc == 0)
        rc = st->ops->credits_span(st, period, &r.first_seq, &r.last_seq);
    if (rc == 0 && r.first_seq)
        rc = slices(&r);
    done = r.k.by_rule + r.k.by_default + r.k.flagged + r.k.held;
    if (rc == 0)
        rc = report(&r);
    else if (r.rc == 0) { /* before any chunk */
        if (rc != AWC_ELOCKED && rc != AWC_EREADONLY) /* busy, or the period is closed */
            awc_error_prefix(rc, "assign %s: nothing was assigned", period);
    } else if (rc == AWC_ELOCKED) /* the message may come from a lane's thread */
        awc_error_set(rc, "%s", r.err);
    else if (done == 0)
        awc_error_set(rc, "assign %s: %s; nothing was assigned", period, r.err);
    else
        awc_error_set(rc, "assign %s: %s; %zu credits were assigned or flagged before it "
                      "stopped, the others are still pending: run assign again", period, r.err,
                      done);
    awc_ruleset_free(r.rs);
    awc_owners_free(r.owners);
    return awc_op_end(c, rc);
}
