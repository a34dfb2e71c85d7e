/*
 * loader.h -- find the module, read its manifest, load the library and
 * refuse it unless everything agrees (SPEC section 12, docs/ABI.md).
 *
 * The manifest (DIR/plugin.manifest) is read and checked first, so a module
 * built for another ABI is refused before its library is ever loaded.  Then
 * the library is loaded with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE),
 * its one entry function is called, and the descriptor it returns is
 * checked: size, ABI, hooks, and every identity field against the manifest.
 *
 * Every failure is one line of text in the caller's buffer, naming the file
 * it is about, and a negative awc_err: AWC_EABI for a module that does not
 * fit this host, AWC_ECONFIG for a manifest that cannot be read or parsed,
 * AWC_ENOMEM.  host_module owns all it points to; host_module_unload() frees
 * it and closes the library (after the caller has called desc->close()).
 */
#ifndef HOST_LOADER_H
#define HOST_LOADER_H

#include <stddef.h>
#include <stdio.h>

#include "awscredit.h"

#define HOST_MANIFEST_NAME "plugin.manifest"

/* Every operation of the descriptor, by the name the manifest and
 * desc->operations use: the descriptor's field name.  Fixed order. */
typedef enum host_op {
    HOST_OP_VERSION, HOST_OP_MIGRATE, HOST_OP_SHOW, HOST_OP_PULL, HOST_OP_ASSIGN,
    HOST_OP_LIST, HOST_OP_EXPORT_CSV, HOST_OP_EXPLAIN, HOST_OP_EDIT, HOST_OP_UNASSIGN,
    HOST_OP_INVOICE, HOST_OP_RECONCILE, HOST_OP_CLOSE_PERIOD, HOST_OP_RUN,
    HOST_OP_RULES_IMPORT, HOST_OP_RULES_EXPORT, HOST_OP_RULES_VALIDATE,
    HOST_OP_ACCOUNTS_IMPORT, HOST_OP_BALANCE, HOST_OP_EXPIRING,
    HOST_OP_EXCLUDE, HOST_OP_INCLUDE, HOST_OP_CURRENCY_SET, HOST_OP_USER,
    HOST_OP_AUTH, HOST_OP_PERIODS,
    HOST_OP_GRANTS_IMPORT, HOST_OP_GRANT_SET, HOST_OP_HIERARCHY_IMPORT, HOST_OP_BALANCE_OF,
    HOST_OP_EXPIRING_OF, HOST_OP_REOPEN_PERIOD,
    HOST_OP_COUNT
} host_op;

/* A whitespace-separated manifest list, in file order. */
typedef struct host_list {
    char **v;
    size_t n, cap;
} host_list;

typedef struct host_manifest {
    char *path;                /* DIR/plugin.manifest */
    char *name, *version, *library, *entry;
    unsigned abi_major, abi_minor;
    int has_abi;
    host_list hooks, operations, config_keys;
} host_manifest;

typedef struct host_module {
    host_manifest mf;
    char *lib_path;            /* DIR/library */
    void *dl;                  /* dlopen handle, or NULL */
    const awc_module_desc *desc;
} host_module;

/* The name of an operation ("export_csv"); never NULL. */
const char *host_op_name(host_op op);

/* 1 when the descriptor is large enough to hold op's entry and it is set. */
int host_op_present(const awc_module_desc *d, host_op op);

/* The directory to load from: opt (--module-dir) when set, else
 * $AWSCREDIT_MODULE_DIR, else the running program's directory when it holds a
 * plugin.manifest, else AWC_LIBDIR.  Writes it to buf; 0, or AWC_ECONFIG
 * when it does not fit (message in err). */
int host_module_dir(char *buf, size_t n, const char *opt, char *err, size_t errsz);

/* Parse the manifest at path.  0, AWC_ECONFIG ("PATH:LINE: ...") or
 * AWC_ENOMEM; out is left for host_manifest_free() either way. */
int host_manifest_parse(host_manifest *out, const char *path, char *err, size_t errsz);
/* The same from an open stream; path names it in messages.  f stays open. */
int host_manifest_read(host_manifest *out, FILE *f, const char *path, char *err, size_t errsz);
/* What can be checked of a parsed manifest before loading anything: the
 * ABI against this host's, the entry symbol, the hooks, the operation
 * names and the shape of the config keys.  0, or AWC_EABI with one line. */
int host_manifest_check(const host_manifest *mf, char *err, size_t errsz);
void host_manifest_free(host_manifest *mf);

/* Read DIR's manifest, load its library and check it.  0, or AWC_EABI /
 * AWC_ECONFIG / AWC_ENOMEM with one line in err; out is left for
 * host_module_unload() either way. */
int host_module_load(host_module *out, const char *dir, char *err, size_t errsz);

/* Close the library and free everything; safe on a zeroed or failed load. */
void host_module_unload(host_module *m);

#endif /* HOST_LOADER_H */
