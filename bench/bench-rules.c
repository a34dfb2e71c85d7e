/*
 * bench-rules.c -- rule evaluation in memory: how many credits per second
 * awc_ruleset_choose() assigns against a realistic rule set, on one core.
 *
 *   bench-rules [--credits N] [--rules M] [--sample K] [--seed S] [--repeat R]
 *
 * Defaults: 1,000,000 credits against 1,000 rules, timed R = 3 times and
 * the fastest pass reported (the machine may be busy); the brute-force scan
 * (awc_ruleset_choose_scan: every rule checked, the best kept) runs over
 * a sample of 10,000 of the same credits (at most 10,000), and must agree
 * with the index on every one of them.  Credits are made in batches of
 * 10,000 rows with their strings inline, as a batch read from the store
 * holds them; only the awc_ruleset_choose() calls are timed.  Everything is generated from a splitmix64 stream
 * (seed fixed unless --seed), so a run is repeatable.  Integer arithmetic
 * only; times from CLOCK_MONOTONIC.
 *
 * The rule mix follows what a distributor writes: account-specific rules,
 * customer- and reseller-specific ones (`only` lists), exact and prefix
 * descriptions for AWS programmes, service and type rules, a few general
 * `contains` / regex rules and catch-alls with `except` lists.  Credits
 * carry CUR-like descriptions (MAP "MPE" ids, EDP, SLA, POC, Marketplace
 * "credit id: NNNNNNNNNNN", ...), accounts owned by customers of resellers.
 *
 * Output (exit 1 when the index and the scan disagree):
 *   rules: 1000000 credits x 1000 rules: 0.42 s, 2380952 credits/s (target
 *   >= 1000000/s); brute force 1300 credits/s; index speed-up 1831x
 *   rules: thread CPU time: ... (the same from CLOCK_THREAD_CPUTIME_ID)
 *   rules: N of M credits matched a rule ...; index and scan disagree on 0
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awc.h"
#include "rule.h"

#define N_CUSTOMERS 2000
#define N_RESELLERS 60
#define N_ACCOUNTS 6000
#define N_DESCRIPTIONS 20000
#define TARGET 1000000

static uint64_t rng;

static uint64_t next(void)
{
    uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return (size_t)(next() % n);
}

static void die(const char *what)
{
    fprintf(stderr, "bench-rules: %s\n", what);
    exit(2);
}

static char *xstrdup(const char *s)
{
    char *d = awc_strdup(s);
    if (!d)
        die("out of memory");
    return d;
}

/* --- the universe ------------------------------------------------------------------ */

