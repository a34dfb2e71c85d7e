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
int awc_out_printf(const awc_call *c, const char *fmt, ...) AWC_PRINTF(2, 3);
/* Write doc (indented, keys in insertion order) and a newline; doc is not
 * released. */
int awc_out_json(const awc_call *c, const json_t *doc);

/* Build helpers that tolerate allocation failure by returning -1 once a
 * part failed (json_object_set_new semantics: value is consumed). */
int awc_json_set(json_t *obj, const char *key, json_t *value);
/* "" becomes JSON null, so absent values read the same everywhere. */
json_t *awc_json_str_or_null(const char *s);

#endif /* AWC_OUT_H */
