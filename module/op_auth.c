/* op_auth.c -- signing in to the web console and API (SPEC 15), for a host
 * that serves them: sign-in with a password, sessions, API tokens.
 *
 * Sign-in.  A wrong password and an unknown user get the same answer, and
 * take the same time: an unknown name is checked against a hash of a
 * random password made once, so argon2id runs either way.  Failures are
 * kept in the store (signin_failures), so every host serving the same
 * database counts them together: after THROTTLE_FAILURES for one user name
 * or one client address within THROTTLE_WINDOW_S, further attempts are
 * refused with AWC_ETHROTTLED -- the right password too -- until the
 * oldest failure leaves the window.
 *
 * Sessions.  A session id is 256 random bits (43 characters, base64url);
 * the store keeps its SHA-256 only, beside a CSRF token of 256 random bits
 * of its own.  A session ends after web.session_idle_minutes without a
 * request and web.session_max_hours after sign-in, when its user is
 * disabled or changes password, and at sign-out.
 *
 * API tokens ("awc_<id>_<secret>", op_user.c) are looked up by id and
 * their secret's SHA-256 compared in constant time. */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "mod.h"

#define THROTTLE_FAILURES 5
#define THROTTLE_WINDOW_S (15 * 60)
#define ID_BYTES 32
#define ID_TEXT 43                 /* base64url of 32 bytes, unpadded */

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    unsigned char pw[32];

    randombytes_buf(pw, sizeof(pw));
    if (crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof(pw));
}

