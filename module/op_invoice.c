/*
 * op_invoice.c -- `invoice --period P`, `reconcile`, `close --period P`
 * (SPEC 8): assigned credits become usage records exactly once.
 *
 * Exactly once, step by step:
 *   1. prepare (one transaction): the period's ASSIGNED credits are grouped
 *      per reseller and currency into outbox files, each with a
 *      deterministic external id and its records; the credits are marked
 *      so nobody edits them meanwhile;
 *   2. for each prepared or half-sent file: mark it sending, ask the
 *      platform for its external id; send it only when the platform does not
 *      have it (or has it incomplete: the adapter completes it); otherwise
 *      adopt the platform's file and record ids;
 *   3. confirm (one transaction): platform ids recorded, credits PROCESSING.
 * A crash anywhere leaves a state from which a re-run finishes the job
 * without sending anything twice.
 *
 * Several hosts (on several nodes of a Galera cluster) share a period:
 * the period's lock (a row, SPEC 14) is held for step 1 only, so one host
 * prepares at a time (another waits up to PREPARE_WAIT seconds for it,
 * then gives up with AWC_ELOCKED); each file of steps 2-3 is then claimed by a lock of
 * its own, "awscredit.uf.<local id>", and a host skips a file another
 * holds.  Once it holds the claim it reads the file's state again: a file
 * another host confirmed meanwhile is done, not sent again.  A host that
 * dies holding a claim keeps it until its lease runs out; whoever takes
 * the file then asks the platform for its external id first, as after any
 * crash.  A host that skipped files goes round again, once a second, until
 * every file of the period is done (by it or another) or OTHERS_WAIT
 * seconds passed: it ends 0 only when the period's files all went through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assign.h"
#include "credit_id.h"
#include "date.h"
#include "invoicing.h"
#include "mod.h"
#include "out.h"
#include "sha256.h"

#define OTHERS_WAIT 300
#define PREPARE_WAIT 10

typedef struct group {
    awc_module *m;
    awc_store *st;
    const char *period;
    char reseller[AWC_CODE_MAX * 4 + 1];
    char customer[AWC_CODE_MAX * 4 + 1];
    char currency[4];
    awc_invoice_line *lines;       /* only seq, line_no, amount are kept */
    size_t n, cap;
    uint64_t *seqs;
    size_t nseqs, seqcap;
    size_t files, records, nothing;   /* nothing: credits in groups without a record */
} group;

static int push_line(group *g, const awc_invoice_line *l)
{
    awc_invoice_line *nl = awc_grow(g->lines, &g->cap, g->n, sizeof(*nl), 256);

    if (!nl)
        return AWC_ENOMEM;
    g->lines = nl;
    g->lines[g->n] = *l;
    g->lines[g->n].reseller_id = g->lines[g->n].currency = NULL;
    g->lines[g->n].customer_id = g->lines[g->n].asset_id = NULL;
    g->lines[g->n].description = g->lines[g->n].period = NULL;
    g->n++;
    return 0;
}

static int push_seq(group *g, uint64_t seq)
{
    uint64_t *ns;

    if (g->nseqs && g->seqs[g->nseqs - 1] == seq)
        return 0;
    if (!(ns = awc_grow(g->seqs, &g->seqcap, g->nseqs, sizeof(*ns), 256)))
        return AWC_ENOMEM;
    g->seqs = ns;
    g->seqs[g->nseqs++] = seq;
    return 0;
}

/* The external id's stem: period, a digest of the reseller id (and the
 * customer id when files are per customer; any text is allowed there, the
 * platform's id field is ASCII) and the currency. */
static void stem_of(char *out, size_t n, const char *period, const char *reseller,
                    const char *customer, const char *currency)
{
    char hex[AWC_SHA256_HEXLEN + 1], key[AWC_CODE_MAX * 8 + 2];
    snprintf(key, sizeof(key), "%s%s%s", reseller, customer ? "\n" : "",
             customer ? customer : "");
    awc_sha256_hex(hex, key, strlen(key));
    snprintf(out, n, "awscredit:%s:%.16s:%s", period, hex, currency);
}

