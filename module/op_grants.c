/* op_grants.c -- `grants import FILE`, `grant set ID` and `hierarchy import
 * FILE` (SPEC 16): a distributor's; the file is checked whole before
 * anything is written, and every change is an event with its actor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "date.h"
#include "grants_csv.h"
#include "mod.h"
#include "out.h"

#define GRANTS_FILE_MAX (256u * 1024 * 1024)

typedef struct node_set {
    char **ids;
    size_t n, cap;
} node_set;

static int on_node(void *arg, const awc_node_row *r)
{
    node_set *s = arg;
    char **a = awc_grow(s->ids, &s->cap, s->n, sizeof(*a), 256);
    if (!a)
        return AWC_ENOMEM;
    s->ids = a;
    if (!(a[s->n] = awc_strdup(r->node_id)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    s->n++;
    return 0;
}

static void node_set_free(node_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        awc_free(s->ids[i]);
    awc_free(s->ids);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int distributor(const awc_call *c, const char *what)
{
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_error_set(AWC_EPERM, "%s: only a distributor may change grants and the "
                             "hierarchy", what);
    return 0;
}

/* The event's detail: the row as imported. */
static char *detail_of(const awc_grant_rec *g)
{
    char amount[AWC_MONEY_BUFSZ];
    json_t *o = json_object();
    char *s;
    awc_money_format(amount, sizeof(amount), g->amount);
    if (!o || awc_json_set(o, "account_id", json_string(g->account_id)) |
                  awc_json_set(o, "credit_key", json_string(g->credit_key)) |
                  awc_json_set(o, "currency", json_string(g->currency)) |
                  awc_json_set(o, "amount", json_string(amount)) |
                  awc_json_set(o, "issue_date", awc_json_str_or_null(g->issue_date)) |
                  awc_json_set(o, "end_date", awc_json_str_or_null(g->end_date)) |
                  awc_json_set(o, "reference", json_string(g->reference)) |
                  awc_json_set(o, "node", awc_json_str_or_null(g->node_id)) |
                  awc_json_set(o, "products", json_string(g->products))) {
        json_decref(o);
        return NULL;
    }
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

int awc_op_grants_import(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    awc_csv_set s;
    node_set nodes = { NULL, 0, 0 };
    char **details = NULL;
    awc_store *st = NULL;
    char *text = NULL;
    size_t len = 0, added = 0;
    int rc;

    awc_op_begin();
    if (!a || !a->path || !*a->path)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "grants import: a CSV file is required"));
    if ((rc = distributor(c, "grants import")) != 0)
        return awc_op_end(c, rc);
    if ((rc = awc_file_read(&text, &len, a->path, GRANTS_FILE_MAX)) != 0)
        return awc_op_end(c, rc);
    awc_csv_set_init(&s, a->path);
    rc = awc_grants_csv_read(&s, text, len);
    if (rc == 0 && (rc = awc_mod_store(m, &st)) == 0 &&
        (rc = st->ops->nodes_each(st, NULL, on_node, &nodes)) == 0) {
        if (nodes.n > 1)
            qsort(nodes.ids, nodes.n, sizeof(*nodes.ids), by_str);
        awc_grants_csv_check_nodes(&s, nodes.ids, nodes.n);
    }
    if (rc == 0 && s.bad)
        rc = awc_error_set(AWC_EBADINPUT, "%lu bad row%s, nothing imported; first: %s", s.bad,
                           s.bad == 1 ? "" : "s", s.first_bad);
    if (rc == 0 && !(details = awc_calloc(s.n ? s.n : 1, sizeof(*details))))
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < s.n; i++)
        if (!(details[i] = detail_of(&s.grants[i])))
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
    if (rc == 0)
        rc = st->ops->grants_put(st, s.grants, (const char *const *)details, s.n, c->actor,
                                 &added);
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = !doc || awc_json_set(doc, "grants", json_integer((json_int_t)s.n)) |
                  awc_json_set(doc, "added", json_integer((json_int_t)added)) |
                  awc_json_set(doc, "updated", json_integer((json_int_t)(s.n - added)));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "grants: imported %zu grant%s (%zu new, %zu updated)\n", s.n,
                            s.n == 1 ? "" : "s", added, s.n - added);
    }
    for (size_t i = 0; details && i < s.n; i++)
        free(details[i]);          /* jansson's json_dumps allocates with malloc */
    awc_free(details);
    node_set_free(&nodes);
    awc_csv_set_free(&s);
    awc_free(text);
    return awc_op_end(c, rc);
}

