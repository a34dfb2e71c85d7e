/*
 * output.h -- where the host puts things: the module's output (standard
 * output, or a file written atomically), one-line messages and progress bars
 * on standard error, and the exit status for an awc_err.
 *
 * Output: host_out_write() is the awc_call.write callback.  A file given with
 * -o is written to "FILE.tmp.PID" and renamed over FILE only when the
 * command succeeded, so a failed export leaves no half-written file.
 *
 * Terminal: a progress bar is drawn only when standard error is a terminal
 * (carriage-return redraw, erased when the command ends); when it is piped
 * nothing extra is written.  Text that comes from the module is printed on
 * one line with control characters replaced.
 */
#ifndef HOST_OUTPUT_H
#define HOST_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "host.h"

typedef struct host_term host_term;

typedef struct host_out {
    FILE *f;                   /* stdout or the temporary file */
    host_term *term;           /* optional: its progress bar is erased before output */
    char *path;                /* -o FILE, or NULL for standard output */
    char *tmp;                 /* FILE.tmp.PID while writing */
    int err;                   /* errno of the first failed write, 0 = fine */
    int tty;                   /* standard output is a terminal: control characters escaped */
    int cr;                    /* a CR ended the last write (tty only) */
    int epipe;                 /* standard output's reader went away (list | head) */
} host_out;

struct host_term {
    int verbose;               /* 0: warnings and errors; 1: info; 2: debug */
    int tty;                   /* standard error is a terminal */
    int drawn;                 /* a progress bar is on the screen */
    int last_pct;
    char task[64];
    struct timespec last;
};

/* Open the output: path NULL or "-" is standard output.  0, or AWC_EIO
 * with one line in err. */
int host_out_open(host_out *o, const char *path, char *err, size_t errsz);

/* awc_call.write: 0, or -1 after a failed write (remembered in o->err). */
int host_out_write(void *ctx, const char *buf, size_t len);

/* Flush and close.  ok: keep the file (rename it into place); !ok: remove
 * it.  0, or AWC_EIO with one line in err when the output could not be
 * completed. */
int host_out_finish(host_out *o, int ok, char *err, size_t errsz);

void host_term_init(host_term *t, int verbose);

/* awc_host_api.log: errors and warnings always, info with -v, debug -vv. */
void host_term_log(host_term *t, int level, const char *msg);

/* awc_host_api.progress: a bar when standard error is a terminal. */
void host_term_progress(host_term *t, const char *task, uint64_t done, uint64_t total);

/* Erase the progress bar, if one is drawn. */
void host_term_clear(host_term *t);

/* "awscredit: MESSAGE" on standard error, one line. */
void host_term_error(host_term *t, const char *fmt, ...) HOST_PRINTF(2, 3);

/* The sysexits status for an awc_err (docs/ABI.md has the table). */
int host_exit_code(int code);

#endif /* HOST_OUTPUT_H */