static int flush_group(group *g)
{
    awc_outbox_file f;
    int rc;

    if (!g->nseqs)
        return 0;
    if (!g->n) {
        /* every line is retained or zero: nothing to hand over, no file */
        g->nothing += g->nseqs;
        g->nseqs = 0;
        return 0;
    }
    memset(&f, 0, sizeof(f));
    stem_of(f.external_id, sizeof(f.external_id), g->period, g->reseller,
            g->m->cfg.invoicing.by_customer ? g->customer : NULL, g->currency);
    snprintf(f.period, sizeof(f.period), "%s", g->period);
    snprintf(f.reseller_id, sizeof(f.reseller_id), "%s", g->reseller);
    snprintf(f.currency, sizeof(f.currency), "%s", g->currency);
    snprintf(f.adapter, sizeof(f.adapter), "%s", g->m->cfg.invoicing.adapter);
    rc = g->st->ops->outbox_create(g->st, &f, g->lines, g->n, g->seqs, g->nseqs);
    g->files++;
    g->records += g->n;
    g->n = g->nseqs = 0;
    return rc;
}

static int on_line(void *arg, const awc_invoice_line *l)
{
    group *g = arg;
    int rc;

    if (strcmp(l->reseller_id, g->reseller) != 0 || strcmp(l->currency, g->currency) != 0 ||
        (g->m->cfg.invoicing.by_customer && strcmp(l->customer_id, g->customer) != 0)) {
        if ((rc = flush_group(g)) != 0)
            return rc;
        snprintf(g->reseller, sizeof(g->reseller), "%s", l->reseller_id);
        snprintf(g->customer, sizeof(g->customer), "%s", l->customer_id);
        snprintf(g->currency, sizeof(g->currency), "%s", l->currency);
    }
    if ((rc = push_seq(g, l->seq)) != 0)
        return rc;
    return l->line_no > 0 ? push_line(g, l) : 0;
}

static int prepare(awc_store *st, void *arg)
{
    group *g = arg;
    int rc;

    g->n = g->nseqs = g->files = g->records = g->nothing = 0;
    g->reseller[0] = g->customer[0] = g->currency[0] = '\0';
    if ((rc = st->ops->invoice_lines(st, g->period, on_line, g)) != 0)
        return rc;
    return flush_group(g);
}

/* ---- sending ---------------------------------------------------------------------- */

typedef struct sender {
    awc_module *m;
    const awc_call *c;
    awc_store *st;
    awc_invoicing *inv;
    awc_usage_record *recs;
    char **notes;
    size_t n, cap;
    int exponent;
    char start[24], end[24];
    const awc_outbox_file *f;
    char prefix[AWC_CREDIT_PREFIX_MAX + 1];
    size_t sent, adopted, records, failed, refused;
    size_t others;                 /* files another host was sending */
    int first_rc;
    char first_err[AWC_ERRMSG_MAX];
} sender;

static int on_record(void *arg, const awc_outbox_record *r)
{
    sender *s = arg;
    char id[AWC_CREDIT_ID_BUFSZ], *note;
    awc_usage_record *u;
    size_t len;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        awc_usage_record *nr = awc_realloc(s->recs, cap * sizeof(*nr));
        char **nn = nr ? awc_realloc(s->notes, cap * sizeof(*nn)) : NULL;
        if (nr)
            s->recs = nr;
        if (!nr || !nn)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        s->notes = nn;
        s->cap = cap;
    }
    awc_credit_id_format(id, sizeof(id), s->prefix, r->seq);
    len = strlen(id) + 40 + strlen(r->target) + strlen(r->description);
    note = awc_malloc(len);
    if (!note)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if (strcmp(r->target, "customer") == 0)
        snprintf(note, len, "%s %s", id, r->description);
    else
        snprintf(note, len, "%s [%s share] %s", id, r->target, r->description);
    s->notes[s->n] = note;
    u = &s->recs[s->n++];
    memset(u, 0, sizeof(*u));
    u->note = note;
    u->item_mpn = s->m->cfg.invoicing.item_mpn ? s->m->cfg.invoicing.item_mpn : "AWS-CREDIT";
    u->amount_minor = r->amount_minor;
    u->exponent = s->exponent;
    u->start_utc = s->start;
    u->end_utc = s->end;
    u->asset_id = awc_strdup(r->asset_id);
    u->customer_id = awc_strdup(r->customer_id);
    u->reseller_id = s->f->reseller_id;
    u->currency = s->f->currency;
    u->seq = r->seq;
    u->line_no = r->line_no;
    if (!u->asset_id || !u->customer_id)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    return 0;
}

