/*
 * gen-cur.c -- write a realistic, deterministic AWS Cost and Usage Report
 * CSV for benchmarks and tests.
 *
 *   gen-cur --rows N [--period YYYY-MM] [--seed S] [--dialect legacy|cur2|focus]
 *           [--credit-permille P] [--other-permille P] [--payers K] [--accounts M]
 *           [-o FILE] [--sums FILE]
 *
 * The same arguments always give the same bytes.  Columns carry the names of
 * the AWS CUR data dictionary (legacy "category/Name", about 125 of them),
 * the Athena / CUR 2.0 snake case names of the same (cur2), or FOCUS 1.2
 * with AWS columns (focus).  Rows mix every line item type; credit rows
 * carry descriptions of every credit programme (EDP, MAP with _MPE ids, POC,
 * Graviton, Marketplace, partner, SLA, promotional, some with ", credit id:
 * NNNNNNNNNNN"); some descriptions and tags hold commas and quotes, so RFC
 * 4180 quoting occurs.  Amounts have 0 to 10 decimals; cur2 prints small
 * ones in exponent form as Athena does ("-1.25E-4").  A few rows (--other-
 * permille, default 2) belong to the previous billing period.
 *
 * The exact sum of the credit rows of --period, per currency, is written as
 * "CUR AMOUNT COUNT" lines (AMOUNT with 10 decimals) to --sums FILE, or to
 * stderr.  All arithmetic is integer; amounts are counts of 10^-10 units.
 * Compress by piping through gzip.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_CAP ((size_t)8 << 20)
#define ROW_ROOM ((size_t)64 << 10)   /* no row is longer than this */
#define UNITS INT64_C(10000000000)   /* 10^10: one currency unit */

/* --- output --------------------------------------------------------------------- */

static char *ob;
static size_t olen;
static int ofd = 1;
static const char *oname = "stdout";

static void die(const char *what)
{
    fprintf(stderr, "gen-cur: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void flush_out(void)
{
    size_t off = 0;
    while (off < olen) {
        ssize_t k = write(ofd, ob + off, olen - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die(oname);
        }
        off += (size_t)k;
    }
    olen = 0;
}

static inline void put(const char *s, size_t n)
{
    memcpy(ob + olen, s, n);
    olen += n;
}

static inline void putc1(char c)
{
    ob[olen++] = c;
}

#define PUTS(lit) put(lit, sizeof(lit) - 1)

static void puts0(const char *s)
{
    put(s, strlen(s));
}

/* A CSV field: quoted (quotes doubled) when it holds , " CR or LF. */
static void put_csv(const char *s, size_t n)
{
    size_t i;
    if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n)) {
        put(s, n);
        return;
    }
    putc1('"');
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            putc1('"');
        putc1(s[i]);
    }
    putc1('"');
}

static void put_u(uint64_t v)
{
    char t[24];
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(t + i, (size_t)(24 - i));
}

static void put_u0(uint64_t v, int width)
{
    char t[24];
    int i = 24;
    while (width-- > 0 || v) {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    }
    put(t + i, (size_t)(24 - i));
}

/* v in 10^-10 units, a multiple of 10^(10-dec): printed with dec decimals. */
static void put_amount(int64_t v, int dec)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t ip = m / (uint64_t)UNITS, fp = m % (uint64_t)UNITS;
    int k;
    if (v < 0)
        putc1('-');
    put_u(ip);
    if (dec > 0) {
        putc1('.');
        for (k = dec; k < 10; k++)
            fp /= 10;
        put_u0(fp, dec);
    }
}

/* The same in exponent form, "1.25E-4", for 0 < |v| < 1 (exact). */
static void put_amount_exp(int64_t v)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char d[24];
    int n = 0, i;
    uint64_t t = m;
    while (t) {
        d[n++] = (char)('0' + t % 10);
        t /= 10;
    }
    /* d[n-1] is the leading digit; value = 0.d[n-1]... * 10^(n-10) */
    if (v < 0)
        putc1('-');
    putc1(d[n - 1]);
    for (i = 0; i < n - 1 && d[i] == '0'; i++)
        ;
    if (i < n - 1) {
        int j;
        putc1('.');
        for (j = n - 2; j >= i; j--)
            putc1(d[j]);
    }
    putc1('E');
    putc1('-');
    put_u((uint64_t)(11 - n));
}

/* --- randomness (splitmix64) ------------------------------------------------------- */

static uint64_t rs;

