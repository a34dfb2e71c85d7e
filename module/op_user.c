/* op_user.c -- `user add|passwd|disable|list|token|revoke-token`: who may
 * sign in to the web console and API (SPEC 15).  Distributor only.
 *
 * Passwords are hashed here with argon2id (libsodium crypto_pwhash_str,
 * the interactive limits: 2 passes over 64 MiB) and the hash alone goes to
 * the store.  An API token is "awc_<id>_<secret>": a public id of 16 hex
 * digits (64 random bits) that names it, and a secret of 256 random bits
 * as 64 hex digits, of which the store keeps the SHA-256 (of those 64
 * characters) only; the whole token, 85 characters with no '_' but its
 * two, is written once, in this command's output. */
#include <string.h>

#include <sodium.h>

#include "accounts.h"
#include "mod.h"
#include "out.h"

#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024
#define TOKEN_ID_LEN 16
#define SECRET_BYTES 32

static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > AWC_CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        /* lower case only: "Alice" and "alice" are one person */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '@'))
            return 0;
    }
    return 1;
}

/* "distributor", "viewer" or "reseller:RID" into *role and *reseller. */
static int role_of(const char *s, int *role, const char **reseller)
{
    *reseller = NULL;
    if (s && strcmp(s, "distributor") == 0)
        *role = AWC_ROLE_DISTRIBUTOR;
    else if (s && strcmp(s, "viewer") == 0)
        *role = AWC_ROLE_VIEWER;
    else if (s && strncmp(s, "reseller:", 9) == 0 && awc_accounts_id_ok(s + 9)) {
        *role = AWC_ROLE_RESELLER;
        *reseller = s + 9;
    } else
        return awc_error_set(AWC_EUSAGE, "user: --role '%.40s': expected distributor, viewer or "
                             "reseller:RESELLER_ID", s ? s : "");
    return 0;
}

/* The argon2id hash of a password that is long enough; the password is
 * never quoted. */
static int hash_of(char out[crypto_pwhash_STRBYTES], const char *password)
{
    size_t n = password ? strlen(password) : 0;

    if (n < PASSWORD_MIN || n > PASSWORD_MAX)
        return awc_error_set(AWC_EBADINPUT, "user: a password has %d to %d bytes (it was read "
                             "from standard input; it is not shown)", PASSWORD_MIN,
                             PASSWORD_MAX);
    if (crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return awc_error_set(AWC_ENOMEM, "user: hashing the password ran out of memory");
    return 0;
}

static int list_one(void *arg, const awc_user *u)
{
    const awc_call *c = ((void **)arg)[0];
    json_t *list = ((void **)arg)[1];
    char role[AWC_CODE_MAX * 4 + 16];

    snprintf(role, sizeof(role), "%s%s%s", u->role == AWC_ROLE_DISTRIBUTOR ? "distributor"
                                           : u->role == AWC_ROLE_RESELLER ? "reseller"
                                           : "viewer", u->reseller_id[0] ? ":" : "",
             u->reseller_id);
    if (list) {
        json_t *o = json_object();
        int bad = awc_json_set(o, "name", json_string(u->name)) |
                  awc_json_set(o, "role", json_string(role)) |
                  awc_json_set(o, "disabled", json_boolean(u->disabled)) |
                  awc_json_set(o, "created_at", json_string(u->created_at)) |
                  awc_json_set(o, "last_login_at", awc_json_str_or_null(u->last_login_at)) |
                  awc_json_set(o, "tokens", json_integer(u->tokens));
        if (bad || json_array_append_new(list, o) != 0)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        return 0;
    }
    return awc_out_printf(c, "%-24s %-24s %-8s %-20s %-20s %lld\n", u->name, role,
                          u->disabled ? "disabled" : "active", u->created_at,
                          u->last_login_at[0] ? u->last_login_at : "never",
                          (long long)u->tokens);
}

static int do_list(const awc_call *c, awc_store *st)
{
    json_t *list = c->format == AWC_FORMAT_JSON ? json_array() : NULL;
    void *arg[2] = { (void *)c, list };
    int rc;

    if (!list && c->format == AWC_FORMAT_JSON)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if (!list && (rc = awc_out_printf(c, "%-24s %-24s %-8s %-20s %-20s %s\n", "USER", "ROLE",
                                      "STATE", "CREATED", "LAST SIGN-IN", "TOKENS")) != 0)
        return rc;
    rc = st->ops->users_each(st, list_one, arg);
    if (rc == 0 && list) {
        json_t *doc = json_object();
        if (awc_json_set(doc, "users", json_incref(list)) != 0)
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
        else
            rc = awc_out_json(c, doc);
        json_decref(doc);
    }
    json_decref(list);
    return rc;
}

static int do_token(const awc_call *c, awc_store *st, const awc_user_args *a)
{
    unsigned char id_bytes[TOKEN_ID_LEN / 2], secret[SECRET_BYTES], hash[crypto_hash_sha256_BYTES];
    char id[TOKEN_ID_LEN + 1], text[2 * SECRET_BYTES + 1];
    char token[8 + TOKEN_ID_LEN + sizeof(text)];
    int rc;

    if (a->label && strlen(a->label) > 256)
        return awc_error_set(AWC_EBADINPUT, "user token: --label is longer than 256 bytes");
    randombytes_buf(id_bytes, sizeof(id_bytes));
    randombytes_buf(secret, sizeof(secret));
    sodium_bin2hex(id, sizeof(id), id_bytes, sizeof(id_bytes));
    sodium_bin2hex(text, sizeof(text), secret, sizeof(secret));
    crypto_hash_sha256(hash, (const unsigned char *)text, strlen(text));
    snprintf(token, sizeof(token), "awc_%s_%s", id, text);
    rc = st->ops->token_add(st, id, a->name, a->label, hash);
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "user", json_string(a->name)) |
                  awc_json_set(doc, "token_id", json_string(id)) |
                  awc_json_set(doc, "token", json_string(token));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "%s\n", token);
        if (rc == 0)
            rc = awc_out_printf(c, "# API token %s for %s: shown this once, only its hash is "
                                "kept; revoke it with `awscredit user revoke-token %s`\n", id,
                                a->name, id);
    }
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(text, sizeof(text));
    sodium_memzero(token, sizeof(token));
    return rc;
}