static void free_records(sender *s)
{
    for (size_t i = 0; i < s->n; i++) {
        awc_free(s->notes[i]);
        awc_free((char *)s->recs[i].asset_id);
        awc_free((char *)s->recs[i].customer_id);
    }
    s->n = 0;
}

/* Test builds only: stop dead at a named point, as a crash would. */
static void fault_point(const char *name)
{
#ifdef AWC_TEST_BUILD
    const char *f = getenv("AWC_FAULT");
    if (f && strcmp(f, name) == 0)
        _exit(75);
#else
    (void)name;
#endif
}

static int send_file(void *arg, const awc_outbox_file *f)
{
    sender *s = arg;
    awc_uf_state state;
    awc_usage_file uf;
    char (*ids)[AWC_UF_ID_MAX] = NULL;
    const char **ptrs = NULL;
    size_t got = 0;
    int rc;

    if (strcmp(f->adapter, s->m->cfg.invoicing.adapter) != 0)
        return awc_error_set(AWC_ECONFIG, "usage file %s was prepared for the %s adapter, "
                             "but invoicing.adapter is %s: finish it with that adapter",
                             f->external_id, f->adapter, s->m->cfg.invoicing.adapter);
    s->f = f;
    s->exponent = awc_currency_exponent(f->currency);
    if (s->exponent < 0)
        return awc_error_set(AWC_EBADINPUT, "unknown currency %s", f->currency);
    snprintf(s->start, sizeof(s->start), "%s-01T00:00:00Z", f->period);
    {
        char first[11], next[11];
        snprintf(first, sizeof(first), "%s-01", f->period);
        awc_date_add(next, first, 31);
        snprintf(s->end, sizeof(s->end), "%.7s-01T00:00:00Z", next);
    }
    if ((rc = s->st->ops->outbox_records(s->st, f->local_id, on_record, s)) != 0)
        goto out;
    ids = awc_calloc(s->n ? s->n : 1, sizeof(*ids));
    if (!ids) {
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = s->st->ops->outbox_set_status(s->st, f->local_id, AWC_OB_SENDING, NULL)) != 0)
        goto out;
    memset(&state, 0, sizeof(state));
    if ((rc = s->inv->ops->find(s->inv, f->external_id, &state)) != 0)
        goto out;
    uf = (awc_usage_file){ f->external_id, f->period, f->reseller_id, f->currency, s->recs, s->n };
    if (state.status != AWC_UF_UNKNOWN && state.records == s->n) {
        /* the platform has it all already: adopt, do not send again */
        if (!s->inv->ops->records) {
            rc = awc_error_set(AWC_ENOTSUP, "invoicing adapter cannot list record ids");
            goto out;
        }
        rc = s->inv->ops->records(s->inv, state.usage_file_id, ids, s->n, &got);
        if (rc == 0 && got != s->n)
            rc = awc_error_set(AWC_ENET, "platform lists %zu records for %s, expected %zu",
                               got, state.usage_file_id, s->n);
        s->adopted++;
    } else {
        rc = s->inv->ops->send(s->inv, &uf, &state, ids);
        s->sent++;
    }
    if (rc != 0)
        goto out;
    fault_point("after-send");
    ptrs = awc_calloc(s->n ? s->n : 1, sizeof(*ptrs));
    if (!ptrs) {
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->n; i++)
        ptrs[i] = ids[i];
    rc = s->st->ops->outbox_confirm(s->st, f->local_id, state.usage_file_id, ptrs, s->n,
                                    s->c->actor);
    s->records += s->n;
    if (rc == 0 && state.status == AWC_UF_REJECTED) {
        /* the platform has the file but refused its content (Connect: invalid,
         * or rejected before a crashed run came back): back to ASSIGNED now,
         * with the platform's note, rather than at the next reconcile */
        rc = s->st->ops->outbox_settle(s->st, f->local_id, AWC_OB_REJECTED, state.note,
                                       s->c->actor);
        s->records -= s->n;
        s->refused++;
        if (rc == 0)
            rc = awc_error_set(AWC_EBADINPUT, "usage file %s (%s) was refused by the platform "
                               "and its credits are ASSIGNED again: %s", state.usage_file_id,
                               f->external_id, state.note[0] ? state.note : "(no note)");
    }