static uint64_t rnd(void)
{
    uint64_t z = (rs += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static uint64_t pow10u(int e)
{
    uint64_t p = 1;
    while (e-- > 0)
        p *= 10;
    return p;
}

/* A positive amount below 10^mag currency units, mag from lo to hi (-4..4),
 * with dec decimals (0..10): v * 10^-dec for a whole v, so it prints exactly. */
static int64_t amount(int lo, int hi, int *dec)
{
    int d = (int)below(11);
    int mag = lo + (int)below((uint64_t)(hi - lo + 1));
    if (mag + d < 1)
        d = 1 - mag;
    *dec = d;
    return (int64_t)((1 + below(pow10u(mag + d))) * pow10u(10 - d));
}

/* --- what a row is about ---------------------------------------------------------------- */

struct product {
    const char *code, *name, *family, *usagetype, *operation, *unit, *desc, *servicename,
        *category;
    char kind;                     /* 'E' EC2 instances, 'V' EBS, 'S' S3, 0 other */
};

static const struct product products[] = {
    {"AmazonEC2", "Amazon Elastic Compute Cloud", "Compute Instance", "USE1-BoxUsage:t3.medium",
     "RunInstances", "Hrs", "$0.0416 per On Demand Linux t3.medium Instance Hour",
     "Amazon Elastic Compute Cloud", "Compute", 'E'},
    {"AmazonEC2", "Amazon Elastic Compute Cloud", "Storage", "USE1-EBS:VolumeUsage.gp3",
     "CreateVolume-Gp3", "GB-Mo", "$0.08 per GB-month of General Purpose (gp3) provisioned storage - US East (Northern Virginia)",
     "Amazon Elastic Compute Cloud", "Storage", 'V'},
    {"AmazonS3", "Amazon Simple Storage Service", "Storage", "TimedStorage-ByteHrs", "StandardStorage",
     "GB-Mo", "$0.023 per GB - first 50 TB / month of storage used", "Amazon Simple Storage Service",
     "Storage", 'S'},
    {"AmazonRDS", "Amazon Relational Database Service", "Database Instance",
     "USE1-InstanceUsage:db.r6g.large", "CreateDBInstance:0016", "Hrs",
     "$0.225 per RDS db.r6g.large instance hour (or partial hour) running PostgreSQL",
     "Amazon Relational Database Service", "Databases", 0},
    {"AWSLambda", "AWS Lambda", "Serverless", "USE1-Lambda-GB-Second", "Invoke", "Lambda-GB-Second",
     "AWS Lambda - Total Compute - US East (N. Virginia), 0.0000166667 USD per GB-Second", "AWS Lambda",
     "Compute", 0},
    {"AWSDataTransfer", "AWS Data Transfer", "Data Transfer", "USE1-DataTransfer-Out-Bytes",
     "RunInstances", "GB",
     "$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier, US East",
     "AWS Data Transfer", "Networking", 0},
    {"AmazonCloudWatch", "AmazonCloudWatch", "Metric", "CW:MetricMonitorUsage", "MetricStorage", "Metrics",
     "$0.30 per metric-month - first 10,000 \"custom\" metrics", "Amazon CloudWatch",
     "Management and Governance", 0},
    {"AmazonDynamoDB", "Amazon DynamoDB", "Amazon DynamoDB PayPerRequest Throughput",
     "USE1-WriteRequestUnits", "PayPerRequestThroughput", "WriteRequestUnits",
     "$1.25 per million write request units (WRU)", "Amazon DynamoDB", "Databases", 0},
    {"AmazonSageMaker", "Amazon SageMaker", "ML Instance", "USE1-Notebk:ml.t3.medium",
     "RunInstance:0001", "Hrs", "$0.05 per On Demand ML Notebook ml.t3.medium hour",
     "Amazon SageMaker", "AI and Machine Learning", 0},
};
#define NPRODUCTS (sizeof(products) / sizeof(products[0]))

enum ltype {
    T_USAGE, T_DISCOUNTED, T_SP_COVERED, T_SP_NEGATION, T_TAX, T_FEE, T_RIFEE, T_SP_RECURRING,
    T_EDP_DISCOUNT, T_BUNDLED, T_PRIVATE_RATE, T_REFUND, T_CREDIT, NTYPES
};

static const char *const type_name[NTYPES] = {
    "Usage", "DiscountedUsage", "SavingsPlanCoveredUsage", "SavingsPlanNegation", "Tax", "Fee",
    "RIFee", "SavingsPlanRecurringFee", "EdpDiscount", "BundledDiscount", "PrivateRateDiscount",
    "Refund", "Credit",
};

/* FOCUS ChargeCategory of each type */
static const char *const focus_category[NTYPES] = {
    "Usage", "Usage", "Usage", "Usage", "Tax", "Purchase", "Purchase", "Purchase", "Usage", "Usage",
    "Usage", "Adjustment", "Credit",
};

/* Non-credit types, per 1000 non-credit rows (sums to 1000). */
static const unsigned type_weight[NTYPES] = {
    [T_USAGE] = 780, [T_DISCOUNTED] = 50, [T_SP_COVERED] = 60, [T_SP_NEGATION] = 40,
    [T_TAX] = 15, [T_FEE] = 5, [T_RIFEE] = 10, [T_SP_RECURRING] = 5, [T_EDP_DISCOUNT] = 25,
    [T_BUNDLED] = 5, [T_PRIVATE_RATE] = 2, [T_REFUND] = 3,
};

/* Credit descriptions; %u is replaced by a number, %c by an 11-digit credit id. */
static const char *const credit_desc[] = {
    "AWS Credit - Enterprise Discount Program (EDP) service credit",
    "EDP Commitment Credit",
    "AWS Migration Acceleration Program Credit_MPE%u",
    "MAP 2.0 Migrate Credit MPE%u",
    "Migration Acceleration Program (MAP) credit, engagement MPE%u",
    "POC Credit for Amazon SageMaker",
    "Proof of Concept credits, project %u",
    "AWS Graviton Adoption Credit",
    "AWS Marketplace ISV Credit, seller \"Acme Data, Inc.\"",
    "APN Partner Funded Credit",
    "Partner MDF credit, opportunity %u",
    "SLA Credit - Amazon EC2 Service Level Agreement",
    "AWS Activate Credits, credit id: %c",
    "Goodwill Credits, credit id: %c",
    "Promotional credit   for  re:Invent attendees",
    "AWS Credits",
};
#define NCREDIT (sizeof(credit_desc) / sizeof(credit_desc[0]))

/* --- columns --------------------------------------------------------------------------- */

enum kind {
    K_EMPTY, K_LINEITEMID, K_TIMEINTERVAL, K_INVOICEID, K_INVOICING, K_BILLINGENTITY, K_BILLTYPE,
    K_PAYER, K_PAYERNAME, K_BPSTART, K_BPEND, K_ACCOUNT, K_ACCOUNTNAME, K_TYPE, K_USTART, K_UEND,
    K_PRODUCT, K_USAGETYPE, K_OPERATION, K_AZ, K_REGION, K_RESOURCE, K_USAGEAMT, K_NORMFACTOR,
    K_NORMUSAGE, K_CURRENCY, K_RATE, K_COST, K_DESC, K_TAXTYPE, K_LEGAL, K_PRODNAME, K_FAMILY,
    K_SERVICENAME, K_UNIT, K_SKU, K_PUBCOST, K_PUBRATE, K_TERM, K_TAG_NAME, K_TAG_TEAM, K_TAG_CC,
    K_TAG_ENV, K_FCATEGORY, K_FFREQ, K_FSERVICECAT, K_FTAGS, K_FPROVIDER, K_FPUBLISHER,
    K_FINVISSUER, K_FREGIONNAME, K_FACCOUNTTYPE, K_LOCATION, K_INSTANCETYPE, K_VCPU, K_MEMORY,
    K_OS, K_TENANCY, K_ARCH, K_STORAGECLASS
};

struct col {
    const char *name;
    enum kind k;
};

/* The legacy CUR columns, in the order of a typical report. */
static const struct col legacy_cols[] = {
    {"identity/LineItemId", K_LINEITEMID}, {"identity/TimeInterval", K_TIMEINTERVAL},
    {"bill/InvoiceId", K_INVOICEID}, {"bill/InvoicingEntity", K_INVOICING},
    {"bill/BillingEntity", K_BILLINGENTITY}, {"bill/BillType", K_BILLTYPE},
    {"bill/PayerAccountId", K_PAYER}, {"bill/BillingPeriodStartDate", K_BPSTART},
    {"bill/BillingPeriodEndDate", K_BPEND}, {"lineItem/UsageAccountId", K_ACCOUNT},
    {"lineItem/LineItemType", K_TYPE}, {"lineItem/UsageStartDate", K_USTART},
    {"lineItem/UsageEndDate", K_UEND}, {"lineItem/ProductCode", K_PRODUCT},
    {"lineItem/UsageType", K_USAGETYPE}, {"lineItem/Operation", K_OPERATION},
    {"lineItem/AvailabilityZone", K_AZ}, {"lineItem/ResourceId", K_RESOURCE},
    {"lineItem/UsageAmount", K_USAGEAMT}, {"lineItem/NormalizationFactor", K_NORMFACTOR},
    {"lineItem/NormalizedUsageAmount", K_NORMUSAGE}, {"lineItem/CurrencyCode", K_CURRENCY},
    {"lineItem/UnblendedRate", K_RATE}, {"lineItem/UnblendedCost", K_COST},
    {"lineItem/BlendedRate", K_RATE}, {"lineItem/BlendedCost", K_COST},
    {"lineItem/LineItemDescription", K_DESC}, {"lineItem/TaxType", K_TAXTYPE},
    {"lineItem/LegalEntity", K_LEGAL}, {"product/ProductName", K_PRODNAME},
    {"product/alarmType", K_EMPTY}, {"product/availability", K_EMPTY},
    {"product/availabilityZone", K_EMPTY}, {"product/capacitystatus", K_EMPTY},
    {"product/clockSpeed", K_EMPTY}, {"product/currentGeneration", K_EMPTY},
    {"product/databaseEngine", K_EMPTY}, {"product/dedicatedEbsThroughput", K_EMPTY},
    {"product/deploymentOption", K_EMPTY}, {"product/durability", K_EMPTY},
    {"product/ecu", K_EMPTY}, {"product/enhancedNetworkingSupported", K_EMPTY},
    {"product/fromLocation", K_EMPTY}, {"product/fromLocationType", K_EMPTY},
    {"product/group", K_EMPTY}, {"product/groupDescription", K_EMPTY},
    {"product/instanceFamily", K_EMPTY}, {"product/instanceType", K_INSTANCETYPE},
    {"product/instanceTypeFamily", K_EMPTY}, {"product/intelAvxAvailable", K_EMPTY},
    {"product/intelTurboAvailable", K_EMPTY}, {"product/licenseModel", K_EMPTY},
    {"product/location", K_LOCATION}, {"product/locationType", K_EMPTY},
    {"product/maxIopsvolume", K_EMPTY}, {"product/memory", K_MEMORY},
    {"product/networkPerformance", K_EMPTY}, {"product/normalizationSizeFactor", K_EMPTY},
    {"product/operatingSystem", K_OS}, {"product/operation", K_OPERATION},
    {"product/physicalProcessor", K_EMPTY}, {"product/preInstalledSw", K_EMPTY},
    {"product/processorArchitecture", K_ARCH}, {"product/processorFeatures", K_EMPTY},
    {"product/productFamily", K_FAMILY}, {"product/region", K_REGION},
    {"product/servicecode", K_PRODUCT}, {"product/servicename", K_SERVICENAME},
    {"product/sku", K_SKU}, {"product/storage", K_EMPTY},
    {"product/storageClass", K_STORAGECLASS}, {"product/storageMedia", K_EMPTY},
    {"product/tenancy", K_TENANCY}, {"product/toLocation", K_EMPTY},
    {"product/toLocationType", K_EMPTY}, {"product/transferType", K_EMPTY},
    {"product/usagetype", K_USAGETYPE}, {"product/vcpu", K_VCPU},
    {"product/volumeType", K_EMPTY}, {"pricing/LeaseContractLength", K_EMPTY},
    {"pricing/OfferingClass", K_EMPTY}, {"pricing/PurchaseOption", K_EMPTY},
    {"pricing/RateCode", K_EMPTY}, {"pricing/RateId", K_EMPTY},
    {"pricing/currency", K_CURRENCY}, {"pricing/publicOnDemandCost", K_PUBCOST},
    {"pricing/publicOnDemandRate", K_PUBRATE}, {"pricing/term", K_TERM},
    {"pricing/unit", K_UNIT}, {"reservation/AmortizedUpfrontCostForUsage", K_EMPTY},
    {"reservation/AmortizedUpfrontFeeForBillingPeriod", K_EMPTY},
    {"reservation/EffectiveCost", K_EMPTY}, {"reservation/EndTime", K_EMPTY},
    {"reservation/ModificationStatus", K_EMPTY},
    {"reservation/NormalizedUnitsPerReservation", K_EMPTY},
    {"reservation/NumberOfReservations", K_EMPTY}, {"reservation/RecurringFeeForUsage", K_EMPTY},
    {"reservation/ReservationARN", K_EMPTY}, {"reservation/StartTime", K_EMPTY},
    {"reservation/SubscriptionId", K_EMPTY},
    {"reservation/TotalReservedNormalizedUnits", K_EMPTY},
    {"reservation/TotalReservedUnits", K_EMPTY}, {"reservation/UnitsPerReservation", K_EMPTY},
    {"reservation/UnusedAmortizedUpfrontFeeForBillingPeriod", K_EMPTY},
    {"reservation/UnusedNormalizedUnitQuantity", K_EMPTY},
    {"reservation/UnusedQuantity", K_EMPTY}, {"reservation/UnusedRecurringFee", K_EMPTY},
    {"reservation/UpfrontValue", K_EMPTY}, {"savingsPlan/TotalCommitmentToDate", K_EMPTY},
    {"savingsPlan/SavingsPlanARN", K_EMPTY}, {"savingsPlan/SavingsPlanRate", K_EMPTY},
    {"savingsPlan/UsedCommitment", K_EMPTY}, {"savingsPlan/SavingsPlanEffectiveCost", K_EMPTY},
    {"savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod", K_EMPTY},
    {"savingsPlan/RecurringCommitmentForBillingPeriod", K_EMPTY},
    {"savingsPlan/StartTime", K_EMPTY}, {"savingsPlan/EndTime", K_EMPTY},
    {"savingsPlan/OfferingType", K_EMPTY}, {"savingsPlan/PaymentOption", K_EMPTY},
    {"savingsPlan/PurchaseTerm", K_EMPTY}, {"savingsPlan/Region", K_EMPTY},
    {"resourceTags/user:Name", K_TAG_NAME}, {"resourceTags/user:team", K_TAG_TEAM},
    {"resourceTags/user:cost-center", K_TAG_CC}, {"resourceTags/user:environment", K_TAG_ENV},
};
#define NLEGACY (sizeof(legacy_cols) / sizeof(legacy_cols[0]))

/* FOCUS 1.2 with AWS columns. */
static const struct col focus_cols[] = {
    {"AvailabilityZone", K_AZ}, {"BilledCost", K_COST}, {"BillingAccountId", K_PAYER},
    {"BillingAccountName", K_PAYERNAME}, {"BillingAccountType", K_FACCOUNTTYPE},
    {"BillingCurrency", K_CURRENCY}, {"BillingPeriodEnd", K_BPEND},
    {"BillingPeriodStart", K_BPSTART}, {"CapacityReservationId", K_EMPTY},
    {"CapacityReservationStatus", K_EMPTY}, {"ChargeCategory", K_FCATEGORY},
    {"ChargeClass", K_EMPTY}, {"ChargeDescription", K_DESC}, {"ChargeFrequency", K_FFREQ},
    {"ChargePeriodEnd", K_UEND}, {"ChargePeriodStart", K_USTART},
    {"CommitmentDiscountCategory", K_EMPTY}, {"CommitmentDiscountId", K_EMPTY},
    {"CommitmentDiscountName", K_EMPTY}, {"CommitmentDiscountQuantity", K_EMPTY},
    {"CommitmentDiscountStatus", K_EMPTY}, {"CommitmentDiscountType", K_EMPTY},
    {"CommitmentDiscountUnit", K_EMPTY}, {"ConsumedQuantity", K_USAGEAMT},
    {"ConsumedUnit", K_UNIT}, {"ContractedCost", K_COST}, {"ContractedUnitPrice", K_RATE},
    {"EffectiveCost", K_COST}, {"InvoiceId", K_INVOICEID}, {"InvoiceIssuerName", K_FINVISSUER},
    {"ListCost", K_PUBCOST}, {"ListUnitPrice", K_PUBRATE}, {"PricingCategory", K_TERM},
    {"PricingCurrency", K_CURRENCY}, {"PricingCurrencyContractedUnitPrice", K_RATE},
    {"PricingCurrencyEffectiveCost", K_COST}, {"PricingCurrencyListUnitPrice", K_PUBRATE},
    {"PricingQuantity", K_USAGEAMT}, {"PricingUnit", K_UNIT}, {"ProviderName", K_FPROVIDER},
    {"PublisherName", K_FPUBLISHER}, {"RegionId", K_REGION}, {"RegionName", K_FREGIONNAME},
    {"ResourceId", K_RESOURCE}, {"ResourceName", K_TAG_NAME}, {"ResourceType", K_FAMILY},
    {"ServiceCategory", K_FSERVICECAT}, {"ServiceName", K_SERVICENAME},
    {"ServiceSubcategory", K_EMPTY}, {"SkuId", K_SKU}, {"SkuMeter", K_EMPTY},
    {"SkuPriceDetails", K_EMPTY}, {"SkuPriceId", K_SKU}, {"SubAccountId", K_ACCOUNT},
    {"SubAccountName", K_ACCOUNTNAME}, {"SubAccountType", K_FACCOUNTTYPE}, {"Tags", K_FTAGS},
    {"x_Discounts", K_EMPTY}, {"x_Operation", K_OPERATION}, {"x_ServiceCode", K_PRODUCT},
    {"x_UsageType", K_USAGETYPE},
};
#define NFOCUS (sizeof(focus_cols) / sizeof(focus_cols[0]))

/* "lineItem/UsageAccountId" -> "line_item_usage_account_id" (as Athena names them). */
static void snake(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    int start = 1;
    for (; *in && o + 3 < outsz; in++) {
        char c = *in;
        if (c == '/' || c == ':' || c == '-') {
            out[o++] = '_';
            start = 1;
            continue;
        }
        if (c >= 'A' && c <= 'Z') {
            if (!start)
                out[o++] = '_';
            c = (char)(c - 'A' + 'a');
        }
        out[o++] = c;
        start = 0;
    }
    out[o] = '\0';
}

/* --- the generator ---------------------------------------------------------------------- */

enum dialect { D_LEGACY, D_CUR2, D_FOCUS };

struct payer {
    char id[13];
    const char *currency;
};

static struct payer *payers;
static char (*accounts)[13];
static unsigned npayers = 4, naccounts = 200;
static enum dialect dialect = D_LEGACY;

struct period {
    int y, m, days;
    char start[48], end[48];      /* billing period bounds as printed */
};

static int days_in(int y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return md[m - 1];
}

static void make_period(struct period *p, int y, int m)
{
    int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
    const char *frac = dialect == D_FOCUS ? ".000" : "";
    p->y = y, p->m = m, p->days = days_in(y, m);
    snprintf(p->start, sizeof(p->start), "%04d-%02d-01T00:00:00%sZ", y, m, frac);
    snprintf(p->end, sizeof(p->end), "%04d-%02d-01T00:00:00%sZ", ny, nm, frac);
}

/* One row's facts. */
struct row {
    enum ltype type;
    const struct period *per;
    const struct payer *payer;
    const char *account;
    const struct product *prod;
    int day, hour, hours;          /* usage start and length */
    int64_t usage, cost, rate;     /* 10^-10 units */
    int usage_dec, cost_dec, rate_dec;
    char desc[256];
    size_t desc_len;
    unsigned tag;
    int marketplace;               /* a Marketplace credit */
};

static void put_ts(const struct period *p, int day, int hour)
{
    put_u0((uint64_t)p->y, 4);
    putc1('-');
    put_u0((uint64_t)p->m, 2);
    putc1('-');
    put_u0((uint64_t)day, 2);
    putc1('T');
    put_u0((uint64_t)hour, 2);
    if (dialect == D_FOCUS)
        PUTS(":00:00.000Z");
    else
        PUTS(":00:00Z");
}

static void put_end_ts(const struct row *r)
{
    int day = r->day, hour = r->hour + r->hours;
    while (hour >= 24)
        hour -= 24, day++;
    if (day > r->per->days) {
        puts0(r->per->end);
        return;
    }
    put_ts(r->per, day, hour);
}

static void put_cost(const struct row *r, int64_t v, int dec)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (dialect == D_CUR2 && m != 0 && m < (uint64_t)(UNITS / 1000))
        put_amount_exp(v);
    else
        put_amount(v, dec);
    (void)r;
}

static const char *const b32 = "abcdefghijklmnopqrstuvwxyz234567";
static const char *const teams[] = {"web", "data", "ml", "platform", "finance, ops", "\"core\" team"};
static const char *const envs[] = {"prod", "staging", "dev", ""};

static void put_field(const struct row *r, enum kind k)
{
    int i;
    switch (k) {
    case K_EMPTY:
        break;
    case K_LINEITEMID: {
        uint64_t x = rnd();
        for (i = 0; i < 52; i++) {
            if (i % 12 == 11)
                x = rnd();
            putc1(b32[x & 31]);
            x >>= 5;
        }
        break;
    }
    case K_TIMEINTERVAL:
        put_ts(r->per, r->day, r->hour);
        putc1('/');
        put_end_ts(r);
        break;
    case K_INVOICEID:
        if (r->payer->currency[0] == 'E')
            PUTS("EUINIE26-");
        else
            PUTS("2026");
        put_u0((uint64_t)(r->payer - payers) * 7919u + 104729u, 9);
        break;
    case K_INVOICING:
        if (r->payer->currency[0] == 'E')
            PUTS("Amazon Web Services EMEA SARL");
        else
            PUTS("\"Amazon Web Services, Inc.\"");
        break;
    case K_BILLINGENTITY:
        if (r->marketplace)
            PUTS("AWS Marketplace");
        else
            PUTS("AWS");
        break;
    case K_BILLTYPE:
        if (r->type == T_REFUND)
            PUTS("Refund");
        else if (r->type == T_RIFEE || r->type == T_FEE)
            PUTS("Purchase");
        else
            PUTS("Anniversary");
        break;
    case K_PAYER:
        put(r->payer->id, 12);
        break;
    case K_PAYERNAME:
        PUTS("Distributor Payer ");
        put_u((uint64_t)(r->payer - payers) + 1);
        break;
    case K_BPSTART:
        puts0(r->per->start);
        break;
    case K_BPEND:
        puts0(r->per->end);
        break;
    case K_ACCOUNT:
        put(r->account, 12);
        break;
    case K_ACCOUNTNAME:
        PUTS("customer-");
        put(r->account + 8, 4);
        break;
    case K_TYPE:
        puts0(type_name[r->type]);
        break;
    case K_FCATEGORY:
        puts0(focus_category[r->type]);
        break;
    case K_USTART:
        put_ts(r->per, r->day, r->hour);
        break;
    case K_UEND:
        put_end_ts(r);
        break;
    case K_PRODUCT:
        puts0(r->prod->code);
        break;
    case K_USAGETYPE:
        if (r->type != T_CREDIT && r->type != T_TAX)
            puts0(r->prod->usagetype);
        break;
    case K_OPERATION:
        if (r->type != T_CREDIT && r->type != T_TAX)
            puts0(r->prod->operation);
        break;
    case K_AZ:
        if (r->type == T_USAGE && (r->prod->kind == 'E' || r->prod->kind == 'V')) {
            PUTS("us-east-1");
            putc1((char)('a' + r->tag % 4));
        }
        break;
    case K_REGION:
        PUTS("us-east-1");
        break;
    case K_FREGIONNAME:
        PUTS("US East (N. Virginia)");
        break;
    case K_LOCATION:
        PUTS("US East (N. Virginia)");
        break;
    case K_RESOURCE:
        if (r->type == T_USAGE || r->type == T_DISCOUNTED || r->type == T_SP_COVERED) {
            if (r->prod->kind == 'E') {
                PUTS("i-0");
                uint64_t x = rnd();
                for (i = 0; i < 16; i++, x >>= 4)
                    putc1("0123456789abcdef"[x & 15]);
            } else if (r->prod->kind == 'S') {
                PUTS("arn:aws:s3:::bucket-");
                put_u(r->tag);
            }
        }
        break;
    case K_USAGEAMT:
        if (r->type != T_CREDIT && r->type != T_TAX)
            put_amount(r->usage, r->usage_dec);
        break;
    case K_NORMFACTOR:
        if (r->prod->kind == 'E' && r->type == T_USAGE)
            putc1('2');
        else
            putc1('0');
        break;
    case K_NORMUSAGE:
        if (r->prod->kind == 'E' && r->type == T_USAGE)
            put_amount(r->usage * 2, r->usage_dec);
        else
            putc1('0');
        break;
    case K_CURRENCY:
        puts0(r->payer->currency);
        break;
    case K_RATE:
        if (r->type != T_CREDIT && r->type != T_TAX && r->type != T_REFUND)
            put_amount(r->rate, r->rate_dec);
        break;
    case K_COST:
        put_cost(r, r->cost, r->cost_dec);
        break;
    case K_PUBCOST:
        put_cost(r, r->cost < 0 ? 0 : r->cost, r->cost_dec);
        break;
    case K_PUBRATE:
        if (r->type != T_CREDIT)
            put_amount(r->rate, r->rate_dec);
        break;
    case K_DESC:
        put_csv(r->desc, r->desc_len);
        break;
    case K_TAXTYPE:
        if (r->type == T_TAX)
            PUTS("VAT");
        break;
    case K_LEGAL:
        if (r->marketplace)
            PUTS("\"Acme Data, Inc.\"");
        else if (r->payer->currency[0] == 'E')
            PUTS("Amazon Web Services EMEA SARL");
        else
            PUTS("\"Amazon Web Services, Inc.\"");
        break;
    case K_PRODNAME:
        puts0(r->prod->name);
        break;
    case K_SERVICENAME:
        puts0(r->prod->servicename);
        break;
    case K_FAMILY:
        if (r->type != T_CREDIT)
            puts0(r->prod->family);
        break;
    case K_UNIT:
        if (r->type != T_CREDIT)
            puts0(r->prod->unit);
        break;
    case K_SKU:
        if (r->type != T_CREDIT) {
            uint64_t x = (uint64_t)(r->prod - products + 1) * UINT64_C(0x9e3779b97f4a7c15);
            for (i = 0; i < 16; i++, x >>= 4)
                putc1("ABCDEFGHJKMNPQRSTUVWXYZ23456789"[x & 15]);
        }
        break;
    case K_TERM:
        if (r->type == T_USAGE)
            PUTS("OnDemand");
        else if (r->type == T_DISCOUNTED || r->type == T_SP_COVERED)
            PUTS("Reserved");
        break;
    case K_INSTANCETYPE:
        if (r->prod->kind == 'E')
            PUTS("t3.medium");
        break;
    case K_VCPU:
        if (r->prod->kind == 'E')
            putc1('2');
        break;
    case K_MEMORY:
        if (r->prod->kind == 'E')
            PUTS("4 GiB");
        break;
    case K_OS:
        if (r->prod->kind == 'E')
            PUTS("Linux");
        break;
    case K_TENANCY:
        if (r->prod->kind == 'E')
            PUTS("Shared");
        break;
    case K_ARCH:
        if (r->prod->kind == 'E')
            PUTS("64-bit");
        break;
    case K_STORAGECLASS:
        if (r->prod->kind == 'S')
            PUTS("Standard");
        break;
    case K_TAG_NAME:
        if (r->tag % 3 == 0) {
            PUTS("svc-");
            put_u(r->tag % 97);
        }
        break;
    case K_TAG_TEAM: {
        const char *t = teams[r->tag % 6];
        if (r->tag % 5 != 0)
            put_csv(t, strlen(t));
        break;
    }
    case K_TAG_CC:
        if (r->tag % 4 == 1) {
            PUTS("CC-");
            put_u0(r->tag % 1000, 4);
        }
        break;
    case K_TAG_ENV:
        puts0(envs[r->tag % 4]);
        break;
    case K_FFREQ:
        if (r->type == T_CREDIT || r->type == T_REFUND)
            PUTS("One-Time");
        else if (r->type == T_RIFEE || r->type == T_SP_RECURRING)
            PUTS("Recurring");
        else
            PUTS("Usage-Based");
        break;
    case K_FSERVICECAT:
        puts0(r->prod->category);
        break;
    case K_FTAGS:
        if (r->tag % 3 == 0) {
            /* {"user:team":"web","user:env":"prod"} as a quoted CSV field */
            PUTS("\"{\"\"user:team\"\":\"\"");
            {
                const char *t = teams[r->tag % 4];
                puts0(t);
            }
            PUTS("\"\"}\"");
        } else {
            PUTS("{}");
        }
        break;
    case K_FPROVIDER:
        PUTS("AWS");
        break;
    case K_FPUBLISHER:
        if (r->marketplace)
            PUTS("\"Acme Data, Inc.\"");
        else
            PUTS("\"Amazon Web Services, Inc.\"");
        break;
    case K_FINVISSUER:
        if (r->payer->currency[0] == 'E')
            PUTS("Amazon Web Services EMEA SARL");
        else
            PUTS("\"Amazon Web Services, Inc.\"");
        break;
    case K_FACCOUNTTYPE:
        PUTS("AWS Account");
        break;
    }
}

/* Fill the description of a credit row. */
static void credit_text(struct row *r)
{
    const char *t = credit_desc[below(NCREDIT)];
    size_t o = 0;
    for (; *t && o < sizeof(r->desc) - 24; t++) {
        if (t[0] == '%' && t[1] == 'u') {
            o += (size_t)snprintf(r->desc + o, sizeof(r->desc) - o, "%05u",
                                  (unsigned)(below(90000) + 10000));
            t++;
        } else if (t[0] == '%' && t[1] == 'c') {
            o += (size_t)snprintf(r->desc + o, sizeof(r->desc) - o, "%011" PRIu64,
                                  UINT64_C(10063543426) + below(500));
            t++;
        } else {
            r->desc[o++] = *t;
        }
    }
    r->desc[o] = '\0';
    r->desc_len = o;
    r->marketplace = strstr(r->desc, "Marketplace") != NULL;
}

static void set_desc(struct row *r, const char *s)
{
    size_t n = strlen(s);
    if (n >= sizeof(r->desc))
        n = sizeof(r->desc) - 1;
    memcpy(r->desc, s, n);
    r->desc[n] = '\0';
    r->desc_len = n;
}

struct sum {
    const char *currency;
    __int128 total;
    uint64_t count;
};

static void format_sum(char *out, size_t n, __int128 v)
{
    unsigned __int128 m = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    unsigned __int128 ip = m / (unsigned __int128)UNITS;
    uint64_t fp = (uint64_t)(m % (unsigned __int128)UNITS);
    char digits[48];
    int i = 48;
    do {
        digits[--i] = (char)('0' + (int)(ip % 10));
        ip /= 10;
    } while (ip);
    snprintf(out, n, "%s%.*s.%010" PRIu64, v < 0 ? "-" : "", 48 - i, digits + i, fp);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gen-cur --rows N [--period YYYY-MM] [--seed S] [--dialect legacy|cur2|focus]\n"
            "               [--credit-permille P] [--other-permille P] [--payers K] [--accounts M]\n"
            "               [-o FILE] [--sums FILE]\n");
    exit(2);
}

