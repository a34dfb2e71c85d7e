/* alloc.c -- the module's one allocator, replaceable by the host, failable in tests. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"

static void *actx;
static void *(*amalloc)(void *, size_t);
static void *(*arealloc)(void *, void *, size_t);
static void (*afree)(void *, void *);
static long fail_after = -1;

void awc_alloc_use(void *ctx, void *(*m)(void *, size_t),
                   void *(*r)(void *, void *, size_t), void (*f)(void *, void *))
{
    if (m && r && f) {
        actx = ctx, amalloc = m, arealloc = r, afree = f;
    } else {
        actx = NULL, amalloc = NULL, arealloc = NULL, afree = NULL;
    }
}

/* Instances open at once share the one allocator: the first open installs
 * it, the last close removes it, and an open with another allocator while
 * instances are open is refused.  The mutex orders the install before any
 * use by an instance opened later, on any thread. */
static pthread_mutex_t users_mu = PTHREAD_MUTEX_INITIALIZER;
static long users;

int awc_alloc_acquire(void *ctx, void *(*m)(void *, size_t),
                      void *(*r)(void *, void *, size_t), void (*f)(void *, void *))
{
    int rc = 0;

    if (!(m && r && f))
        ctx = NULL, m = NULL, r = NULL, f = NULL;
    pthread_mutex_lock(&users_mu);
    if (users == 0)
        awc_alloc_use(ctx, m, r, f);
    else if (m != amalloc || r != arealloc || f != afree || (m && ctx != actx))
        rc = -1;
    if (rc == 0)
        users++;
    pthread_mutex_unlock(&users_mu);
    return rc;
}

void awc_alloc_release(void)
{
    pthread_mutex_lock(&users_mu);
    if (users > 0 && --users == 0)
        awc_alloc_use(NULL, NULL, NULL, NULL);
    pthread_mutex_unlock(&users_mu);
}

void awc_alloc_fail_after(long n)
{
    fail_after = n;
}

int awc_alloc_any_thread(void)
{
    return !amalloc && fail_after < 0;
}

static int should_fail(void)
{
    if (fail_after < 0)
        return 0;
    if (fail_after == 0)
        return 1;
    fail_after--;
    return 0;
}

void *awc_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    if (n == 0)
        n = 1;
    return amalloc ? amalloc(actx, n) : malloc(n);
}

void *awc_calloc(size_t count, size_t n)
{
    void *p;
    if (n && count > SIZE_MAX / n)
        return NULL;
    p = awc_malloc(count * n);
    if (p)
        memset(p, 0, count * n);
    return p;
}

void *awc_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    if (n == 0)
        n = 1;
    return arealloc ? arealloc(actx, p, n) : realloc(p, n);
}

void awc_free(void *p)
{
    if (!p)
        return;
    if (afree)
        afree(actx, p);
    else
        free(p);
}

void *awc_grow(void *items, size_t *cap, size_t n, size_t elem, size_t first)
{
    size_t want;
    void *p;

    if (n < *cap)
        return items;
    want = *cap ? *cap * 2 : first;
    if (want < *cap || (elem && want > SIZE_MAX / elem) ||
        !(p = awc_realloc(items, want * elem))) {
        awc_error_set(AWC_ENOMEM, "out of memory");
        return NULL;
    }
    *cap = want;
    return p;
}

char *awc_strndup(const char *s, size_t n)
{
    char *d = awc_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *awc_strdup(const char *s)
{
    return awc_strndup(s, strlen(s));
}