out:
    if (rc != 0 && !strstr(awc_error_last(), f->external_id))
        awc_error_prefix(rc, "usage file %s", f->external_id);
    awc_free(ids);
    awc_free(ptrs);
    free_records(s);
    return rc;
}

/* Is the file (local id *arg) still prepared or half sent? */
static int still_open(void *arg, const awc_outbox_file *f)
{
    uint64_t *want = arg;
    if (f->local_id == *want)
        *want = 0;
    return 0;
}

/* Claim the file, then send it unless another host finished it: 0 done or
 * skipped, else an error. */
static int claim_and_send(sender *s, const awc_outbox_file *f)
{
    char claim[64];
    uint64_t want = f->local_id;
    int rc;

    snprintf(claim, sizeof(claim), "awscredit.uf.%llu", (unsigned long long)f->local_id);
    if ((rc = s->st->ops->lock(s->st, claim)) == AWC_ELOCKED) {
        awc_error_clear();
        s->others++;
        return 0;
    }
    if (rc != 0)
        return rc;
    rc = s->st->ops->outbox_files(s->st, f->period,
                                  (1u << AWC_OB_PREPARED) | (1u << AWC_OB_SENDING),
                                  still_open, &want);
    if (rc == 0 && want == 0)
        rc = send_file(s, f);
    s->st->ops->unlock(s->st, claim);
    return rc;
}

/* One file failing does not stop the others; the first error is kept and
 * returned at the end. */
static int send_or_note(void *arg, const awc_outbox_file *f)
{
    sender *s = arg;
    int rc = claim_and_send(s, f);

    if (rc != 0) {
        s->failed++;
        awc_mod_log(s->m, AWC_LOG_ERROR, "%s", awc_error_last());
        if (!s->first_rc) {
            s->first_rc = rc;
            snprintf(s->first_err, sizeof(s->first_err), "%s", awc_error_last());
        }
    }
    return 0;
}

static int open_adapter(awc_module *m, awc_invoicing **out)
{
    awc_invoicing_params p;

    memset(&p, 0, sizeof(p));
    p.spool_dir = m->cfg.invoicing.spool_dir;
    p.url = m->cfg.invoicing.url;
    p.timeout = m->cfg.invoicing.timeout;
    p.connect_timeout = m->cfg.aws.connect_timeout;
    p.ca_file = m->cfg.aws.ca_file;
    p.user_env = m->cfg.invoicing.user_env;
    p.password_env = m->cfg.invoicing.password_env;
    p.connect_url = m->cfg.connect.url;
    p.api_key_env = m->cfg.connect.api_key_env;
    p.product_id = m->cfg.connect.product_id;
    p.contract_id = m->cfg.connect.contract_id;
    p.category = m->cfg.connect.category;
    if (strcmp(m->cfg.invoicing.adapter, "connect") == 0)
        return awc_invoicing_connect_open(out, &p);
    if (strcmp(m->cfg.invoicing.adapter, "xmlrpc") == 0) {
        if (!p.url)
            return awc_error_set(AWC_ECONFIG, "invoicing.url is required for the xmlrpc adapter");
        return awc_invoicing_xmlrpc_open(out, &p);
    }
    if (!p.spool_dir)
        return awc_error_set(AWC_ECONFIG, "invoicing.spool_dir is required for the spool adapter");
    return awc_invoicing_spool_open(out, &p);
}