static const char *const services[] = {
    "AmazonEC2", "AmazonS3", "AmazonRDS", "AWSLambda", "AmazonCloudFront", "AmazonDynamoDB",
    "AmazonEKS", "AmazonECS", "AmazonRedshift", "AmazonSageMaker", "AmazonVPC", "AWSGlue",
    "AmazonElastiCache", "AmazonOpenSearchService", "AmazonKinesis", "AmazonSNS", "AmazonSQS",
    "AWSCloudTrail", "AmazonCloudWatch", "AWSBackup", "AmazonEFS", "AmazonFSx", "AmazonMSK",
    "AmazonAthena", "AWSDataTransfer", "AmazonRoute53", "AWSSecretsManager", "AWSKMS",
    "AmazonLightsail", "AmazonWorkSpaces",
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

static const char *const types[] = { "EDP", "MAP", "POC", "GRAVITON", "MARKETPLACE", "PARTNER",
                                     "SLA", "PROMOTIONAL" };

/* Description templates: a text, then (width > 0) a number of that many
 * digits; type indexes types[]. */
static const struct { const char *text; int width; int type; int weight; } templates[] = {
    { "AWS Migration Acceleration Program Credit MPE", 5, 1, 20 },
    { "MAP 2.0 migration credit, MPE", 5, 1, 8 },
    { "EDP Discount", 0, 0, 15 },
    { "EDP Discount ", 4, 0, 5 },
    { "Enterprise Discount Program credit, credit id: ", 11, 0, 5 },
    { "AWS Proof of Concept credit POC-", 4, 2, 6 },
    { "Graviton migration credit G", 3, 3, 5 },
    { "AWS Marketplace credit, credit id: ", 11, 4, 6 },
    { "APN partner funding credit ", 5, 5, 4 },
    { "SLA Credit for Amazon EC2", 0, 6, 4 },
    { "SLA Credit for Amazon S3 ", 3, 6, 3 },
    { "AWS Activate Credits", 0, 7, 8 },
    { "Promotional credit, credit id: ", 11, 7, 8 },
    { "AWS Credits for Startups ", 4, 7, 3 },
    { "Customer satisfaction adjustment ", 6, 7, 6 },   /* no programme rule for these */
    { "Billing correction, case ", 8, 5, 4 },
};
#define N_TEMPLATES (sizeof(templates) / sizeof(templates[0]))

static char *descriptions[N_DESCRIPTIONS];
static int desc_type[N_DESCRIPTIONS];
static char customers[N_CUSTOMERS][16], resellers[N_RESELLERS][16], accounts[N_ACCOUNTS][13];

static size_t pick_template(void)
{
    int total = 0, r;
    for (size_t i = 0; i < N_TEMPLATES; i++)
        total += templates[i].weight;
    r = (int)below((size_t)total);
    for (size_t i = 0; i < N_TEMPLATES; i++) {
        if (r < templates[i].weight)
            return i;
        r -= templates[i].weight;
    }
    return 0;
}

static void make_universe(void)
{
    for (size_t i = 0; i < N_CUSTOMERS; i++)
        snprintf(customers[i], sizeof(customers[i]), "C-%zu", 100000 + i);
    for (size_t i = 0; i < N_RESELLERS; i++)
        snprintf(resellers[i], sizeof(resellers[i]), "RS-%zu", 100 + i);
    for (size_t i = 0; i < N_ACCOUNTS; i++)
        snprintf(accounts[i], sizeof(accounts[i]), "%012" PRIu64,
                 (uint64_t)100000000000 + (next() % UINT64_C(899999999999)));
    for (size_t i = 0; i < N_DESCRIPTIONS; i++) {
        char buf[160];
        size_t t = pick_template();
        size_t len = (size_t)snprintf(buf, sizeof(buf), "%s", templates[t].text);
        for (int k = 0; k < templates[t].width && len + 1 < sizeof(buf); k++)
            buf[len++] = (char)('0' + below(10));
        buf[len] = '\0';
        descriptions[i] = xstrdup(buf);
        desc_type[i] = templates[t].type;
    }
}

/* Owner of an account: customer, and the customer's reseller. */
static size_t customer_of(size_t account)
{
    return account % N_CUSTOMERS;
}

static size_t reseller_of(size_t customer)
{
    return customer % N_RESELLERS;
}

/* --- rules ---------------------------------------------------------------------------- */

static void set_list(char ***items, size_t *n, const char *text)
{
    if (awc_rule_list_parse(items, n, text, strlen(text)))
        die(awc_error_last());
}

/* A blank-separated list of k entries drawn by fn. */
static void list_of(char *buf, size_t cap, size_t k, const char *(*fn)(void))
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s ", fn());
}

static const char *rand_customer(void) { return customers[below(N_CUSTOMERS)]; }
static const char *rand_reseller(void) { return resellers[below(N_RESELLERS)]; }
static const char *rand_account(void) { return accounts[below(N_ACCOUNTS)]; }
static const char *rand_service(void) { return services[below(N_SERVICES)]; }
static const char *rand_type(void) { return types[below(8)]; }

static const char *const contains_needles[] = { "MPE", "credit id:", "Graviton", "POC",
                                                "partner", "Startups", "Activate", "migration" };
static const char *const exact_texts[] = { "EDP Discount", "SLA Credit for Amazon EC2",
                                           "AWS Activate Credits" };
static const char *const prefixes[] = { "AWS Migration Acceleration", "EDP", "SLA Credit",
                                        "AWS Marketplace", "MAP 2.0", "APN partner",
                                        "Enterprise Discount", "AWS Proof of Concept" };
static const char *const regexes[] = {
    "credit id: [0-9]{11}$", "^(map|edp)[ ]", "mpe[0-9]{5}$", "poc-[0-9]+", "g[0-9]{3,}$",
    "^aws (activate|credits)",
};

