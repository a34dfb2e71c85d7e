/*
 * host.h -- what the parts of the reference host (the `awscredit` command)
 * share: its own version and a few limits.  The host knows the module only
 * through module/awscredit.h.
 */
#ifndef HOST_HOST_H
#define HOST_HOST_H

#define HOST_VERSION "0.1.0"
#define HOST_ERR_MAX 512           /* one line of error text, host-owned */

#if defined(__GNUC__)
#define HOST_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HOST_PRINTF(a, b)
#endif

#endif /* HOST_HOST_H */
