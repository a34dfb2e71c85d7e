/*
 * test_invoicing_connect.c -- the connect invoicing adapter without a
 * network (docs/INVOICING-CONNECT.md): what open() accepts and refuses
 * (the token's variable, its value never in a message, https only except to
 * this machine, Connect ids), the record ids made from the file id, and bad
 * ids refused before any request.  The conversation with Connect itself is
 * tested against the stand-in by tests/integration/test_cycle_connect.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "awc.h"
#include "invoicing.h"

#define VAR "AWC_TEST_CONNECT_KEY"
#define SECRET "SU-TEST-9:hunter2pw"

static awc_invoicing_params params(const char *url)
{
    awc_invoicing_params p;

    memset(&p, 0, sizeof(p));
    p.connect_url = url;
    p.api_key_env = VAR;
    p.product_id = "PRD-100-200-300";
    p.contract_id = "CRD-00000-11111-22222";
    p.timeout = 5;
    return p;
}

static int try_open(const awc_invoicing_params *p)
{
    awc_invoicing *inv = (awc_invoicing *)p;   /* must be set to NULL on error */
    int rc;

    awc_error_clear();
    rc = awc_invoicing_connect_open(&inv, p);
    if (rc == 0) {
        assert_non_null(inv);
        inv->ops->close(inv);
    } else {
        assert_null(inv);
    }
    return rc;
}

static void opens(void **state)
{
    awc_invoicing_params p = params("https://api.connect.cloudblue.com/public/v1/");

    (void)state;
    setenv(VAR, SECRET, 1);
    assert_int_equal(try_open(&p), 0);
    setenv(VAR, "ApiKey " SECRET, 1);                /* the prefix may be there */
    assert_int_equal(try_open(&p), 0);
    p = params("http://127.0.0.1:8080/public/v1");   /* plain http to this machine */
    assert_int_equal(try_open(&p), 0);
    p.category = "CAT-AWS";
    assert_int_equal(try_open(&p), 0);
}

static void token_refused_unseen(void **state)
{
    awc_invoicing_params p = params("https://api.connect.cloudblue.com/public/v1");

    (void)state;
    unsetenv(VAR);
    assert_int_equal(try_open(&p), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), VAR));
    assert_non_null(strstr(awc_error_last(), "not set"));
    setenv(VAR, "", 1);
    assert_int_equal(try_open(&p), AWC_ECONFIG);
    /* a header injection attempt is refused, and not echoed */
    setenv(VAR, SECRET "\r\nX-Evil: 1", 1);
    assert_int_equal(try_open(&p), AWC_ECONFIG);
    assert_null(strstr(awc_error_last(), "hunter2"));
    assert_null(strstr(awc_error_last(), "Evil"));
}

static void urls_and_ids(void **state)
{
    static const char *const bad_urls[] = {
        "http://api.connect.cloudblue.com/public/v1",   /* the token over plain http */
        "https://user:pw@api.connect.cloudblue.com/public/v1",
        "ftp://api.connect.cloudblue.com/",
        "https://api.connect.cloudblue.com/public/v1?x=1",
        "not a url",
    };
    awc_invoicing_params p;

    (void)state;
    setenv(VAR, SECRET, 1);
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        p = params(bad_urls[i]);
        print_message("%s\n", bad_urls[i]);
        assert_int_equal(try_open(&p), AWC_ECONFIG);
        assert_null(strstr(awc_error_last(), "hunter2"));
        assert_null(strstr(awc_error_last(), ":pw@"));
    }
    p = params("https://api.connect.cloudblue.com/public/v1");
    p.product_id = "PRD-1),or(eq(id,x)";
    assert_int_equal(try_open(&p), AWC_ECONFIG);
    p = params("https://api.connect.cloudblue.com/public/v1");
    p.contract_id = NULL;
    assert_int_equal(try_open(&p), AWC_ECONFIG);
    p = params("https://api.connect.cloudblue.com/public/v1");
    p.category = "CAT 1";
    assert_int_equal(try_open(&p), AWC_ECONFIG);
    p = params("https://api.connect.cloudblue.com/public/v1");
    p.api_key_env = NULL;
    assert_int_equal(try_open(&p), AWC_ECONFIG);
}

