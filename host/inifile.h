/*
 * inifile.h -- the host's configuration table (SPEC section 11).
 *
 * The INI file is parsed with inih; every (section, key, value, line) is kept
 * in a table the host owns, and the module reads it through the host API's
 * config_get() and config_origin().  Only the keys the module declared
 * (desc->config_keys, "section.key") are accepted: an unknown section or
 * key, a key given twice or a line inih cannot parse is an error naming the
 * file and line.  Nothing is written to the terminal here.
 *
 * Syntax: "[section]" then "key = value"; a line whose first non-blank is
 * '#' or ';' is a comment, and so is the rest of a line from a '#' or ';'
 * that follows a blank.  Leading blanks are ignored (there are no
 * continuation lines).  Names are case-sensitive.
 *
 * The strings returned by host_ini_get()/host_ini_origin() live until
 * host_ini_free().
 */
#ifndef HOST_INIFILE_H
#define HOST_INIFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct host_ini_entry {
    char *section, *key, *value;
    char *origin;              /* "FILE:LINE" */
    int line;
} host_ini_entry;

typedef struct host_ini {
    char *path;                /* NULL when there is no file: all defaults */
    host_ini_entry *v;
    size_t n, cap;
} host_ini;

/* Load path (NULL = no configuration) checking keys against known
 * ("section.key", NULL-terminated).  0, AWC_ECONFIG with one line in err
 * ("FILE:LINE: unknown key 'foo' in section [db]"), or AWC_ENOMEM.  out is
 * left for host_ini_free() either way. */
int host_ini_load(host_ini *out, const char *path, const char *const *known, char *err,
                  size_t errsz);
/* The same from an open stream; path names it in messages.  f stays open. */
int host_ini_read(host_ini *out, FILE *f, const char *path, const char *const *known,
                  char *err, size_t errsz);

/* The value of [section] key, or NULL when the file does not set it. */
const char *host_ini_get(const host_ini *ini, const char *section, const char *key);

/* "FILE:LINE" where [section] key was set, or NULL when it was not. */
const char *host_ini_origin(const host_ini *ini, const char *section, const char *key);

void host_ini_free(host_ini *ini);

#endif /* HOST_INIFILE_H */