static void set_desc(awc_rule *r, awc_match_kind k, const char *text)
{
    r->match = k;
    awc_free(r->match_text);
    r->match_text = xstrdup(text);
}

/* A random description condition (or none) for a rule of a specific kind. */
static void maybe_desc(awc_rule *r)
{
    switch (below(5)) {
    case 0: set_desc(r, AWC_MATCH_CONTAINS, contains_needles[below(8)]); break;
    case 1: set_desc(r, AWC_MATCH_PREFIX, prefixes[below(8)]); break;
    default: break;
    }
}

static void period(awc_rule *r)
{
    if (below(3) == 0) {
        size_t from = 1 + below(12), to = from + below(13 - from);
        snprintf(r->period_from, sizeof(r->period_from), "2026-%02zu", from);
        snprintf(r->period_to, sizeof(r->period_to), "2026-%02zu", to);
    }
}

static void make_rule(awc_rule *r, size_t i)
{
    char buf[1024];
    size_t kind = below(100);

    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "R-%05zu", i);
    r->name = xstrdup("generated");
    r->match_text = xstrdup("");
    r->created = 1735689600 + (int64_t)below(365) * 86400;
    r->n_split = 2;
    r->split[0].kind = AWC_TARGET_CUSTOMER;
    r->split[0].bp = 8000;
    r->split[1].kind = AWC_TARGET_RESELLER;
    r->split[1].bp = 1500;
    period(r);
    if (kind < 35) {                          /* account-specific */
        list_of(buf, sizeof(buf), 1 + below(3), rand_account);
        set_list(&r->accounts, &r->n_accounts, buf);
        maybe_desc(r);
    } else if (kind < 60) {                   /* customer-specific */
        r->customers.mode = AWC_CTX_ONLY;
        list_of(buf, sizeof(buf), 1 + below(4), rand_customer);
        set_list(&r->customers.items, &r->customers.n, buf);
        maybe_desc(r);
        if (below(4) == 0)
            list_of(buf, sizeof(buf), 1, rand_type), set_list(&r->types, &r->n_types, buf);
    } else if (kind < 70) {                   /* reseller-specific */
        r->resellers.mode = AWC_CTX_ONLY;
        list_of(buf, sizeof(buf), 1 + below(2), rand_reseller);
        set_list(&r->resellers.items, &r->resellers.n, buf);
        maybe_desc(r);
        if (below(3) == 0) {
            r->customers.mode = AWC_CTX_EXCEPT;
            list_of(buf, sizeof(buf), 1 + below(3), rand_customer);
            set_list(&r->customers.items, &r->customers.n, buf);
        }
    } else if (kind < 78) {                   /* exact programme descriptions */
        set_desc(r, AWC_MATCH_EXACT, exact_texts[below(3)]);
        if (below(2)) {
            r->services.mode = AWC_CTX_EXCEPT;
            list_of(buf, sizeof(buf), 1 + below(3), rand_service);
            set_list(&r->services.items, &r->services.n, buf);
        }
    } else if (kind < 83) {                   /* service-specific */
        r->services.mode = AWC_CTX_ONLY;
        list_of(buf, sizeof(buf), 1 + below(3), rand_service);
        set_list(&r->services.items, &r->services.n, buf);
        maybe_desc(r);
    } else if (kind < 88) {                   /* prefix */
        set_desc(r, AWC_MATCH_PREFIX, prefixes[below(8)]);
    } else if (kind < 92) {                   /* type-specific, for one quarter */
        size_t q = below(4);
        list_of(buf, sizeof(buf), 1 + below(2), rand_type);
        set_list(&r->types, &r->n_types, buf);
        snprintf(r->period_from, sizeof(r->period_from), "2026-%02zu", 1 + 3 * q);
        snprintf(r->period_to, sizeof(r->period_to), "2026-%02zu", 3 + 3 * q);
    } else if (kind < 97) {                   /* general contains */
        set_desc(r, AWC_MATCH_CONTAINS, contains_needles[below(8)]);
        if (below(2)) {
            r->resellers.mode = AWC_CTX_EXCEPT;
            list_of(buf, sizeof(buf), 1 + below(3), rand_reseller);
            set_list(&r->resellers.items, &r->resellers.n, buf);
        }
    } else if (kind < 99) {                   /* general regex */
        set_desc(r, AWC_MATCH_REGEX, regexes[below(6)]);
    } else {                                  /* a type's catch-all, with exceptions */
        snprintf(r->period_from, sizeof(r->period_from), "2026-%02zu", 1 + below(12));
        memcpy(r->period_to, r->period_from, sizeof(r->period_to));
        list_of(buf, sizeof(buf), 1, rand_type);
        set_list(&r->types, &r->n_types, buf);
        r->customers.mode = AWC_CTX_EXCEPT;
        list_of(buf, sizeof(buf), 1 + below(5), rand_customer);
        set_list(&r->customers.items, &r->customers.n, buf);
    }
}