int awc_invoice_run(awc_module *m, const awc_call *c, const char *period, size_t *files,
                    size_t *records)
{
    group g;
    sender s;
    awc_store *st;
    int rc, locked = 1;

    char lock[64];

    memset(&g, 0, sizeof(g));
    memset(&s, 0, sizeof(s));
    if ((rc = awc_mod_store(m, &st)) != 0 || (rc = awc_mod_period_open(m, st, period, "invoice")))
        return rc;
    /* the adapter first: a misconfigured one must not leave credits marked */
    if ((rc = open_adapter(m, &s.inv)) != 0)
        return rc;
    /* one host prepares the period's files at a time: another host that is
     * preparing is waited for (PREPARE_WAIT s: one transaction), then this
     * one shares the sending */
    snprintf(lock, sizeof(lock), "awscredit.invoice.%.7s", period);
    for (int tries = 0; (rc = st->ops->lock(st, lock)) == AWC_ELOCKED &&
                        tries < PREPARE_WAIT * 5; tries++) {
        awc_error_clear();
        usleep(200000);
    }
    if (rc != 0) {
        s.inv->ops->close(s.inv);
        return rc == AWC_ELOCKED ? awc_error_prefix(AWC_ELOCKED, "invoice %s: another process "
                                                    "is invoicing this period", period) : rc;
    }
    g.m = m;
    g.st = st;
    g.period = period;
    rc = awc_error_busy(st->ops->tx(st, prepare, &g), "run the invoice again");
    st->ops->unlock(st, lock); /* the files are claimed one by one */
    locked = 0;
    awc_free(g.lines);
    awc_free(g.seqs);
    if (rc != 0) {
        awc_error_prefix(rc, "invoice %s: nothing was prepared", period);
        goto out;
    }
    fault_point("after-prepare");
    if (g.nothing)
        awc_mod_log(m, AWC_LOG_WARN, "invoice %s: %zu assigned credit%s nothing to hand over "
                    "(every line retained or zero) and stay%s ASSIGNED", period, g.nothing,
                    g.nothing == 1 ? " has" : "s have", g.nothing == 1 ? "s" : "");
    s.m = m;
    s.c = c;
    s.st = st;
    snprintf(s.prefix, sizeof(s.prefix), "%s", m->cfg.ids.prefix);
    for (int waited = 0;; waited++) {
        s.others = 0;
        rc = st->ops->outbox_files(st, period, (1u << AWC_OB_PREPARED) | (1u << AWC_OB_SENDING),
                                   send_or_note, &s);
        if (rc != 0 || s.first_rc || !s.others)
            break;
        if (waited == OTHERS_WAIT) {
            rc = awc_error_set(AWC_ELOCKED, "invoice %s: %zu usage file%s still claimed by "
                               "another host after %d s; run the invoice again later", period,
                               s.others, s.others == 1 ? " is" : "s are", OTHERS_WAIT);
            break;
        }
        sleep(1);
    }
    if (rc == 0 && s.first_rc)
        rc = awc_error_set(s.first_rc, "invoice %s: %zu usage file%s failed, the others went "
                           "through; first: %s", period, s.failed, s.failed == 1 ? "" : "s",
                           s.first_err);
out:
    if (locked)
        st->ops->unlock(st, lock);
    s.inv->ops->close(s.inv);
    awc_free(s.recs);
    awc_free(s.notes);
    *files = s.sent + s.adopted - s.refused;
    *records = s.records;
    return rc;
}

int awc_op_invoice(awc_module *m, const awc_call *c, const char *period)
{
    size_t files = 0, records = 0;
    int rc;

    awc_op_begin();
    if (!period)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "invoice: --period YYYY-MM is required"));
    if ((rc = awc_period_check(period)) != 0)
        return awc_op_end(c, rc);
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "invoice: only a distributor invoices"));
    rc = awc_invoice_run(m, c, period, &files, &records);
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "period", json_string(period)) |
                  awc_json_set(doc, "usage_files", json_integer((json_int_t)files)) |
                  awc_json_set(doc, "usage_records", json_integer((json_int_t)records));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "invoice %s: %zu usage file%s handed over, %zu record%s; their "
                            "credits are PROCESSING\n", period, files, files == 1 ? "" : "s",
                            records, records == 1 ? "" : "s");
    }
    return awc_op_end(c, rc);
}

/* ---- reconcile ------------------------------------------------------------------------ */

typedef struct recon {
    awc_module *m;
    const awc_call *c;
    awc_store *st;
    awc_invoicing *inv;
    size_t closed, rejected, accepted, waiting, foreign, failed;
    int first_rc;
    char first_err[AWC_ERRMSG_MAX];
} recon;

