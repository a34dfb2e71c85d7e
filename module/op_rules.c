/* op_rules.c -- `rules import|export|validate`: XML (validated against
 * rules.xsd) or CSV, all or nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "mod.h"
#include "out.h"
#include "ruleload.h"
#include "rules_csv.h"
#include "rules_xml.h"

static int is_csv(const awc_file_args *a)
{
    size_t n;
    if (a->format)
        return strcmp(a->format, "csv") == 0;
    n = a->path ? strlen(a->path) : 0;
    return n > 4 && strcmp(a->path + n - 4, ".csv") == 0;
}

static int check_format(const awc_file_args *a)
{
    if (a->format && strcmp(a->format, "xml") != 0 && strcmp(a->format, "csv") != 0)
        return awc_error_set(AWC_EUSAGE, "rules: --format is xml or csv, not '%.20s'", a->format);
    return 0;
}

/* Read and parse a rules file, then build a ruleset from it (which checks
 * what a schema cannot: regexes, duplicate ids). */
static int parse_file(const awc_file_args *a, awc_rule **rules, size_t *n)
{
    awc_ruleset *rs = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!a || !a->path || !*a->path)
        return awc_error_set(AWC_EUSAGE, "rules: a FILE is required");
    if ((rc = check_format(a)) != 0 ||
        (rc = awc_file_read(&text, &len, a->path, AWC_RULES_XML_MAX_BYTES)) != 0)
        return rc;
    rc = is_csv(a) ? awc_rules_csv_parse(text, len, a->path, rules, n)
                   : awc_rules_xml_parse(text, len, a->path, rules, n);
    awc_free(text);
    if (rc == 0 && *n && (rc = awc_ruleset_new(&rs, *rules, *n)) != 0) {
        awc_rules_free(*rules, *n);
        *rules = NULL;
        *n = 0;
    }
    awc_ruleset_free(rs);
    return rc;
}

static int report(const awc_call *c, const char *verb, const char *path, size_t n)
{
    int rc;
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "file", json_string(path)) |
                  awc_json_set(doc, "rules", json_integer((json_int_t)n)) |
                  awc_json_set(doc, "result", json_string(verb));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return rc;
    }
    return awc_out_printf(c, "rules: %s: %zu rule%s %s\n", path, n, n == 1 ? "" : "s", verb);
}

int awc_op_rules_validate(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    awc_rule *rules = NULL;
    size_t n = 0;
    int rc;

    (void)m;
    awc_op_begin();
    if ((rc = parse_file(a, &rules, &n)) == 0)
        rc = report(c, "valid; nothing was changed", a->path, n);
    awc_rules_free(rules, n);
    return awc_op_end(c, rc);
}

int awc_op_rules_import(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    awc_rule *rules = NULL;
    awc_store *st;
    size_t n = 0;
    int rc;

    awc_op_begin();
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "rules import: only a distributor may "
                                                      "change the rules"));
    if ((rc = parse_file(a, &rules, &n)) == 0 && (rc = awc_mod_store(m, &st)) == 0 &&
        (rc = awc_rules_store(st, rules, n, c->actor)) == 0)
        rc = report(c, "imported; the previous rules were replaced", a->path, n);
    awc_rules_free(rules, n);
    return awc_op_end(c, rc);
}

/* Export to a file: written beside it, synced, renamed over it. */
typedef struct out_file {
    int fd;
} out_file;

static int file_write(void *ctx, const char *buf, size_t len)
{
    out_file *o = ctx;
    while (len) {
        ssize_t w = write(o->fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

static int call_write(void *ctx, const char *buf, size_t len)
{
    return awc_out_write(ctx, buf, len) == 0 ? 0 : -1;
}

int awc_op_rules_export(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    awc_rule *rules = NULL;
    awc_store *st;
    size_t n = 0;
    int to_file = a && a->path && *a->path && strcmp(a->path, "-") != 0;
    int csv = a && is_csv(a);
    char tmp[4096];
    out_file of = { -1 };
    int rc;

    awc_op_begin();
    if (c->actor->role == AWC_ROLE_RESELLER)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "rules export: the rules belong to the "
                                                      "distributor"));
    if ((a && (rc = check_format(a)) != 0) || (rc = awc_mod_store(m, &st)) != 0 ||
        (rc = awc_rules_load(&rules, &n, st)) != 0)
        return awc_op_end(c, rc);
    if (to_file) {
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", a->path, (long)getpid());
        of.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (of.fd < 0) {
            rc = awc_error_set(AWC_EIO, "rules export: %s: %s", a->path, strerror(errno));
            goto out;
        }
        rc = csv ? awc_rules_csv_write(rules, n, file_write, &of)
                 : awc_rules_xml_write(rules, n, file_write, &of);
        if (rc == 0 && (fsync(of.fd) != 0 || close(of.fd) != 0))
            rc = awc_error_set(AWC_EIO, "rules export: %s: %s", a->path, strerror(errno));
        else if (rc != 0)
            close(of.fd);
        if (rc == 0 && rename(tmp, a->path) != 0)
            rc = awc_error_set(AWC_EIO, "rules export: %s: %s", a->path, strerror(errno));
        if (rc != 0)
            unlink(tmp);
        if (rc == 0)
            rc = report(c, "exported", a->path, n);
    } else {
        rc = csv ? awc_rules_csv_write(rules, n, call_write, (void *)c)
                 : awc_rules_xml_write(rules, n, call_write, (void *)c);
    }
out:
    awc_rules_free(rules, n);
    return awc_op_end(c, rc);
}