/* --- credits --------------------------------------------------------------------------- */

/* A credit as a store batch holds it: its strings inline, next to it. */
typedef struct row {
    awc_rule_input in;
    char description[112];
    char period[8], customer[16], reseller[16], service[32], type[16], account[13];
} row;

#define BATCH 10000

static uint64_t credit_seed;

/* Credit number i, the same whenever it is made (its own splitmix64 stream). */
static void make_credit(row *w, size_t i)
{
    uint64_t saved = rng;
    size_t a, c, d;

    rng = credit_seed ^ ((uint64_t)i * UINT64_C(0xd1342543de82ef95));
    a = below(N_ACCOUNTS), c = customer_of(a), d = below(N_DESCRIPTIONS);
    snprintf(w->description, sizeof(w->description), "%s", descriptions[d]);
    snprintf(w->period, sizeof(w->period), "2026-%02zu", 1 + below(12));
    snprintf(w->customer, sizeof(w->customer), "%s", customers[c]);
    snprintf(w->reseller, sizeof(w->reseller), "%s", resellers[reseller_of(c)]);
    snprintf(w->service, sizeof(w->service), "%s", services[below(N_SERVICES)]);
    snprintf(w->type, sizeof(w->type), "%s", types[desc_type[d]]);
    snprintf(w->account, sizeof(w->account), "%s", accounts[a]);
    w->in.description = w->description;
    w->in.period = w->period;
    w->in.customer_id = w->customer;
    w->in.reseller_id = w->reseller;
    w->in.service = w->service;
    w->in.credit_type = w->type;
    w->in.account = w->account;
    rng = saved;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of this thread: what the work cost even when the machine is shared. */
static uint64_t cpu_ns(void)
{
    return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static size_t arg_size(const char *s)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v == 0)
        die("bad number");
    return (size_t)v;
}