/* Record ids come from the file id and the position; no request is made. */
static void record_ids(void **state)
{
    awc_invoicing_params p = params("http://127.0.0.1:9/public/v1");
    awc_invoicing *inv = NULL;
    char ids[3][AWC_UF_ID_MAX];
    awc_uf_state st;
    size_t n = 0;

    (void)state;
    setenv(VAR, SECRET, 1);
    assert_int_equal(awc_invoicing_connect_open(&inv, &p), 0);
    assert_int_equal(inv->ops->records(inv, "UF-2026-10-1002-3757", ids, 3, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ids[0], "UR-2026-10-1002-3757-0000-0001");
    assert_string_equal(ids[2], "UR-2026-10-1002-3757-0000-0003");
    /* an id that could change the request path is refused before any request */
    assert_int_equal(inv->ops->records(inv, "../x", ids, 3, &n), AWC_EUSAGE);
    assert_int_equal(inv->ops->status(inv, "UF-1/../../x", &st), AWC_EUSAGE);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(inv->ops->find(inv, "ext\nid", &st), AWC_EUSAGE);
    inv->ops->close(inv);
}

static int read1(const char *kind, const char *body, const char *header, awc_uf_state *st,
                 size_t *total)
{
    awc_error_clear();
    return awc_connect_read_answer(kind, body, strlen(body), header, "awscredit:2026-10:ab:USD:1",
                                   st, total);
}

/* Connect's statuses and notes as the module sees them. */
static void answers(void **state)
{
    awc_uf_state st;
    size_t total = 99;

    (void)state;
    assert_int_equal(read1("file", "{\"id\":\"UF-1\",\"status\":\"invalid\",\"error_detail\":"
                           "\"row 2: asset AS-1 not found\"}", NULL, &st, &total), 0);
    assert_int_equal(st.status, AWC_UF_REJECTED);
    assert_string_equal(st.note, "row 2: asset AS-1 not found");
    assert_int_equal(total, 0);
    assert_int_equal(read1("file", "{\"id\":\"UF-1\",\"status\":\"rejected\"}", NULL, &st,
                           &total), 0);
    assert_int_equal(st.status, AWC_UF_REJECTED);
    assert_string_equal(st.note, "rejected on Connect without a note");
    assert_int_equal(read1("file", "{\"id\":\"UF-1\",\"status\":\"ready\"}", NULL, &st,
                           &total), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(read1("file", "{\"id\":\"UF-1\",\"status\":\"closed\"}", NULL, &st,
                           &total), 0);
    assert_int_equal(st.status, AWC_UF_CLOSED);
    assert_int_equal(read1("file", "{\"id\":\"UF-1\",\"status\":\"weird\"}", NULL, &st,
                           &total), AWC_ENET);
    assert_int_equal(read1("file", "{\"id\":\"../UF-1\",\"status\":\"closed\"}", NULL, &st,
                           &total), AWC_ENET);
    assert_int_equal(read1("file", "{\"id\":\"UF-1\",\"id\":\"UF-2\",\"status\":\"closed\"}",
                           NULL, &st, &total), AWC_ENET);      /* duplicate keys refused */
    /* a page: deleted files skipped, the live one found, Content-Range read */
    assert_int_equal(read1("list", "[{\"id\":\"UF-1\",\"status\":\"deleted\"},"
                           "{\"id\":\"UF-2\",\"status\":\"pending\",\"external_id\":"
                           "\"awscredit:2026-10:ab:USD:1\"}]", "Content-Range: items 0-1/7\r\n",
                           &st, &total), 0);
    assert_string_equal(st.usage_file_id, "UF-2");
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(total, 7);
    assert_int_equal(read1("list", "[]", "content-range: items 0-0/0\r\n", &st, &total), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(total, 0);
    /* two live files with our external id, or one with another */
    assert_int_equal(read1("list", "[{\"id\":\"UF-2\",\"status\":\"draft\",\"external_id\":"
                           "\"awscredit:2026-10:ab:USD:1\"},{\"id\":\"UF-3\",\"status\":"
                           "\"draft\",\"external_id\":\"awscredit:2026-10:ab:USD:1\"}]", NULL,
                           &st, &total), AWC_ECONFLICT);
    assert_non_null(strstr(awc_error_last(), "UF-2 and UF-3"));
    assert_int_equal(read1("list", "[{\"id\":\"UF-2\",\"status\":\"draft\",\"external_id\":"
                           "\"other\"}]", NULL, &st, &total), AWC_ENET);
    /* an error body as one line: code and messages */
    assert_int_equal(read1("error", "{\"error_code\":\"VAL_001\",\"errors\":[\"name is "
                           "required\",\"bad\\nline\"]}", NULL, &st, &total), 0);
    assert_string_equal(st.note, "VAL_001: name is required; bad\nline");
    assert_int_equal(read1("error", "<html>502</html>", NULL, &st, &total), 0);
    assert_string_equal(st.note, "(no error_code)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opens),
        cmocka_unit_test(token_refused_unseen),
        cmocka_unit_test(urls_and_ids),
        cmocka_unit_test(record_ids),
        cmocka_unit_test(answers),
    };
    return cmocka_run_group_tests_name("invoicing_connect", tests, NULL, NULL);
}