static uint64_t num_arg(const char *opt, const char *v, uint64_t lo, uint64_t hi)
{
    char *end;
    unsigned long long x;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x < lo || x > hi) {
        fprintf(stderr, "gen-cur: %s: expected a whole number from %" PRIu64 " to %" PRIu64 "\n",
                opt, lo, hi);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv)
{
    uint64_t rows = 0, seed = 1, credit_pm = 10, other_pm = 2, n;
    const char *period_s = "2026-10", *out_path = NULL, *sums_path = NULL;
    struct period cur, prev;
    const struct col *cols;
    size_t ncols, c;
    char (*names)[128];
    struct sum sums[3] = {{"EUR", 0, 0}, {"JPY", 0, 0}, {"USD", 0, 0}};
    unsigned cum[NTYPES];
    int i, y, m, have_rows = 0;

    for (i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--rows"))
            rows = num_arg(a, v, 0, UINT64_C(1) << 40), have_rows = 1;
        else if (!strcmp(a, "--period"))
            period_s = v;
        else if (!strcmp(a, "--seed"))
            seed = num_arg(a, v, 0, UINT64_MAX);
        else if (!strcmp(a, "--dialect")) {
            if (!strcmp(v, "legacy"))
                dialect = D_LEGACY;
            else if (!strcmp(v, "cur2"))
                dialect = D_CUR2;
            else if (!strcmp(v, "focus"))
                dialect = D_FOCUS;
            else
                usage();
        } else if (!strcmp(a, "--credit-permille"))
            credit_pm = num_arg(a, v, 0, 1000);
        else if (!strcmp(a, "--other-permille"))
            other_pm = num_arg(a, v, 0, 1000);
        else if (!strcmp(a, "--payers"))
            npayers = (unsigned)num_arg(a, v, 1, 100000);
        else if (!strcmp(a, "--accounts"))
            naccounts = (unsigned)num_arg(a, v, 1, 10000000);
        else if (!strcmp(a, "-o"))
            out_path = v;
        else if (!strcmp(a, "--sums"))
            sums_path = v;
        else
            usage();
    }
    if (!have_rows)
        usage();
    if (strlen(period_s) != 7 || sscanf(period_s, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12 ||
        y < 1970 || y > 9999 || period_s[4] != '-') {
        fprintf(stderr, "gen-cur: --period: expected YYYY-MM\n");
        return 2;
    }
    make_period(&cur, y, m);
    make_period(&prev, m == 1 ? y - 1 : y, m == 1 ? 12 : m - 1);
    rs = seed;

    payers = calloc(npayers, sizeof(*payers));
    accounts = calloc(naccounts, sizeof(*accounts));
    ob = malloc(OUT_CAP);
    if (!payers || !accounts || !ob)
        die("malloc");
    for (c = 0; c < npayers; c++) {
        snprintf(payers[c].id, sizeof(payers[c].id), "%012" PRIu64,
                 UINT64_C(100000000000) + below(UINT64_C(900000000000)));
        payers[c].currency = c % 4 == 3 ? "EUR" : c % 7 == 5 ? "JPY" : "USD";
    }
    for (c = 0; c < naccounts; c++)
        snprintf(accounts[c], sizeof(accounts[c]), "%012" PRIu64,
                 UINT64_C(100000000000) + below(UINT64_C(900000000000)));
    for (c = 0, n = 0; c < NTYPES; c++) {
        n += type_weight[c];
        cum[c] = (unsigned)n;
    }

    if (out_path) {
        ofd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (ofd < 0)
            die(out_path);
        oname = out_path;
    }

    /* header */
    cols = dialect == D_FOCUS ? focus_cols : legacy_cols;
    ncols = dialect == D_FOCUS ? NFOCUS : NLEGACY;
    names = calloc(ncols, sizeof(*names));
    if (!names)
        die("malloc");
    for (c = 0; c < ncols; c++) {
        if (dialect == D_CUR2)
            snake(cols[c].name, names[c], sizeof(names[c]));
        else
            snprintf(names[c], sizeof(names[c]), "%s", cols[c].name);
        if (c)
            putc1(',');
        puts0(names[c]);
    }
    putc1('\n');

    for (n = 0; n < rows; n++) {
        struct row r;
        uint64_t pick;

        if (olen > OUT_CAP - ROW_ROOM)
            flush_out();
        memset(&r, 0, sizeof(r));
        r.per = below(1000) < other_pm ? &prev : &cur;
        pick = below(naccounts);
        r.account = accounts[pick];
        r.payer = &payers[pick % npayers];
        r.prod = &products[below(NPRODUCTS)];
        r.day = 1 + (int)below((uint64_t)r.per->days);
        r.hour = (int)below(24);
        r.hours = 1;
        r.tag = (unsigned)below(1u << 20);
        if (below(1000) < credit_pm) {
            r.type = T_CREDIT;
        } else {
            pick = below(1000);
            for (c = 0; c < NTYPES && pick >= cum[c]; c++)
                ;
            r.type = (enum ltype)c;
        }
        r.rate = amount(-3, 0, &r.rate_dec);
        r.usage = amount(-2, 3, &r.usage_dec);
        switch (r.type) {
        case T_CREDIT:
            r.cost = -amount(-2, 4, &r.cost_dec);
            r.day = 1 + (int)below((uint64_t)r.per->days);
            r.hour = 0;
            r.hours = 24 * (r.per->days - r.day + 1);
            credit_text(&r);
            break;
        case T_SP_NEGATION:
        case T_EDP_DISCOUNT:
        case T_BUNDLED:
        case T_PRIVATE_RATE:
            r.cost = -amount(-3, 1, &r.cost_dec);
            set_desc(&r, r.type == T_SP_NEGATION ? "SavingsPlanNegation used by AccountId : 111122223333 and UsageSku : ABCDEF"
                         : r.type == T_EDP_DISCOUNT ? "Enterprise Program Discount"
                         : r.type == T_BUNDLED ? "Free tier bundled discount"
                                               : "Private rate discount, negotiated");
            break;
        case T_REFUND:
            r.cost = -amount(-1, 3, &r.cost_dec);
            set_desc(&r, "Refund for \"double billing\" of support, case 1234");
            break;
        case T_TAX:
            r.cost = amount(-1, 3, &r.cost_dec);
            set_desc(&r, "Tax for product code ");
            memcpy(r.desc + r.desc_len, r.prod->code, strlen(r.prod->code) + 1);
            r.desc_len += strlen(r.prod->code);
            break;
        case T_FEE:
            r.cost = amount(1, 3, &r.cost_dec);
            set_desc(&r, "AWS Support (Business)");
            break;
        case T_RIFEE:
            r.cost = amount(-1, 2, &r.cost_dec);
            set_desc(&r, "USD 0.0 hourly fee per Linux/UNIX (Amazon VPC), t3.large instance");
            break;
        case T_SP_RECURRING:
            r.cost = amount(-1, 2, &r.cost_dec);
            set_desc(&r, "1 year No Upfront Compute Savings Plan");
            break;
        default:
            r.cost = amount(-4, 2, &r.cost_dec);
            set_desc(&r, r.prod->desc);
            break;
        }
        if (r.type == T_CREDIT && r.per == &cur) {
            for (c = 0; c < 3; c++)
                if (!strcmp(sums[c].currency, r.payer->currency)) {
                    sums[c].total += r.cost;
                    sums[c].count++;
                }
        }
        for (c = 0; c < ncols; c++) {
            if (c)
                putc1(',');
            put_field(&r, cols[c].k);
        }
        putc1('\n');
    }
    flush_out();
    if (out_path && close(ofd) != 0)
        die(out_path);

    {
        FILE *sf = stderr;
        if (sums_path && !(sf = fopen(sums_path, "w")))
            die(sums_path);
        for (c = 0; c < 3; c++) {
            char t[64];
            if (!sums[c].count)
                continue;
            format_sum(t, sizeof(t), sums[c].total);
            fprintf(sf, "%s %s %" PRIu64 "\n", sums[c].currency, t, sums[c].count);
        }
        if (sums_path && fclose(sf) != 0)
            die(sums_path);
    }
    free(names);
    free(ob);
    free(payers);
    free(accounts);
    return 0;
}