int main(int argc, char **argv)
{
    size_t n_credits = 1000000, n_rules = 1000, n_sample = 10000, matched = 0, bad = 0;
    size_t repeat = 3;
    uint64_t seed = 20260105, t0, c0, t_index, t_cpu, t_scan, t_scan_cpu, checksum = 0;
    uint64_t rate, brute_rate, cpu_rate, cpu_brute_rate;
    volatile uintptr_t sink = 0;      /* keeps the timed calls from being optimised away */
    awc_rule *rules;
    row *batch;
    awc_ruleset *rs;

    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--credits") == 0)
            n_credits = arg_size(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--rules") == 0)
            n_rules = arg_size(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--sample") == 0)
            n_sample = arg_size(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = arg_size(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--repeat") == 0)
            repeat = arg_size(argv[++i]);
        else {
            fprintf(stderr, "usage: bench-rules [--credits N] [--rules M] [--sample K] "
                            "[--seed S] [--repeat R]\n");
            return 2;
        }
    }
    if (n_sample > n_credits)
        n_sample = n_credits;
    rng = seed;
    make_universe();

    rules = awc_calloc(n_rules, sizeof(*rules));
    batch = awc_calloc(BATCH, sizeof(*batch));
    if (!rules || !batch)
        die("out of memory");
    for (size_t i = 0; i < n_rules; i++)
        make_rule(&rules[i], i);
    credit_seed = next();
    if (awc_ruleset_new(&rs, rules, n_rules))
        die(awc_error_last());

    /* the index, over every credit, batch by batch (making a batch is not
     * timed); the fastest of `repeat` passes */
    t_index = t_cpu = UINT64_MAX;
    for (size_t pass = 0; pass < repeat; pass++) {
        uint64_t t = 0, c = 0;
        matched = 0;
        for (size_t at = 0; at < n_credits; at += BATCH) {
            size_t m = n_credits - at < BATCH ? n_credits - at : BATCH;
            for (size_t i = 0; i < m; i++)
                make_credit(&batch[i], at + i);
            c0 = cpu_ns();
            t0 = now_ns();
            for (size_t i = 0; i < m; i++) {
                const awc_rule *r = awc_ruleset_choose(rs, &batch[i].in);
                if (r) {
                    matched++;
                    sink ^= (uintptr_t)r;
                }
            }
            t += now_ns() - t0;
            c += cpu_ns() - c0;
        }
        if (t < t_index)
            t_index = t;
        if (c < t_cpu)
            t_cpu = c;
    }

    /* brute force over a sample spread over all credits, then the same
     * credits through the index: they must agree */
    if (n_sample > BATCH)
        n_sample = BATCH;
    for (size_t i = 0; i < n_sample; i++)
        make_credit(&batch[i], i * (n_credits / n_sample));
    c0 = cpu_ns();
    t0 = now_ns();
    for (size_t i = 0; i < n_sample; i++) {
        const awc_rule *r = awc_ruleset_choose_scan(rs, &batch[i].in);
        sink ^= (uintptr_t)r;
    }
    t_scan = now_ns() - t0;
    t_scan_cpu = cpu_ns() - c0;
    for (size_t i = 0; i < n_sample; i++) {
        const awc_rule *r = awc_ruleset_choose(rs, &batch[i].in);
        if (r != awc_ruleset_choose_scan(rs, &batch[i].in))
            bad++;
        /* a checksum of the chosen ids: the same on every run of a seed */
        for (const char *p = r ? r->id : "-"; *p; p++)
            checksum = (checksum ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
    }

    if (t_index == 0)
        t_index = 1;
    if (t_scan == 0)
        t_scan = 1;
    if (t_cpu == 0)
        t_cpu = 1;
    if (t_scan_cpu == 0)
        t_scan_cpu = 1;
    rate = (uint64_t)n_credits * UINT64_C(1000000000) / t_index;
    brute_rate = (uint64_t)n_sample * UINT64_C(1000000000) / t_scan;
    cpu_rate = (uint64_t)n_credits * UINT64_C(1000000000) / t_cpu;
    cpu_brute_rate = (uint64_t)n_sample * UINT64_C(1000000000) / t_scan_cpu;
    printf("rules: %zu credits x %zu rules: %" PRIu64 ".%02" PRIu64 " s, %" PRIu64
           " credits/s (target >= %d/s); brute force %" PRIu64 " credits/s; index speed-up %"
           PRIu64 "x\n",
           n_credits, n_rules, t_index / 1000000000, t_index / 10000000 % 100, rate, TARGET,
           brute_rate, brute_rate ? rate / brute_rate : 0);
    printf("rules: thread CPU time: %" PRIu64 ".%02" PRIu64 " s, %" PRIu64
           " credits/s; brute force %" PRIu64 " credits/s; index speed-up %" PRIu64 "x\n",
           t_cpu / 1000000000, t_cpu / 10000000 % 100, cpu_rate, cpu_brute_rate,
           cpu_brute_rate ? cpu_rate / cpu_brute_rate : 0);
    printf("rules: %zu of %zu credits matched a rule (%zu%%); %zu sampled, index and scan "
           "disagree on %zu (checksum of the sample's choices %016" PRIx64 ")\n",
           matched, n_credits, matched * 100 / n_credits, n_sample, bad, checksum);

    awc_ruleset_free(rs);
    awc_rules_free(rules, n_rules);
    awc_free(batch);
    for (size_t i = 0; i < N_DESCRIPTIONS; i++)
        awc_free(descriptions[i]);
    return bad ? 1 : 0;
}
