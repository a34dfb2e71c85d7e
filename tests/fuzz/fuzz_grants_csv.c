/*
 * fuzz_grants_csv.c -- the grants and hierarchy files of SPEC 16
 * (module/grants_csv.h).
 *
 * The input is read as a grants file and as a hierarchy file.  Besides the
 * sanitizers, checks (abort() when one fails): a good grant row has an
 * amount > 0, a 12-digit account, a three-letter currency and an end date
 * not before its issue date; a bad file names its first bad row "name:line:
 * field: why"; a hierarchy read without bad rows has unique ids and every
 * parent among them, and no node is its own ancestor.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "grants_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_grants_csv: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static long parent_of(const awc_csv_set *s, size_t i)
{
    for (size_t k = 0; k < s->n; k++)
        if (strcmp(s->nodes[k].node_id, s->nodes[i].parent_id) == 0)
            return (long)k;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    awc_csv_set s;
    int rc;

    awc_csv_set_init(&s, "f.csv");
    rc = awc_grants_csv_read(&s, (const char *)data, size);
    if (rc == 0) {
        for (size_t i = 0; i < s.n; i++) {
            const awc_grant_rec *g = &s.grants[i];
            CHECK(g->amount > 0);
            CHECK(strlen(g->account_id) == 12);
            CHECK(strlen(g->currency) == 3);
            CHECK(!g->end_date[0] || !g->issue_date[0] || strcmp(g->end_date, g->issue_date) >= 0);
        }
        if (s.bad)
            CHECK(strncmp(s.first_bad, "f.csv:", 6) == 0);
    } else {
        CHECK(awc_error_last()[0] != '\0');
    }
    awc_csv_set_free(&s);

    awc_csv_set_init(&s, "f.csv");
    rc = awc_hierarchy_csv_read(&s, (const char *)data, size);
    if (rc == 0 && s.bad == 0 && s.n <= 512) {
        for (size_t i = 0; i < s.n; i++) {
            long at = (long)i;
            size_t steps = 0;
            for (size_t k = i + 1; k < s.n; k++)
                CHECK(strcmp(s.nodes[i].node_id, s.nodes[k].node_id) != 0);
            if (s.nodes[i].parent_id[0])
                CHECK(parent_of(&s, i) >= 0);
            while (at >= 0 && s.nodes[at].parent_id[0]) {
                at = parent_of(&s, (size_t)at);
                CHECK(++steps <= s.n);     /* a cycle would walk for ever */
            }
        }
    } else if (rc == 0 && s.bad) {
        CHECK(strncmp(s.first_bad, "f.csv:", 6) == 0);
    }
    awc_csv_set_free(&s);
    return 0;
}
