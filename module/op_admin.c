/* op_admin.c -- `version` (no database) and `migrate`. */
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <mysql.h>
#include <zlib.h>

#include "mod.h"
#include "out.h"

int awc_op_version(awc_module *m, const awc_call *c)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    const char *maria = mysql_get_client_info();
    int rc;

    (void)m;
    awc_op_begin();
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object(), *mod = json_object(), *libs = json_object();
        char abi[16];
        snprintf(abi, sizeof(abi), "%d.%d", AWC_ABI_MAJOR, AWC_ABI_MINOR);
        int bad = awc_json_set(mod, "name", json_string("awscredit")) |
                  awc_json_set(mod, "version", json_string(AWC_VERSION)) |
                  awc_json_set(mod, "abi", json_string(abi)) |
                  awc_json_set(libs, "mariadb_connector_c", json_string(maria)) |
                  awc_json_set(libs, "libcurl", json_string(cv->version)) |
                  awc_json_set(libs, "libxml2", json_string(LIBXML_DOTTED_VERSION)) |
                  awc_json_set(libs, "jansson", json_string(JANSSON_VERSION)) |
                  awc_json_set(libs, "zlib", json_string(zlibVersion())) |
                  awc_json_set(doc, "module", mod) | awc_json_set(doc, "libraries", libs);
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return awc_op_end(c, rc);
    }
    rc = awc_out_printf(c,
                        "module     awscredit %s (ABI %d.%d)\n"
                        "libraries  MariaDB Connector/C %s, libcurl %s, libxml2 %s, "
                        "jansson %s, zlib %s\n",
                        AWC_VERSION, AWC_ABI_MAJOR, AWC_ABI_MINOR, maria, cv->version,
                        LIBXML_DOTTED_VERSION, JANSSON_VERSION, zlibVersion());
    return awc_op_end(c, rc);
}

int awc_op_migrate(awc_module *m, const awc_call *c)
{
    awc_store *st;
    int applied = 0, version = 0, rc;

    awc_op_begin();
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "migrate: only a distributor may "
                                                      "change the database schema"));
    m->migrating = 1;
    rc = awc_mod_store(m, &st);
    m->migrating = 0;
    if (rc != 0 || (rc = st->ops->migrate(st, &applied)) != 0 ||
        (rc = st->ops->schema_version(st, &version)) != 0)
        return awc_op_end(c, rc);
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "applied", json_integer(applied)) |
                  awc_json_set(doc, "schema_version", json_integer(version));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (applied) {
        rc = awc_out_printf(c, "migrate: applied %d migration%s; schema version %d\n",
                            applied, applied == 1 ? "" : "s", version);
    } else {
        rc = awc_out_printf(c, "migrate: schema is up to date (version %d)\n", version);
    }
    return awc_op_end(c, rc);
}
