/*
 * awc.h -- what every file of the module shares: error reporting and the
 * replaceable allocator.
 *
 * Errors: a function returns 0 or a negative awc_err (awscredit.h) and, on
 * failure, sets a one-line message for this thread with awc_error_set().
 * The message is read with awc_error_last(); it never contains a secret.
 *
 * Memory: all module allocation goes through awc_malloc()/awc_free(), which
 * call the host's allocator when it gave one, and can be made to fail on
 * demand in tests (awc_alloc_fail_after()).
 */
#ifndef AWC_H
#define AWC_H

#include <stddef.h>
#include <stdint.h>
#include "awscredit.h"

#define AWC_VERSION "0.1.0"
#define AWC_ERRMSG_MAX 512

#if defined(__GNUC__)
#define AWC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define AWC_HIDDEN __attribute__((visibility("hidden")))
#else
#define AWC_PRINTF(a, b)
#define AWC_HIDDEN
#endif

/* Static, non-NULL text naming the code. */
const char *awc_strerror(int code);

/* Set this thread's message and return code (so: return awc_error_set(...)). */
int awc_error_set(int code, const char *fmt, ...) AWC_PRINTF(2, 3);
/* Prefix the current message with "prefix: " and return code. */
int awc_error_prefix(int code, const char *fmt, ...) AWC_PRINTF(2, 3);
/* Hide the user name and password of every URL in s (user:pass@host
 * becomes three stars, '@' and the host), in place; s only shrinks.  cut: s was
 * cut short, so a URL at its very end whose '@' fell off is hidden too.
 * Every message and log line of the module goes through it. */
void awc_redact_userinfo(char *s, int cut);
/* For a command that read the data itself: AWC_ECONFLICT (a change another
 * process made while it worked) becomes AWC_ELOCKED, busy, with "; " and
 * again added to the message, since running the command again re-reads
 * and can succeed.  Any other code is returned as it is. */
int awc_error_busy(int code, const char *again);
/* This thread's last message, or "" if none; valid until the next set. */
const char *awc_error_last(void);
void awc_error_clear(void);
/* Copy "message" (or the code's text when no message) into buf, one line. */
void awc_error_copy(int code, char *buf, size_t n);

/* Allocator.  awc_alloc_use() installs the host's functions (NULL = libc).
 * open() and close() use acquire and release: instances open at once share
 * one allocator; acquire answers -1 for a different one while others are
 * open. */
int awc_alloc_acquire(void *ctx, void *(*m)(void *, size_t),
                      void *(*r)(void *, void *, size_t), void (*f)(void *, void *));
void awc_alloc_release(void);
void awc_alloc_use(void *ctx, void *(*m)(void *, size_t),
                   void *(*r)(void *, void *, size_t), void (*f)(void *, void *));
void *awc_malloc(size_t n);
void *awc_calloc(size_t count, size_t n);   /* NULL on overflow too */
void *awc_realloc(void *p, size_t n);
void awc_free(void *p);
/* The array items (n elements of elem bytes in use, *cap allocated) with
 * room for one more: items itself when there is room, else items
 * reallocated to twice *cap (first when *cap is 0) and *cap updated.  NULL
 * when out of memory, with the message set; items and *cap are then
 * unchanged and still valid. */
void *awc_grow(void *items, size_t *cap, size_t n, size_t elem, size_t first);
char *awc_strdup(const char *s);
char *awc_strndup(const char *s, size_t n);
/* Tests: the (n+1)th allocation from now fails; -1 disables. */
void awc_alloc_fail_after(long n);
/* May threads of the module's own allocate?  Only with libc's allocator:
 * the host's is called from the operation's thread alone (docs/ABI.md),
 * and failures on demand count allocations on one thread. */
int awc_alloc_any_thread(void);

#endif /* AWC_H */