/* n random bytes as unpadded base64url text in out (ID_TEXT + 1 bytes). */
static void random_text(char out[ID_TEXT + 1], unsigned char raw[ID_BYTES])
{
    randombytes_buf(raw, ID_BYTES);
    sodium_bin2base64(out, ID_TEXT + 1, raw, ID_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void hash_text(uint8_t out[32], const char *s)
{
    crypto_hash_sha256(out, (const unsigned char *)s, strlen(s));
}

static int who(awc_auth_result *r, const awc_user *u)
{
    r->role = (awc_role)u->role;
    snprintf(r->user, sizeof(r->user), "%s", u->name);
    snprintf(r->reseller_id, sizeof(r->reseller_id), "%s",
             u->role == AWC_ROLE_RESELLER ? u->reseller_id : "");
    return 0;
}

static int refused(void)
{
    return awc_error_set(AWC_EAUTH, "wrong user name or password");
}

static int signin(awc_module *m, awc_store *st, const awc_auth_args *a, awc_auth_result *r)
{
    const char *client = a->client ? a->client : "";
    char hash[crypto_pwhash_STRBYTES], csrf[ID_TEXT + 1], id[ID_TEXT + 1];
    unsigned char raw[ID_BYTES];
    uint8_t id_hash[32];
    int64_t fails[4];
    awc_user u;
    size_t pwlen = a->password ? strlen(a->password) : 0;
    int rc, found, ok;

    if (!a->name || !a->name[0] || strlen(a->name) > AWC_CODE_MAX || pwlen > 1024 ||
        strlen(client) > 64)
        return refused();
    if ((rc = st->ops->auth_failures(st, a->name, client, THROTTLE_WINDOW_S, fails)) != 0)
        return rc;
    if (fails[0] >= THROTTLE_FAILURES || fails[1] >= THROTTLE_FAILURES) {
        int64_t wait = fails[0] >= THROTTLE_FAILURES ? fails[2] : 0;
        if (fails[1] >= THROTTLE_FAILURES && fails[3] > wait)
            wait = fails[3];
        r->retry_after = wait < 1 ? 1 : wait > THROTTLE_WINDOW_S ? THROTTLE_WINDOW_S : (int)wait;
        return awc_error_set(AWC_ETHROTTLED, "too many failed sign-ins; try again in %d "
                             "seconds", r->retry_after);
    }
    hash[0] = '\0';
    rc = st->ops->auth_user(st, a->name, &u, hash, sizeof(hash));
    if (rc != 0 && rc != AWC_ENOTFOUND)
        return rc;
    found = rc == 0 && !u.disabled;
    pthread_once(&dummy_once, dummy_init);
    ok = crypto_pwhash_str_verify(found ? hash : dummy_hash, a->password ? a->password : "",
                                  pwlen) == 0 && found;
    sodium_memzero(hash, sizeof(hash));
    if (!ok) {
        if ((rc = st->ops->auth_failed(st, a->name, client, THROTTLE_WINDOW_S)) != 0)
            return rc;
        return refused();
    }
    random_text(id, raw);
    hash_text(id_hash, id);
    random_text(csrf, raw);
    sodium_memzero(raw, sizeof(raw));
    rc = st->ops->session_add(st, u.name, id_hash, csrf, (int)m->cfg.web.idle_s,
                              (int)m->cfg.web.max_s);
    if (rc == 0) {
        who(r, &u);
        memcpy(r->session, id, sizeof(id));
        memcpy(r->csrf, csrf, sizeof(csrf));
    }
    sodium_memzero(id, sizeof(id));
    return rc;
}

static int session(awc_module *m, awc_store *st, const awc_auth_args *a, awc_auth_result *r,
                   int end)
{
    uint8_t id_hash[32];
    char csrf[44];
    awc_user u;
    int rc;

    if (!a->secret || strlen(a->secret) != ID_TEXT)
        return awc_error_set(AWC_EAUTH, "not signed in");
    hash_text(id_hash, a->secret);
    if (end)
        return st->ops->session_end(st, id_hash);
    rc = st->ops->session_get(st, id_hash, (int)m->cfg.web.idle_s, (int)m->cfg.web.max_s, &u,
                              csrf);
    if (rc == AWC_ENOTFOUND)
        return awc_error_set(AWC_EAUTH, "not signed in, or the session has expired");
    if (rc == 0) {
        who(r, &u);
        snprintf(r->csrf, sizeof(r->csrf), "%s", csrf);
    }
    return rc;
}

/* "awc_" 16 hex "_" 64 hex */
static int bearer(awc_store *st, const awc_auth_args *a, awc_auth_result *r)
{
    const char *t = a->secret;
    char id[17];
    uint8_t want[32], got[32];
    awc_user u;
    int rc;

    if (!t || strlen(t) != 85 || strncmp(t, "awc_", 4) != 0 || t[20] != '_' ||
        strspn(t + 4, "0123456789abcdef") != 16 || strspn(t + 21, "0123456789abcdef") != 64)
        return awc_error_set(AWC_EAUTH, "not a valid API token");
    memcpy(id, t + 4, 16);
    id[16] = '\0';
    rc = st->ops->token_get(st, id, want, &u);
    if (rc == AWC_ENOTFOUND)
        return awc_error_set(AWC_EAUTH, "not a valid API token");
    if (rc != 0)
        return rc;
    hash_text(got, t + 21);
    if (sodium_memcmp(want, got, sizeof(got)) != 0)
        return awc_error_set(AWC_EAUTH, "not a valid API token");
    return who(r, &u);
}

int awc_op_auth(awc_module *m, const awc_call *c, const awc_auth_args *a, awc_auth_result *r)
{
    const char *act;
    awc_store *st;
    int rc;

    awc_op_begin();
    if (!a || a->size < sizeof(*a) || !r || r->size < sizeof(*r))
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "auth: arguments missing or too old"));
    act = a->action ? a->action : "";
    r->role = 0;
    r->user[0] = r->reseller_id[0] = r->session[0] = r->csrf[0] = '\0';
    r->retry_after = 0;
    if (sodium_init() < 0)
        return awc_op_end(c, awc_error_set(AWC_ERROR, "auth: libsodium did not start"));
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    if (!st->ops->session_get)
        return awc_op_end(c, awc_error_set(AWC_ENOTSUP, "auth: the store has no users"));
    if (strcmp(act, "signin") == 0)
        rc = signin(m, st, a, r);
    else if (strcmp(act, "session") == 0)
        rc = session(m, st, a, r, 0);
    else if (strcmp(act, "signout") == 0)
        rc = session(m, st, a, r, 1);
    else if (strcmp(act, "bearer") == 0)
        rc = bearer(st, a, r);
    else
        rc = awc_error_set(AWC_EUSAGE, "auth: unknown action '%.20s'", act);
    return awc_op_end(c, rc);
}