static int settle_file(void *arg, const awc_outbox_file *f)
{
    recon *r = arg;
    awc_uf_state state;
    int rc;

    if (!f->usage_file_id[0])
        return 0;
    if (strcmp(f->adapter, r->m->cfg.invoicing.adapter) != 0) {
        awc_mod_log(r->m, AWC_LOG_ERROR, "usage file %s went out through the %s adapter; "
                    "reconcile it with invoicing.adapter = %s", f->usage_file_id, f->adapter,
                    f->adapter);
        r->foreign++;
        return 0;
    }
    memset(&state, 0, sizeof(state));
    if ((rc = r->inv->ops->status(r->inv, f->usage_file_id, &state)) != 0)
        return awc_error_prefix(rc, "usage file %s", f->usage_file_id);
    /* counted once the store took it */
    switch (state.status) {
    case AWC_UF_CLOSED:
        if ((rc = r->st->ops->outbox_settle(r->st, f->local_id, AWC_OB_CLOSED, state.note,
                                            r->c->actor)) == 0)
            r->closed++;
        return rc;
    case AWC_UF_REJECTED:
        awc_mod_log(r->m, AWC_LOG_WARN, "usage file %s rejected: %s", f->usage_file_id,
                    state.note[0] ? state.note : "(no note)");
        if ((rc = r->st->ops->outbox_settle(r->st, f->local_id, AWC_OB_REJECTED, state.note,
                                            r->c->actor)) == 0)
            r->rejected++;
        return rc;
    case AWC_UF_ACCEPTED:
        rc = f->status == AWC_OB_ACCEPTED
                 ? 0 : r->st->ops->outbox_set_status(r->st, f->local_id, AWC_OB_ACCEPTED, NULL);
        r->accepted += rc == 0;
        return rc;
    case AWC_UF_PENDING:
    case AWC_UF_UNKNOWN:
        r->waiting++;
        return 0;
    }
    return 0;
}

/* One file that cannot be settled (a malformed or unreadable answer, a
 * file the platform does not know, a state the credits cannot take) does
 * not stop the others: it stays as it is, is counted, and the first error
 * is returned at the end.  What would fail every file alike (the
 * database, the platform unreachable, memory, a lock) stops at once. */
static int settle_or_note(void *arg, const awc_outbox_file *f)
{
    recon *r = arg;
    int rc = settle_file(r, f);

    if (rc == 0 || !(rc == AWC_EBADINPUT || rc == AWC_EIO || rc == AWC_ENOTFOUND ||
                     rc == AWC_EINVALID_TRANSITION || rc == AWC_EREADONLY))
        return rc;
    r->failed++;
    awc_mod_log(r->m, AWC_LOG_ERROR, "%s", awc_error_last());
    if (!r->first_rc) {
        r->first_rc = rc;
        snprintf(r->first_err, sizeof(r->first_err), "%s", awc_error_last());
    }
    return 0;
}

