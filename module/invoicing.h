/*
 * invoicing.h -- the interface between the module and a billing platform's
 * usage intake (SPEC section 8).  adapters/invoicing_spool.c,
 * adapters/invoicing_xmlrpc.c and adapters/invoicing_connect.c implement it;
 * the module never knows which.
 *
 * Exactly once: every usage file carries an external id fixed (and stored)
 * before the first send.  After a crash the module calls find() with that
 * id before it sends again; a platform that already has the file answers
 * with its id and records, and nothing is sent twice.
 *
 * Ownership: everything passed in stays the caller's; results are written
 * into caller-provided structs with fixed-size fields.
 */
#ifndef AWC_INVOICING_H
#define AWC_INVOICING_H

#include <stddef.h>
#include <stdint.h>

#define AWC_UF_ID_MAX 64
#define AWC_UF_NOTE_MAX 1024

typedef struct awc_usage_record {
    const char *record_id;         /* ours "UR-YYYY-MM-DDDD-DDDD-DDDD-DDDD" (spool), or NULL: the
                                    * platform assigns one (xmlrpc) */
    const char *note;              /* credit ID and description */
    const char *item_mpn;          /* invoicing.item_mpn */
    int64_t amount_minor;          /* negative for a credit */
    int exponent;                  /* the currency's minor-unit exponent */
    const char *start_utc;         /* period start, "YYYY-MM-DDT00:00:00Z" */
    const char *end_utc;           /* period end (exclusive), same form */
    const char *asset_id;
    const char *customer_id;
    const char *reseller_id;
    const char *currency;
    uint64_t seq;                  /* the credit's number (for the caller) */
    int line_no;                   /* the split line (for the caller) */
} awc_usage_record;

typedef struct awc_usage_file {
    const char *external_id;       /* deterministic, e.g. "awscredit:2026-10:R-1:USD:1" */
    const char *period;            /* YYYY-MM */
    const char *reseller_id;
    const char *currency;
    const awc_usage_record *records;
    size_t n;
} awc_usage_file;

typedef enum awc_uf_status {
    AWC_UF_UNKNOWN = 0,            /* the platform has no such file */
    AWC_UF_PENDING = 1,            /* received, not yet decided */
    AWC_UF_ACCEPTED = 2,
    AWC_UF_CLOSED = 3,             /* invoiced: credits become PROCESSED */
    AWC_UF_REJECTED = 4            /* credits go back to ASSIGNED */
} awc_uf_status;

/* What the platform says about one file. */
typedef struct awc_uf_state {
    char usage_file_id[AWC_UF_ID_MAX];  /* the platform's id, "UF-YYYY-MM-DDDD-DDDD" */
    awc_uf_status status;
    size_t records;                /* how many records it holds */
    char note[AWC_UF_NOTE_MAX];    /* e.g. the rejection reason */
} awc_uf_state;

typedef struct awc_invoicing awc_invoicing;

typedef struct awc_invoicing_ops {
    void (*close)(awc_invoicing *inv);
    /* Does the platform have a file with this external id?  out->status is
     * AWC_UF_UNKNOWN when not.  Errors: AWC_ENET, AWC_ETIMEOUT, AWC_EIO. */
    int (*find)(awc_invoicing *inv, const char *external_id, awc_uf_state *out);
    /* Hand over a whole file with its records and submit it.  On success
     * out->usage_file_id is set (out->status AWC_UF_REJECTED, with the
     * platform's note, when the platform refused the file's content outright:
     * the caller settles it like a rejection) and record_ids[i] (the caller's array of
     * f->n buffers of AWC_UF_ID_MAX bytes) holds each record's id.  A
     * failure part-way leaves a file the platform may or may not have:
     * the caller finds it by external id before trying again. */
    int (*send)(awc_invoicing *inv, const awc_usage_file *f, awc_uf_state *out,
                char (*record_ids)[AWC_UF_ID_MAX]);
    /* The current state of a file the platform has. */
    int (*status)(awc_invoicing *inv, const char *usage_file_id, awc_uf_state *out);
    /* The record ids of a file the platform has, in the order they were
     * sent (for a file found after a crash): fills record_ids[0..*n) with
     * at most cap ids. */
    int (*records)(awc_invoicing *inv, const char *usage_file_id,
                   char (*record_ids)[AWC_UF_ID_MAX], size_t cap, size_t *n);
} awc_invoicing_ops;

struct awc_invoicing {
    const awc_invoicing_ops *ops;
};

typedef struct awc_invoicing_params {
    const char *spool_dir;         /* spool: outbox/ and acks/ below it */
    const char *url;               /* xmlrpc: endpoint, e.g. http://127.0.0.1:8080/RPC2 */
    unsigned timeout;              /* seconds per request */
    unsigned connect_timeout;
    const char *ca_file;           /* extra CA bundle, or NULL */
    const char *user_env;          /* names of variables holding credentials, or NULL */
    const char *password_env;
    /* connect: CloudBlue Connect's usage-file API (docs/INVOICING-CONNECT.md) */
    const char *connect_url;       /* base, e.g. https://api.connect.cloudblue.com/public/v1 */
    const char *api_key_env;       /* name of the variable holding the API token */
    const char *product_id, *contract_id;
    const char *category;          /* category_id of every record, or NULL */
} awc_invoicing_params;

int awc_invoicing_spool_open(awc_invoicing **out, const awc_invoicing_params *p);
int awc_invoicing_xmlrpc_open(awc_invoicing **out, const awc_invoicing_params *p);
int awc_invoicing_connect_open(awc_invoicing **out, const awc_invoicing_params *p);

/* The spool adapter's reading of one ack (docs/INVOICING-SPOOL.md, "Acks"):
 * text (NUL-terminated, changed in place) is the file's content, path names
 * it in a message.  Sets out->status and out->note; AWC_EBADINPUT (quoting
 * at most a short, escaped excerpt of line 1) leaves out unchanged.  Used by
 * status(); declared here for the unit and fuzz tests. */
int awc_spool_ack_parse(awc_uf_state *out, char *text, const char *path);

/* The XML-RPC adapter's reading of one answer (docs/INVOICING-XMLRPC.md),
 * without a connection: body (len bytes) as the answer to method.
 * "usage.getStatus" and "usage.findByExternalId" fill *state;
 * "usage.createFile" the file id into ids[0]; "usage.addRecords" n record
 * ids into ids[0..n); "usage.listRecords" the ids of records 1..n, each
 * compared with f->records[i] when f is not NULL (then f->n >= n); any
 * other method only the envelope (a fault, params/param/value).  0, or the
 * error send(), find() or status() would return; *state is zeroed on error.
 * The readers are those of the adapter's calls; this entry is for the unit
 * and fuzz tests. */
int awc_xmlrpc_read_answer(const char *method, const char *body, size_t len,
                           const awc_usage_file *f, size_t n, awc_uf_state *state,
                           char (*ids)[AWC_UF_ID_MAX]);

/* The connect adapter's reading of one answer (docs/INVOICING-CONNECT.md),
 * without a connection: kind "file" (a usage file object: *state from its
 * status and notes), "list" (a page of a look-up by external id ext: the
 * live file's state, AWC_UF_UNKNOWN when none) or "error" (the
 * {"error_code","errors"} line into state->note); header, when not NULL, is
 * one response header line (Content-Range: *total).  0, or the error the
 * adapter would return; *state is zeroed on error.  For the unit and fuzz
 * tests. */
int awc_connect_read_answer(const char *kind, const char *body, size_t len,
                            const char *header, const char *ext, awc_uf_state *state,
                            size_t *total);

#endif /* AWC_INVOICING_H */