int awc_op_grant_set(awc_module *m, const awc_call *c, const awc_grant_args *a)
{
    awc_grant_change ch;
    awc_amount amount;
    node_set nodes = { NULL, 0, 0 };
    awc_store *st;
    json_t *o;
    char *detail = NULL;
    int rc;

    awc_op_begin();
    if (!a || !a->grant_id || !*a->grant_id)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "grant set: a grant ID is required"));
    if ((rc = distributor(c, "grant set")) != 0)
        return awc_op_end(c, rc);
    if (!a->amount && !a->end_date && !a->reference && !a->node)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "grant set: nothing to change; give "
                                           "--amount, --end-date, --reference or --node"));
    memset(&ch, 0, sizeof(ch));
    ch.grant_id = a->grant_id;
    if (a->amount) {
        if (awc_money_parse(&amount, a->amount, strlen(a->amount)) != 0 || amount <= 0)
            return awc_op_end(c, awc_error_set(AWC_EUSAGE, "grant set: --amount '%.40s': "
                                               "expected a decimal greater than 0", a->amount));
        ch.amount = &amount;
    }
    if (a->end_date && a->end_date[0] && !awc_date_valid(a->end_date, strlen(a->end_date)))
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "grant set: --end-date '%.32s': expected "
                                           "YYYY-MM-DD, or '' for none", a->end_date));
    if (a->reference && (strlen(a->reference) > AWC_REFERENCE_MAX * 4 ||
                         strchr(a->reference, '\n')))
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "grant set: --reference: at most 512 "
                                           "characters on one line"));
    ch.end_date = a->end_date;
    ch.reference = a->reference;
    ch.node_id = a->node;
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    if (a->node && a->node[0]) {
        rc = st->ops->nodes_each(st, a->node, on_node, &nodes);
        node_set_free(&nodes);
        if (rc == AWC_ENOTFOUND)
            rc = awc_error_set(AWC_EUSAGE, "grant set: --node '%.128s': no such node in the "
                               "hierarchy", a->node);
        if (rc != 0)
            return awc_op_end(c, rc);
    }
    /* the event keeps what was asked for */
    o = json_object();
    if (o && (a->amount && awc_json_set(o, "amount", json_string(a->amount))))
        o = NULL;
    if (o && a->end_date && awc_json_set(o, "end_date", json_string(a->end_date)))
        o = NULL;
    if (o && a->reference && awc_json_set(o, "reference", json_string(a->reference)))
        o = NULL;
    if (o && a->node && awc_json_set(o, "node", json_string(a->node)))
        o = NULL;
    if (!o || !(detail = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS))) {
        json_decref(o);
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    }
    ch.detail = detail;
    rc = st->ops->grant_set(st, &ch, c->actor);
    free(detail);
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = !doc || awc_json_set(doc, "grant_id", json_string(a->grant_id)) |
                  awc_json_set(doc, "changed", o ? json_incref(o) : NULL);
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "grant %s: changed\n", a->grant_id);
    }
    json_decref(o);
    return awc_op_end(c, rc);
}

/* hierarchy import: every grant allocated to a node must keep it. */
typedef struct kept {
    char **ids;                    /* the new hierarchy's node ids, sorted */
    size_t n;
    char grant[AWC_GRANT_ID_MAX * 4 + 1], node[AWC_CODE_MAX * 4 + 1];
} kept;

static int on_allocated(void *arg, const awc_grant_rec *g)
{
    kept *k = arg;
    const char *node = g->node_id;
    if (!node[0] || (k->n && bsearch(&node, k->ids, k->n, sizeof(*k->ids), by_str)))
        return 0;
    snprintf(k->grant, sizeof(k->grant), "%s", g->grant_id);
    snprintf(k->node, sizeof(k->node), "%s", node);
    return 1;                      /* found one: stop */
}

static int nodes_kept(awc_store *st, const awc_csv_set *s)
{
    kept k;
    int rc;

    memset(&k, 0, sizeof(k));
    if (!(k.ids = awc_calloc(s->n ? s->n : 1, sizeof(*k.ids))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++)
        k.ids[i] = (char *)s->nodes[i].node_id;
    k.n = s->n;
    if (k.n > 1)
        qsort(k.ids, k.n, sizeof(*k.ids), by_str);
    rc = st->ops->grants_all(st, on_allocated, &k);
    awc_free(k.ids);
    if (rc < 0)
        return rc;
    if (k.grant[0])
        return awc_error_set(AWC_EBADINPUT, "%s: grant %s is allocated to node %s, which the "
                             "file does not have; nothing imported (move the grant first: "
                             "grant set %s --node ...)", s->name, k.grant, k.node, k.grant);
    return 0;
}

int awc_op_hierarchy_import(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    awc_csv_set s;
    awc_store *st;
    char *text = NULL;
    size_t len = 0;
    int rc;

    awc_op_begin();
    if (!a || !a->path || !*a->path)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "hierarchy import: a CSV file is "
                                           "required"));
    if ((rc = distributor(c, "hierarchy import")) != 0)
        return awc_op_end(c, rc);
    if ((rc = awc_file_read(&text, &len, a->path, GRANTS_FILE_MAX)) != 0)
        return awc_op_end(c, rc);
    awc_csv_set_init(&s, a->path);
    rc = awc_hierarchy_csv_read(&s, text, len);
    if (rc == 0 && s.bad)
        rc = awc_error_set(AWC_EBADINPUT, "%lu bad row%s, nothing imported; first: %s", s.bad,
                           s.bad == 1 ? "" : "s", s.first_bad);
    if (rc == 0 && (rc = awc_mod_store(m, &st)) == 0 && (rc = nodes_kept(st, &s)) == 0)
        rc = st->ops->nodes_replace(st, s.nodes, s.n, c->actor);
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = !doc || awc_json_set(doc, "nodes", json_integer((json_int_t)s.n));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "hierarchy: imported %zu node%s; the previous hierarchy was "
                            "replaced\n", s.n, s.n == 1 ? "" : "s");
    }
    awc_csv_set_free(&s);
    awc_free(text);
    return awc_op_end(c, rc);
}