int awc_op_reconcile(awc_module *m, const awc_call *c)
{
    recon r;
    int rc;

    awc_op_begin();
    memset(&r, 0, sizeof(r));
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "reconcile: only a distributor "
                                                      "reconciles"));
    r.m = m;
    r.c = c;
    if ((rc = awc_mod_store(m, &r.st)) != 0 || (rc = open_adapter(m, &r.inv)) != 0)
        return awc_op_end(c, rc);
    if ((rc = r.st->ops->lock(r.st, "awscredit.reconcile")) != 0) {
        r.inv->ops->close(r.inv);
        return awc_op_end(c, rc == AWC_ELOCKED ? awc_error_prefix(AWC_ELOCKED, "reconcile: "
                                                 "another process is reconciling") : rc);
    }
    rc = r.st->ops->outbox_files(r.st, NULL, (1u << AWC_OB_SENT) | (1u << AWC_OB_ACCEPTED),
                                 settle_or_note, &r);
    r.st->ops->unlock(r.st, "awscredit.reconcile");
    r.inv->ops->close(r.inv);
    if (rc == 0 && r.first_rc)
        rc = awc_error_set(r.first_rc, "reconcile: %zu usage file%s could not be settled and "
                           "stay as they are; the others were (%zu closed, %zu rejected, %zu "
                           "accepted, %zu waiting); first: %s", r.failed,
                           r.failed == 1 ? "" : "s", r.closed, r.rejected, r.accepted,
                           r.waiting, r.first_err);
    if (rc == 0 && r.foreign)
        rc = awc_error_set(AWC_ECONFIG, "reconcile: %zu usage file%s went out through another "
                           "adapter and %s not checked; the others were", r.foreign,
                           r.foreign == 1 ? "" : "s", r.foreign == 1 ? "was" : "were");
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "closed", json_integer((json_int_t)r.closed)) |
                  awc_json_set(doc, "rejected", json_integer((json_int_t)r.rejected)) |
                  awc_json_set(doc, "accepted", json_integer((json_int_t)r.accepted)) |
                  awc_json_set(doc, "waiting", json_integer((json_int_t)r.waiting));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "reconcile: %zu closed (credits PROCESSED), %zu rejected (credits "
                            "back to ASSIGNED), %zu accepted, %zu waiting\n", r.closed,
                            r.rejected, r.accepted, r.waiting);
    }
    return awc_op_end(c, rc);
}

/* ---- close ---------------------------------------------------------------------------------- */

static int count_file(void *arg, const awc_outbox_file *f)
{
    (void)f;
    (*(size_t *)arg)++;
    return 0;
}

typedef struct open_count {
    size_t pending, assigned;
} open_count;

static int count_open(void *arg, const awc_credit_row *r)
{
    open_count *k = arg;
    if (r->c.state == AWC_PENDING_ASSIGN)
        k->pending++;
    else
        k->assigned++;
    return 0;
}

int awc_op_close_period(awc_module *m, const awc_call *c, const char *period)
{
    awc_store *st;
    int rc;

    awc_op_begin();
    if (!period)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "close: --period YYYY-MM is required"));
    if ((rc = awc_period_check(period)) != 0)
        return awc_op_end(c, rc);
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "close: only a distributor closes a "
                                                      "period"));
    if ((rc = awc_mod_period_when(c, period, "close", 1)) != 0)
        return awc_op_end(c, rc);
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    size_t halfway = 0;
    if ((rc = st->ops->outbox_files(st, period, (1u << AWC_OB_PREPARED) |
                                    (1u << AWC_OB_SENDING), count_file, &halfway)) != 0)
        return awc_op_end(c, rc);
    if (halfway)
        /* a state to change first, not a wait: 65, not 75 */
        return awc_op_end(c, awc_error_set(AWC_EINVALID_TRANSITION, "close: %zu usage file%s "
                                           "of %s %s not reached the platform yet; run "
                                           "'awscredit invoice --period %s' first", halfway,
                                           halfway == 1 ? "" : "s", period,
                                           halfway == 1 ? "has" : "have", period));
    if ((rc = st->ops->period_close(st, period, c->actor)) != 0)
        return awc_op_end(c, rc);
    open_count k = { 0, 0 };
    awc_query q;
    memset(&q, 0, sizeof(q));
    q.period_from = q.period_to = period;
    q.status_mask = (1u << AWC_PENDING_ASSIGN) | (1u << AWC_ASSIGNED);
    if ((rc = st->ops->credits_query(st, &q, count_open, &k)) != 0)
        return awc_op_end(c, rc);
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "period", json_string(period)) |
                  awc_json_set(doc, "closed", json_true()) |
                  awc_json_set(doc, "pending_left", json_integer((json_int_t)k.pending)) |
                  awc_json_set(doc, "assigned_left", json_integer((json_int_t)k.assigned));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else {
        rc = awc_out_printf(c, "close: period %s is closed; assign, edit and invoice are "
                            "refused for it from now on\n", period);
        if (rc == 0 && (k.pending || k.assigned))
            rc = awc_out_printf(c, "close: note: %zu credit%s PENDING_ASSIGN and %zu ASSIGNED "
                                "stay as they are in the closed period\n", k.pending,
                                k.pending == 1 ? " is" : "s are", k.assigned);
    }
    return awc_op_end(c, rc);
}
