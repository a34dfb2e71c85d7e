/*
 * out.h -- writing an operation's output through the host's awc_call.
 *
 * Text goes out as it is produced; JSON is built with jansson and written
 * as one document.  Amounts are always written as decimal strings, never as
 * JSON numbers, so nothing downstream rounds them.  A failed write is
 * AWC_EIO and the operation stops.
 */
#ifndef AWC_OUT_H
#define AWC_OUT_H

#include <jansson.h>
#include <stddef.h>

#include "awc.h"

int awc_out_write(const awc_call *c, const char *s, size_t n);
/* Text for a terminal: what fmt makes, with every control character but
 * the newline and the tab (C0, DEL, and C1 as UTF-8) and every byte that is
 * not UTF-8 written as an escape ("\x1b", "\u009b"), so that no text
 * from the data can move the cursor, ring, retitle or clear a terminal. */
int awc_out_printf(const awc_call *c, const char *fmt, ...) AWC_PRINTF(2, 3);
/* s into dst[n] with awc_out_printf's escapes and the newline and tab
 * escaped too ("\n", "\t"): one field of data on one line.  Cut (never
 * mid-escape) when dst is too small; returns dst. */
char *awc_out_field(char *dst, size_t n, const char *s);
/* How many bytes of s, at most max, end on a whole UTF-8 character: for
 * "%.*s" in a column, so that a cut never leaves half a character. */
int awc_out_cut(const char *s, size_t max);
/* Write doc (indented, keys in insertion order) and a newline; doc is not
 * released. */
int awc_out_json(const awc_call *c, const json_t *doc);

/* Write v (compact, on one line, keys in insertion order, escaped as
 * awc_out_json does) without a newline: one item of a JSON document that
 * is streamed piece by piece, so that memory does not grow with its
 * length.  v is not released. */
int awc_out_json_item(const awc_call *c, const json_t *v);

/* Build helpers that tolerate allocation failure by returning -1 once a
 * part failed (json_object_set_new semantics: value is consumed). */
int awc_json_set(json_t *obj, const char *key, json_t *value);
/* "" becomes JSON null, so absent values read the same everywhere. */
json_t *awc_json_str_or_null(const char *s);

#endif /* AWC_OUT_H */
