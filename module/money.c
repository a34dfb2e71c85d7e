/*
 * money.c -- exact decimal money: parse, print, checked sums, ISO 4217
 * minor units (SPEC section 4).
 *
 * Text is scanned once to check its shape, then converted digit by digit:
 * each digit has a known power of ten, digits down to 10^-10 are
 * accumulated in an __int128, the digit at 10^-11 decides the rounding
 * (half away from zero) and anything further down cannot change it.  The
 * exponent is saturated while it is read, so "1E999999999999" ends in a
 * few steps as AWC_EOVERFLOW and "0E999999999999" is simply zero.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "money.h"

/* Input quoted in a message is cut to this many bytes. */
#define QUOTE_MAX 40
/* |exponent| is saturated here: far past any digit that can matter, far
 * below anything that could overflow a position computed in int64_t. */
#define EXP_SAT INT64_C(1000000000)

/* Magnitude limit of an awc_amount (either sign) and of a parsed awc_sum
 * (10^30 units: DECIMAL(30,10)) as unsigned __int128. */
#define MAG_MAX ((unsigned __int128)AWC_AMOUNT_MAX)
#define MAG_SUM ((unsigned __int128)1000000000000000 * 1000000000000000)

/* The shape of a decimal number found by scan(). */
struct dec {
    int neg;
    const char *ip;       /* integer digits */
    size_t ilen;
    const char *fp;       /* fraction digits */
    size_t flen;
    int has_exp;
    int64_t exp;          /* saturated at +/-EXP_SAT */
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the quoted part of s and the mark that says it was cut. */
static int quote_len(size_t len)
{
    return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

static const char *quote_more(size_t len)
{
    return len > QUOTE_MAX ? "..." : "";
}

static int bad_number(const char *s, size_t len)
{
    return awc_error_set(AWC_EBADINPUT, "amount '%.*s%s': not a decimal number",
                         quote_len(len), s ? s : "", quote_more(len));
}

static int out_of_range(const char *s, size_t len)
{
    return awc_error_set(AWC_EOVERFLOW,
                         "amount '%.*s%s': out of range (at most +/-922337203.6854775807)",
                         quote_len(len), s, quote_more(len));
}

static int bad_exponent(int e);

static size_t digit_run(const char *s, size_t i, size_t len)
{
    size_t j = i;
    while (j < len && is_digit(s[j]))
        j++;
    return j - i;
}

/* Read [eE][+-]digits from s[i..len) into d->exp (saturated).  Returns the
 * index after it, or 0 when the exponent is malformed. */
static size_t scan_exp(struct dec *d, const char *s, size_t i, size_t len)
{
    int eneg = 0;
    size_t n;

    i++;                                 /* the 'e' */
    if (i < len && (s[i] == '+' || s[i] == '-'))
        eneg = s[i++] == '-';
    n = digit_run(s, i, len);
    if (n == 0)
        return 0;
    for (d->exp = 0; n > 0; n--, i++)
        if (d->exp < EXP_SAT)
            d->exp = d->exp * 10 + (s[i] - '0');
    if (d->exp > EXP_SAT)
        d->exp = EXP_SAT;
    if (eneg)
        d->exp = -d->exp;
    d->has_exp = 1;
    return i;
}

/* Check "[+-]digits[.digits][(e|E)[+-]digits]" with at least one mantissa
 * digit and fill d.  Returns 0 or -1; sets no message. */
static int scan(struct dec *d, const char *s, size_t len)
{
    size_t i = 0;

    memset(d, 0, sizeof(*d));
    if (!s)
        return -1;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        d->neg = s[i++] == '-';
    d->ip = s + i;
    d->ilen = digit_run(s, i, len);
    i += d->ilen;
    if (i < len && s[i] == '.') {
        i++;
        d->fp = s + i;
        d->flen = digit_run(s, i, len);
        i += d->flen;
    }
    if (d->ilen + d->flen == 0)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i = scan_exp(d, s, i, len);
        if (i == 0)
            return -1;
    }
    return i == len ? 0 : -1;
}

/* The k-th mantissa digit (integer digits first, then fraction digits). */
static int mant_digit(const struct dec *d, size_t k)
{
    return k < d->ilen ? d->ip[k] - '0' : d->fp[k - d->ilen] - '0';
}

/*
 * Magnitude of d in units of 10^-10, rounded half away from zero.
 * Returns 0, or -1 when it exceeds limit.  Digit k stands for
 * 10^(ilen - 1 - k + exp); with scale 10 that is position pos below.
 */
static int to_units(unsigned __int128 *out, const struct dec *d, unsigned __int128 limit)
{
    unsigned __int128 acc = 0;
    size_t nd = d->ilen + d->flen, k;
    int64_t top = (int64_t)d->ilen - 1 + d->exp + AWC_MONEY_SCALE;
    int64_t pos = top, shift;
    int round_up = 0;

    for (k = 0; k < nd; k++, pos--) {
        int dig = mant_digit(d, k);
        if (pos >= 0) {
            acc = acc * 10 + (unsigned)dig;
            if (acc > limit)
                return -1;
        } else {
            if (pos == -1)
                round_up = dig >= 5;
            break;
        }
    }
    /* The last digit read stood at pos + 1; scale up to position 0. */
    for (shift = pos + 1; shift > 0 && acc != 0; shift--) {
        acc *= 10;
        if (acc > limit)
            return -1;
    }
    acc += (unsigned)round_up;
    if (acc > limit)
        return -1;
    *out = acc;
    return 0;
}

/* Signed value of a magnitude already checked against its limit. */
static int64_t apply_sign(unsigned __int128 mag, int neg)
{
    __int128 v = (__int128)mag;
    return (int64_t)(neg ? -v : v);
}

int awc_money_parse(awc_amount *out, const char *s, size_t len)
{
    struct dec d;
    unsigned __int128 mag;

    if (scan(&d, s, len) != 0)
        return bad_number(s, len);
    if (to_units(&mag, &d, MAG_MAX) != 0)
        return out_of_range(s, len);
    *out = apply_sign(mag, d.neg);
    return 0;
}

int awc_sum_parse(awc_sum *out, const char *s, size_t len)
{
    struct dec d;
    unsigned __int128 mag;

    if (scan(&d, s, len) != 0)
        return bad_number(s, len);
    if (to_units(&mag, &d, MAG_SUM) != 0)
        return awc_error_set(AWC_EOVERFLOW, "sum '%.*s%s': out of range", quote_len(len), s,
                             quote_more(len));
    *out = d.neg ? -(awc_sum)mag : (awc_sum)mag;
    return 0;
}

/* |v| as uint64_t; exact for INT64_MIN too. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* Copy the formatted text tmp (length len) into buf, or fail. */
static int deliver(char *buf, size_t n, const char *tmp, int len)
{
    if (len < 0 || (size_t)len >= n) {
        if (buf && n > 0)
            buf[0] = '\0';
        return awc_error_set(AWC_EOVERFLOW, "buffer of %zu bytes too small for '%s'", n, tmp);
    }
    memcpy(buf, tmp, (size_t)len + 1);
    return len;
}

int awc_money_format(char *buf, size_t n, awc_amount a)
{
    char tmp[AWC_MONEY_BUFSZ];
    uint64_t m = magnitude(a), one = (uint64_t)AWC_MONEY_ONE;
    int len = snprintf(tmp, sizeof(tmp), "%s%" PRIu64 ".%010" PRIu64,
                       a < 0 ? "-" : "", m / one, m % one);
    return deliver(buf, n, tmp, len);
}

int awc_money_add(awc_amount *out, awc_amount a, awc_amount b)
{
    __int128 r = (__int128)a + b;
    char sa[AWC_MONEY_BUFSZ], sb[AWC_MONEY_BUFSZ];

    if (r > AWC_AMOUNT_MAX || r < AWC_AMOUNT_MIN) {
        awc_money_format(sa, sizeof(sa), a);
        awc_money_format(sb, sizeof(sb), b);
        return awc_error_set(AWC_EOVERFLOW, "amount overflow: %s + %s", sa, sb);
    }
    *out = (int64_t)r;
    return 0;
}

/* Digits of |v| into rev[] (least significant first), with a '.' after
 * the first `places` digits and at least one digit before it; returns how
 * many characters. */
static size_t sum_digits(char *rev, awc_sum v, int places)
{
    unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    size_t k = 0;
    int d = 0;

    do {
        rev[k++] = (char)('0' + (int)(u % 10));
        u /= 10;
        if (++d == places)
            rev[k++] = '.';
    } while (u || d <= places);
    return k;
}

static int sum_deliver(char *buf, size_t n, awc_sum v, int places)
{
    char rev[AWC_SUM_BUFSZ], tmp[AWC_SUM_BUFSZ];
    size_t k = sum_digits(rev, v, places), o = 0;

    if (v < 0)
        tmp[o++] = '-';
    while (k)
        tmp[o++] = rev[--k];
    tmp[o] = '\0';
    return deliver(buf, n, tmp, (int)o);
}

int awc_sum_format(char *buf, size_t n, awc_sum v)
{
    return sum_deliver(buf, n, v, AWC_MONEY_SCALE);
}

int awc_sum_format_minor(char *buf, size_t n, awc_sum minor, int e)
{
    if (e < 0 || e > 4)
        return bad_exponent(e);
    return sum_deliver(buf, n, minor, e);
}

int awc_sum_to_amount(awc_amount *out, awc_sum v, const char *what)
{
    char t[AWC_SUM_BUFSZ];

    if (v > AWC_AMOUNT_MAX || v < AWC_AMOUNT_MIN) {
        awc_sum_format(t, sizeof(t), v);
        return awc_error_set(AWC_EOVERFLOW, "%s %s: out of range for one amount (at most "
                             "+/-922337203.6854775807)", what, t);
    }
    *out = (awc_amount)v;
    return 0;
}

/* --- ISO 4217 ------------------------------------------------------------ */

struct currency {
    char code[4];
    int exponent;
};

/*
 * ISO 4217 List One, sorted by code, with the minor-unit exponent.  Codes
 * whose minor unit is "N.A." (XAU, XDR, XTS, XXX, ...) have no exponent and
 * are left out.  Codes withdrawn since 2023 (ANG, CUC, HRK, SLL, ZWL) are
 * kept so that restated bills of older periods still resolve.
 */
static const struct currency currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2},
    {"ARS", 2}, {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2},
    {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2},
    {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2},
    {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
    {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
    {"HNL", 2}, {"HRK", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2},
    {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3},
    {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2},
    {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
    {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2},
    {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2},
    {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2},
    {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2},
    {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2},
    {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
    {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2},
    {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2},
    {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2},
    {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2},
    {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2},
    {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2},
    {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2},
    {"XCG", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2},
    {"ZWG", 2}, {"ZWL", 2},
};

static int currency_cmp(const void *key, const void *elem)
{
    const struct currency *c = elem;
    return strcmp(key, c->code);
}

/* Codes a distributor gave a minor unit (awc_currency_define), for this
 * process; looked up only when ISO 4217 has no exponent for a code. */
#define EXTRA_MAX 64
static struct currency extra[EXTRA_MAX];
static size_t nextra;
static pthread_mutex_t extra_mu = PTHREAD_MUTEX_INITIALIZER;

static const struct currency *iso(const char *code)
{
    return bsearch(code, currencies, sizeof(currencies) / sizeof(currencies[0]),
                   sizeof(currencies[0]), currency_cmp);
}

int awc_currency_exponent(const char *code)
{
    const struct currency *c;
    int e = -1;

    if (!code)
        return -1;
    if ((c = iso(code)) != NULL)
        return c->exponent;
    pthread_mutex_lock(&extra_mu);
    for (size_t i = 0; i < nextra; i++)
        if (strcmp(extra[i].code, code) == 0)
            e = extra[i].exponent;
    pthread_mutex_unlock(&extra_mu);
    return e;
}

int awc_currency_iso(const char *code)
{
    return code && iso(code) != NULL;
}

int awc_currency_define(const char *code, int e)
{
    size_t i;
    int rc = 0;

    if (!code || strlen(code) != 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
        code[1] > 'Z' || code[2] < 'A' || code[2] > 'Z')
        return awc_error_set(AWC_EBADINPUT, "currency '%.8s': expected three capital letters",
                             code ? code : "");
    if (e < 0 || e > 4)
        return bad_exponent(e);
    if (iso(code))
        return awc_error_set(AWC_EBADINPUT, "currency %s: ISO 4217 gives it %d decimal "
                             "place%s already", code, iso(code)->exponent,
                             iso(code)->exponent == 1 ? "" : "s");
    pthread_mutex_lock(&extra_mu);
    for (i = 0; i < nextra && strcmp(extra[i].code, code) != 0; i++)
        ;
    if (i == EXTRA_MAX)
        rc = awc_error_set(AWC_EBADINPUT, "currency %s: at most %d codes beyond ISO 4217",
                           code, EXTRA_MAX);
    else {
        memcpy(extra[i].code, code, 4);
        extra[i].exponent = e;
        nextra += i == nextra;
    }
    pthread_mutex_unlock(&extra_mu);
    return rc;
}

/* --- minor units ------------------------------------------------------------ */

static int64_t pow10i(int e)
{
    int64_t p = 1;
    while (e-- > 0)
        p *= 10;
    return p;
}

static int bad_exponent(int e)
{
    return awc_error_set(AWC_EBADINPUT, "currency exponent %d outside 0..4", e);
}

int awc_money_to_minor(int64_t *out, awc_amount a, int e)
{
    int64_t div, q, r, ar;

    if (e < 0 || e > 4)
        return bad_exponent(e);
    div = pow10i(AWC_MONEY_SCALE - e);
    q = a / div;                  /* truncates toward zero */
    r = a % div;                  /* same sign as a, |r| < div */
    ar = r < 0 ? -r : r;
    if (2 * ar >= div)
        q += r < 0 ? -1 : 1;
    *out = q;
    return 0;
}

int awc_money_from_minor(awc_amount *out, int64_t minor, int e)
{
    __int128 v;

    if (e < 0 || e > 4)
        return bad_exponent(e);
    v = (__int128)minor * pow10i(AWC_MONEY_SCALE - e);
    if (v > AWC_AMOUNT_MAX || v < AWC_AMOUNT_MIN)
        return awc_error_set(AWC_EOVERFLOW, "%" PRId64 " minor units (exponent %d) out of range",
                             minor, e);
    *out = (int64_t)v;
    return 0;
}

int awc_money_format_minor(char *buf, size_t n, int64_t minor, int e)
{
    char tmp[AWC_MONEY_BUFSZ];
    uint64_t m = magnitude(minor), p;
    int len;

    if (e < 0 || e > 4)
        return bad_exponent(e);
    p = (uint64_t)pow10i(e);
    if (e == 0)
        len = snprintf(tmp, sizeof(tmp), "%s%" PRIu64, minor < 0 ? "-" : "", m);
    else
        len = snprintf(tmp, sizeof(tmp), "%s%" PRIu64 ".%0*" PRIu64, minor < 0 ? "-" : "",
                       m / p, e, m % p);
    return deliver(buf, n, tmp, len);
}

/*
 * Typed amounts: "[+-]digits[.digits]" with at most e decimals, no exponent.
 * The value must also fit an awc_amount, so from_minor() cannot fail on it.
 */
int awc_money_parse_minor(int64_t *out, const char *s, size_t len, int e)
{
    struct dec d;
    unsigned __int128 mag;

    if (e < 0 || e > 4)
        return bad_exponent(e);
    if (scan(&d, s, len) != 0)
        return bad_number(s, len);
    if (d.has_exp)
        return awc_error_set(AWC_EBADINPUT, "amount '%.*s%s': exponent form not accepted here",
                             quote_len(len), s, quote_more(len));
    if (d.flen > (size_t)e && e == 0)
        return awc_error_set(AWC_EBADINPUT, "amount '%.*s%s': this currency has no decimals",
                             quote_len(len), s, quote_more(len));
    if (d.flen > (size_t)e)
        return awc_error_set(AWC_EBADINPUT,
                             "amount '%.*s%s': more than %d decimal place%s for this currency",
                             quote_len(len), s, quote_more(len), e, e == 1 ? "" : "s");
    if (to_units(&mag, &d, MAG_MAX) != 0)
        return out_of_range(s, len);
    /* Exact: no digit below 10^-e, so mag is a multiple of 10^(10-e). */
    *out = apply_sign(mag / (uint64_t)pow10i(AWC_MONEY_SCALE - e), d.neg);
    return 0;
}
