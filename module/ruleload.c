/* ruleload.c -- stored rule definitions <-> rules. */
#include <stdio.h>
#include <string.h>

#include "awc.h"
#include "ruleload.h"
#include "rules_xml.h"

typedef struct loader {
    awc_rule *rules;
    size_t n, cap;
} loader;

static int on_row(void *arg, const awc_rule_row *row)
{
    loader *l = arg;
    awc_rule *one = NULL, *nr;
    size_t n = 0;
    char name[96];
    int rc;

    snprintf(name, sizeof(name), "stored rule %s", row->id);
    if ((rc = awc_rules_xml_parse(row->definition, strlen(row->definition), name, &one, &n)) != 0)
        return rc;
    if (n != 1) {
        awc_rules_free(one, n);
        return awc_error_set(AWC_EDB, "%s: expected one rule in its definition", name);
    }
    if (!(nr = awc_grow(l->rules, &l->cap, l->n, sizeof(*nr), 64))) {
        awc_rules_free(one, n);
        return AWC_ENOMEM;
    }
    l->rules = nr;
    l->rules[l->n++] = one[0]; /* take the contents; free only the array */
    awc_free(one);
    return 0;
}

int awc_rules_load(awc_rule **out, size_t *n, awc_store *st)
{
    loader l = { NULL, 0, 0 };
    int rc = st->ops->rules_each(st, on_row, &l);

    if (rc != 0) {
        awc_rules_free(l.rules, l.n);
        return rc;
    }
    *out = l.rules;
    *n = l.n;
    return 0;
}

int awc_ruleset_load(awc_ruleset **out, awc_store *st)
{
    awc_rule *rules = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    if ((rc = awc_rules_load(&rules, &n, st)) != 0)
        return rc;
    if (n)
        rc = awc_ruleset_new(out, rules, n);
    awc_rules_free(rules, n);
    return rc;
}

/* A growing text buffer for the XML writer. */
typedef struct text {
    char *p;
    size_t n, cap;
} text;

static int text_write(void *ctx, const char *buf, size_t len)
{
    text *t = ctx;
    if (t->n + len + 1 > t->cap) {
        size_t cap = (t->n + len + 1) * 2;
        char *np = awc_realloc(t->p, cap);
        if (!np)
            return -1;
        t->p = np;
        t->cap = cap;
    }
    memcpy(t->p + t->n, buf, len);
    t->n += len;
    t->p[t->n] = '\0';
    return 0;
}

int awc_rules_store(awc_store *st, const awc_rule *rules, size_t n, const awc_actor *actor)
{
    awc_rule_row *rows = awc_calloc(n ? n : 1, sizeof(*rows));
    text *defs = awc_calloc(n ? n : 1, sizeof(*defs));
    char (*created)[32] = awc_calloc(n ? n : 1, sizeof(*created));
    int rc = 0;

    if (!rows || !defs || !created)
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char iso[AWC_RULE_CREATED_LEN + 1];
        if ((rc = awc_rules_xml_write(&rules[i], 1, text_write, &defs[i])) != 0)
            break;
        awc_rule_created_format(iso, sizeof(iso), rules[i].created);
        /* "2026-01-05T10:00:00Z" -> "2026-01-05 10:00:00" */
        snprintf(created[i], sizeof(created[i]), "%.10s %.8s", iso, iso + 11);
        rows[i].id = rules[i].id;
        rows[i].name = rules[i].name ? rules[i].name : "";
        rows[i].created = created[i];
        rows[i].match_kind = awc_match_kind_name(rules[i].match);
        rows[i].match_text = rules[i].match_text ? rules[i].match_text : "";
        rows[i].definition = defs[i].p;
    }
    if (rc == 0)
        rc = st->ops->rules_replace(st, rows, n, actor);
    for (size_t i = 0; defs && i < n; i++)
        awc_free(defs[i].p);
    awc_free(rows);
    awc_free(defs);
    awc_free(created);
    return rc;
}