static int run_action(const awc_call *c, awc_store *st, const awc_user_args *a)
{
    char hash[crypto_pwhash_STRBYTES];
    const char *act = a->action ? a->action : "";
    const char *reseller = NULL;
    int role = 0, rc;

    if (strcmp(act, "list") == 0)
        return do_list(c, st);
    if (strcmp(act, "revoke-token") == 0) {
        if (!a->token_id || strlen(a->token_id) != TOKEN_ID_LEN ||
            strspn(a->token_id, "0123456789abcdef") != TOKEN_ID_LEN)
            return awc_error_set(AWC_EUSAGE, "user revoke-token: expected a token id of 16 "
                                 "hex digits (the part after awc_)");
        if ((rc = st->ops->token_revoke(st, a->token_id)) == 0)
            rc = awc_out_printf(c, "token %s revoked\n", a->token_id);
        return rc;
    }
    if (!name_ok(a->name))
        return awc_error_set(AWC_EUSAGE, "user %s: a user name is 1 to %d of a-z 0-9 . _ - @ "
                             "(lower case)", act, AWC_CODE_MAX);
    if (strcmp(act, "add") == 0) {
        if ((rc = role_of(a->role, &role, &reseller)) != 0 || (rc = hash_of(hash, a->password)))
            return rc;
        if ((rc = st->ops->user_add(st, a->name, role, reseller, hash)) == 0)
            rc = awc_out_printf(c, "user %s added (%s)\n", a->name, a->role);
    } else if (strcmp(act, "passwd") == 0) {
        if ((rc = hash_of(hash, a->password)) != 0)
            return rc;
        if ((rc = st->ops->user_set(st, a->name, hash, -1)) == 0)
            rc = awc_out_printf(c, "user %s: password changed; their sessions ended\n", a->name);
    } else if (strcmp(act, "disable") == 0) {
        if ((rc = st->ops->user_set(st, a->name, NULL, 1)) == 0)
            rc = awc_out_printf(c, "user %s disabled: no sign-in, no API token, sessions "
                                "ended\n", a->name);
    } else if (strcmp(act, "token") == 0) {
        return do_token(c, st, a);
    } else {
        return awc_error_set(AWC_EUSAGE, "user: unknown action '%.20s'", act);
    }
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

int awc_op_user(awc_module *m, const awc_call *c, const awc_user_args *a)
{
    awc_store *st;
    int rc;

    awc_op_begin();
    if (!a || a->size < sizeof(*a))
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "user: arguments missing or too old"));
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "user: only a distributor manages "
                                                      "users"));
    if (sodium_init() < 0)
        return awc_op_end(c, awc_error_set(AWC_ERROR, "user: libsodium did not start"));
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    return awc_op_end(c, run_action(c, st, a));
}
