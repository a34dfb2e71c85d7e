/* cli.c -- the command table, option parsing and help of `awscredit`. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "host.h"

/* ---- options ----------------------------------------------------------------------- */

enum opt_id {
    O_END = 0,
    O_HELP = 'h', O_OUTPUT = 'o', O_VERBOSE = 'v', O_VERSION = 'V',
    O_CONFIG = 256, O_JSON, O_AS, O_MODULE_DIR,
    O_PERIOD, O_PERIODS, O_PATH,
    O_STATUS, O_CUSTOMER, O_RESELLER, O_ASSET, O_ACCOUNT_F, O_CREDIT_ID, O_DESCRIPTION,
    O_TYPE, O_MIN_AMOUNT, O_MAX_AMOUNT, O_RULE, O_UNMAPPED, O_SORT, O_LIMIT, O_OFFSET,
    O_SPLIT, O_AMOUNTS, O_ACCOUNT_E, O_NOTE, O_EXPECT, O_FORMAT, O_WITHIN,
    O_HELD, O_EXCLUDED, O_REASON, O_EXPONENT, O_ROLE, O_PASSWORD_STDIN, O_LABEL,
    O_CURRENCY, O_LISTEN, O_IDS_FROM, O_ALLOW_OPEN,
    O_FROM, O_TO, O_NODE, O_LEVEL, O_POLICY, O_AS_OF, O_FAIL_IF_ANY, O_AMOUNT, O_END_DATE,
    O_REFERENCE, O_NODE_SET, O_BAL_PERIOD, O_WITHIN_G
};

typedef struct opt_info {
    int id;
    const char *name;          /* long name */
    int has_arg;
    const char *arg;           /* metavariable in help */
    const char *help;
} opt_info;

static const opt_info opts[] = {
    {O_CONFIG, "config", 1, "FILE",
     "configuration file (default $AWSCREDIT_CONFIG; none: all defaults)"},
    {O_JSON, "json", 0, NULL, "print one JSON document instead of text"},
    {O_AS, "as", 1, "ACTOR",
     "act as distributor:ID, reseller:RESELLER_ID:ID or viewer:ID (default distributor:$USER)"},
    {O_MODULE_DIR, "module-dir", 1, "DIR",
     "load the module from DIR (default $AWSCREDIT_MODULE_DIR, this program's directory, then the install directory)"},
    {O_VERBOSE, "verbose", 0, NULL,
     "also print the module's informational messages (twice: debug)"},
    {O_HELP, "help", 0, NULL, "show help and exit"},
    {O_VERSION, "version", 0, NULL, "the same as the 'version' command"},
    {O_PERIOD, "period", 1, "YYYY-MM", "the billing period"},
    {O_PERIODS, "period", 1, "P[..P]",
     "one period (YYYY-MM) or a range; either end of a range may be left open"},
    {O_PATH, "path", 1, "GLOB",
     "read these CUR files instead of cur.path (a glob or s3://bucket/prefix)"},
    {O_STATUS, "status", 1, "LIST",
     "states, comma-separated: PENDING_ASSIGN, ASSIGNED, PROCESSING, PROCESSED"},
    {O_CUSTOMER, "customer", 1, "ID", "owned by this customer"},
    {O_RESELLER, "reseller", 1, "ID", "this reseller is in the owner's reseller chain"},
    {O_ASSET, "asset", 1, "ID", "owned through this asset"},
    {O_ACCOUNT_F, "account", 1, "ACCOUNT", "this usage or payer AWS account"},
    {O_CREDIT_ID, "credit-id", 1, "ID", "this one credit"},
    {O_DESCRIPTION, "description", 1, "TEXT", "the description contains TEXT (case-insensitive)"},
    {O_TYPE, "type", 1, "TYPE",
     "credit type: EDP, MAP, POC, GRAVITON, MARKETPLACE, PARTNER, SLA, PROMOTIONAL"},
    {O_CURRENCY, "currency", 1, "CODE", "in this currency (USD, EUR, JPY, ...)"},
    {O_ALLOW_OPEN, "allow-open", 0, NULL,
     "take a period that has not ended (pull, close) or not begun (assign, run)"},
    {O_IDS_FROM, "ids-from", 1, "FILE",
     "edit the credits whose IDs FILE lists, one per line ('-': standard input)"},
    {O_LISTEN, "listen", 1, "ADDR:PORT",
     "where to listen, instead of web.listen (default 127.0.0.1:8080)"},
    {O_MIN_AMOUNT, "min-amount", 1, "AMOUNT",
     "amount >= AMOUNT (credits are negative: -100 means 'at most 100 back')"},
    {O_MAX_AMOUNT, "max-amount", 1, "AMOUNT", "amount <= AMOUNT"},
    {O_RULE, "rule", 1, "RULE_ID", "assigned by this rule"},
    {O_UNMAPPED, "unmapped", 0, NULL, "only credits whose account has no owner"},
    {O_HELD, "held", 0, NULL,
     "only credits held because they cannot be assigned ('show ID' says why)"},
    {O_EXCLUDED, "excluded", 0, NULL, "only credits a distributor excluded"},
    {O_SORT, "sort", 1, "COLUMN",
     "sort by id, period, amount, status, customer, reseller, account, updated or type; "
     "'-' in front for descending"},
    {O_LIMIT, "limit", 1, "N", "at most N credits"},
    {O_OFFSET, "offset", 1, "N", "skip the first N credits"},
    {O_OUTPUT, "output", 1, "FILE",
     "write to FILE, replaced only when the export succeeds (default: standard output)"},
    {O_SPLIT, "split", 1, "TARGET:PCT,...",
     "percentages per target, e.g. customer:60,reseller:30 (the rest is retained)"},
    {O_AMOUNTS, "amounts", 1, "TARGET:AMOUNT,...",
     "fixed amounts per target, e.g. customer:-10.00,reseller:-2.50"},
    {O_ACCOUNT_E, "account", 1, "ACCOUNT",
     "reassign the credit to this AWS account (its owner is looked up again)"},
    {O_NOTE, "note", 1, "TEXT", "why; kept in the credit's history"},
    {O_EXPECT, "expect-version", 1, "N",
     "refuse if the credit changed after you saw its version N"},
    {O_FORMAT, "format", 1, "xml|csv", "file format (default: from the file name)"},
    {O_WITHIN, "within", 1, "DAYS", "expiring within DAYS days (default 30)"},
    {O_REASON, "reason", 1, "TEXT", "why (required); kept in the history"},
    {O_EXPONENT, "exponent", 1, "N", "decimal places of the currency's minor unit, 0 to 4"},
    {O_ROLE, "role", 1, "ROLE", "distributor, viewer or reseller:RESELLER_ID"},
    {O_PASSWORD_STDIN, "password-stdin", 0, NULL,
     "read the password from the first line of standard input (never from the command line)"},
    {O_LABEL, "label", 1, "TEXT", "what the token is for, shown by 'user list'"},
    {O_BAL_PERIOD, "period", 1, "YYYY-MM", "only credits issued in this month count as used"},
    {O_FROM, "from", 1, "YYYY-MM", "credits issued from this month on count as used"},
    {O_TO, "to", 1, "YYYY-MM", "credits issued until the end of this month are drawn"},
    {O_NODE, "node", 1, "NODE", "only this node of the hierarchy and its descendants"},
    {O_LEVEL, "level", 1, "LEVEL", "only the nodes of this level (e.g. Department)"},
    {O_POLICY, "policy", 1, "fifo|aws",
     "the order grants are drawn in (default grants.policy, else fifo)"},
    {O_AS_OF, "as-of", 1, "YYYY-MM-DD", "status and forecast on this date (default today, UTC)"},
    {O_WITHIN_G, "within", 1, "DAYS",
     "ending within DAYS days of the as-of date (default grants.expiring_days, else 60)"},
    {O_FAIL_IF_ANY, "fail-if-any", 0, NULL,
     "exit with status 1 when any grant is listed (for a scheduled alert)"},
    {O_AMOUNT, "amount", 1, "AMOUNT", "the issued amount, a decimal greater than 0"},
    {O_END_DATE, "end-date", 1, "YYYY-MM-DD", "when it expires; '' for no end date"},
    {O_REFERENCE, "reference", 1, "TEXT", "contract, MAP engagement or agreement; '' clears"},
    {O_NODE_SET, "node", 1, "NODE", "the hierarchy node it is allocated to; '' clears"},
};

static const int global_opts[] = {O_CONFIG, O_JSON, O_AS, O_MODULE_DIR, O_VERBOSE, O_HELP, O_END};

#define FILTER_OPTS O_STATUS, O_PERIODS, O_CUSTOMER, O_RESELLER, O_ASSET, O_ACCOUNT_F, \
    O_CREDIT_ID, O_DESCRIPTION, O_TYPE, O_CURRENCY, O_MIN_AMOUNT, O_MAX_AMOUNT, O_RULE, O_UNMAPPED, \
    O_HELD, O_EXCLUDED, O_SORT, O_LIMIT, O_OFFSET

static const int no_opts[] = {O_END};
static const int period_opts[] = {O_PERIOD, O_END};
static const int open_period_opts[] = {O_PERIOD, O_ALLOW_OPEN, O_END};
static const int pull_opts[] = {O_PERIOD, O_PATH, O_ALLOW_OPEN, O_END};
static const int reopen_opts[] = {O_PERIOD, O_REASON, O_END};
static const int list_opts[] = {FILTER_OPTS, O_END};
static const int export_opts[] = {FILTER_OPTS, O_OUTPUT, O_END};
static const int edit_opts[] = {O_SPLIT, O_AMOUNTS, O_ACCOUNT_E, O_NOTE, O_EXPECT, O_IDS_FROM,
                                O_END};
static const int unassign_opts[] = {O_NOTE, O_EXPECT, O_END};
static const int exclude_opts[] = {O_REASON, O_EXPECT, O_END};
static const int currency_opts[] = {O_EXPONENT, O_REASON, O_END};
static const int user_add_opts[] = {O_ROLE, O_PASSWORD_STDIN, O_END};
static const int user_pw_opts[] = {O_PASSWORD_STDIN, O_END};
static const int user_token_opts[] = {O_LABEL, O_END};
static const int file_opts[] = {O_FORMAT, O_END};
static const int serve_opts[] = {O_LISTEN, O_END};
static const int balance_opts[] = {O_BAL_PERIOD, O_FROM, O_TO, O_NODE, O_LEVEL, O_POLICY,
                                   O_AS_OF, O_END};
static const int expiring_opts[] = {O_WITHIN_G, O_AS_OF, O_FAIL_IF_ANY, O_NODE, O_POLICY, O_END};
static const int grant_set_opts[] = {O_AMOUNT, O_END_DATE, O_REFERENCE, O_NODE_SET, O_END};

static const opt_info *opt_find(int id)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (opts[i].id == id)
            return &opts[i];
    return NULL;
}

/* ---- commands ---------------------------------------------------------------------- */

typedef enum arg_kind {
    ARGS_NONE,                 /* no arguments */
    ARGS_PERIOD,               /* --period P, required */
    ARGS_PULL,                 /* --period P [--path GLOB] */
    ARGS_ID,                   /* one credit ID */
    ARGS_FILTER,               /* filters */
    ARGS_EDIT,                 /* ID and what to change */
    ARGS_REOPEN,               /* --period P --reason TEXT */
    ARGS_UNASSIGN,             /* ID [--note] [--expect-version] */
    ARGS_EXCLUDE,              /* ID --reason TEXT [--expect-version] */
    ARGS_CURRENCY,             /* CODE --exponent N --reason TEXT */
    ARGS_USER,                 /* NAME (user add, passwd, disable, token) */
    ARGS_TOKEN_ID,             /* TOKEN_ID (user revoke-token) */
    ARGS_FILE_IN,              /* FILE (or - for standard input) */
    ARGS_FILE_OUT,             /* [FILE] */
    ARGS_DAYS,                 /* [--within DAYS] */
    ARGS_GRANT                 /* one grant ID */
} arg_kind;

struct host_cmd {
    const char *name, *sub;
    host_op op;
    arg_kind args;
    const int *opts;
    const char *synopsis;      /* what follows "awscredit NAME [SUB]" */
    const char *summary;       /* one line */
    const char *about;         /* what it does */
    const char *example;
};

static const host_cmd cmds[] = {
    {"migrate", NULL, HOST_OP_MIGRATE, ARGS_NONE, no_opts, "",
     "create or upgrade the database schema",
     "Applies every numbered schema migration the database has not recorded yet, "
     "each once, in order. Safe to run again: when the schema is current it changes "
     "nothing. Run it once after installing or upgrading the module.",
     "awscredit migrate"},
    {"pull", NULL, HOST_OP_PULL, ARGS_PULL, pull_opts,
     "--period YYYY-MM [--path GLOB] [--allow-open]",
     "read a closed period's credits from the Cost and Usage Report",
     "Reads the billing period's Cost and Usage Report (cur.source: files, S3 or Athena), "
     "keeps the credit line items, sums them per credit and stores them. A new credit "
     "gets its ID and waits in PENDING_ASSIGN. Pulling a period again never duplicates: "
     "a changed sum updates a credit not yet invoiced, and becomes a new adjusting "
     "credit when the original is already invoiced. A month that has not ended is "
     "refused (AWS still adds to it) unless --allow-open is given.",
     "awscredit pull --period 2026-01"},
    {"assign", NULL, HOST_OP_ASSIGN, ARGS_PERIOD, open_period_opts,
     "--period YYYY-MM [--allow-open]",
     "assign the period's pending credits by rule or default",
     "Assigns every PENDING_ASSIGN credit of the period to its owner's customer and "
     "reseller: by the most appropriate matching rule, else by assign.default. A credit "
     "whose AWS account has no owner stays PENDING_ASSIGN and is flagged unmapped "
     "(see 'list --unmapped'). 'explain ID' shows why a rule was chosen. A month that "
     "has not begun is refused unless --allow-open is given.",
     "awscredit assign --period 2026-01"},
    {"list", NULL, HOST_OP_LIST, ARGS_FILTER, list_opts, "[FILTERS]",
     "list credits, filtered",
     "Lists the credits that match every filter given, one per line (with --json, one "
     "JSON document). A reseller sees only the credits of its own customers.",
     "awscredit list --period 2026-01..2026-03 --status ASSIGNED --reseller R-100 --limit 50"},
    {"export", NULL, HOST_OP_EXPORT_CSV, ARGS_FILTER, export_opts, "[FILTERS] [-o FILE]",
     "download credits as CSV",
     "Writes the credits that match the filters as CSV (RFC 4180, UTF-8, a header row, "
     "amounts with all 10 decimal places). With -o the file is replaced only when the "
     "whole export succeeded. Memory does not grow with the number of rows.",
     "awscredit export --period 2026-01 --status PROCESSED -o credits-2026-01.csv"},
    {"show", NULL, HOST_OP_SHOW, ARGS_ID, no_opts, "ID",
     "show one credit and its history",
     "Shows one credit: amounts, owner, how it is split, its state, and every event in "
     "its history (who, when, from, to, why). ID looks like AWSC-000000-0000-0017; a "
     "mistyped ID is refused by its check digit.",
     "awscredit show AWSC-000000-0000-0017"},
    {"explain", NULL, HOST_OP_EXPLAIN, ARGS_ID, no_opts, "ID",
     "show which rules could apply to a credit and why one won",
     "Lists every rule that could apply to the credit, whether it matched, and why the "
     "winner beat the others (description, customer, reseller and service context, "
     "newest, smallest id), or that the default configuration applies.",
     "awscredit explain AWSC-000000-0000-0017"},
    {"edit", NULL, HOST_OP_EDIT, ARGS_EDIT, edit_opts,
     "ID... | --ids-from FILE (--split T:PCT,... | --amounts T:AMOUNT,... | --account ACCOUNT | --note TEXT) [--expect-version N]",
     "change a credit's split or account by hand",
     "Changes how a PENDING_ASSIGN or ASSIGNED credit is split: percentages or fixed "
     "amounts per target (customer, reseller, or a named party written party:ID:N), "
     "or reassigns it to "
     "another AWS account. What is not split is retained by the distributor. Give "
     "--expect-version with the version you saw so a concurrent change is not lost. "
     "Several IDs (or --ids-from FILE) get the same change, each credit in a unit of "
     "its own: one refused does not stop the others, each result is reported, and the "
     "exit status is that of the first refusal.",
     "awscredit edit AWSC-000000-0000-0017 --split customer:60,reseller:30 --note 'per contract' --expect-version 3"},
    {"unassign", NULL, HOST_OP_UNASSIGN, ARGS_UNASSIGN, unassign_opts,
     "ID [--note TEXT] [--expect-version N]",
     "put an assigned credit back to pending",
     "Removes the assignment of an ASSIGNED credit: it goes back to PENDING_ASSIGN and "
     "the event is kept in its history. Credits being invoiced cannot be unassigned.",
     "awscredit unassign AWSC-000000-0000-0017 --note 'wrong customer'"},
    {"exclude", NULL, HOST_OP_EXCLUDE, ARGS_EXCLUDE, exclude_opts,
     "ID --reason TEXT [--expect-version N]",
     "take a credit out of the monthly cycle (distributor)",
     "Takes a PENDING_ASSIGN or ASSIGNED credit out of the cycle: it goes to (or stays) "
     "PENDING_ASSIGN, assignment leaves it alone, and it is never invoiced until it is "
     "included again. For a credit that cannot be assigned (see 'list --held'). The "
     "reason is kept in its history.",
     "awscredit exclude AWSC-000000-0000-0017 --reason 'test currency, not billable'"},
    {"include", NULL, HOST_OP_INCLUDE, ARGS_EXCLUDE, exclude_opts,
     "ID --reason TEXT [--expect-version N]",
     "put an excluded credit back into the cycle (distributor)",
     "Undoes 'exclude': the credit is PENDING_ASSIGN again and the next assign takes it.",
     "awscredit include AWSC-000000-0000-0017 --reason 'billable after all'"},
    {"currency", "set", HOST_OP_CURRENCY_SET, ARGS_CURRENCY, currency_opts,
     "CODE --exponent N --reason TEXT",
     "give a currency without an ISO 4217 minor unit one (distributor)",
     "Credits in a currency that ISO 4217 gives no minor unit (XAU, XTS, XXX, ...) cannot "
     "be rounded for invoicing and are held by assign. This sets how many decimal places "
     "CODE has, for good and audited; the next assign takes its held credits.",
     "awscredit currency set XAU --exponent 2 --reason 'priced in centi-ounces by contract'"},
    {"invoice", NULL, HOST_OP_INVOICE, ARGS_PERIOD, period_opts, "--period YYYY-MM",
     "send the period's assigned credits to invoicing",
     "Collects every ASSIGNED credit of the period into usage files (by default one per "
     "reseller and currency) and hands them to the billing platform (invoicing.adapter). "
     "A credit becomes PROCESSING once the platform has its records. Safe to re-run: "
     "nothing is sent twice.",
     "awscredit invoice --period 2026-01"},
    {"reconcile", NULL, HOST_OP_RECONCILE, ARGS_NONE, no_opts, "",
     "apply the billing platform's answers",
     "Reads the billing platform's answers about sent usage files: credits in closed "
     "files become PROCESSED, credits in rejected files go back to ASSIGNED with the "
     "rejection note kept.",
     "awscredit reconcile"},
    {"close", NULL, HOST_OP_CLOSE_PERIOD, ARGS_PERIOD, open_period_opts,
     "--period YYYY-MM [--allow-open]",
     "lock a period",
     "Locks the period: no more assignment, editing or invoicing in it, and says what "
     "stays unassigned. Refused while a usage file of the period has not reached the "
     "platform, and for a month that has not ended unless --allow-open is given. "
     "'reopen' undoes it.",
     "awscredit close --period 2026-01"},
    {"reopen", NULL, HOST_OP_REOPEN_PERIOD, ARGS_REOPEN, reopen_opts,
     "--period YYYY-MM --reason TEXT",
     "undo close (distributor)",
     "Opens a closed period again: assign, edit and invoice take it. The reason is "
     "required and kept with who reopened it.",
     "awscredit reopen --period 2026-01 --reason 'late MAP credits, ticket 5521'"},
    {"run", NULL, HOST_OP_RUN, ARGS_PERIOD, open_period_opts, "--period YYYY-MM [--allow-open]",
     "the monthly run: pull, assign, and invoice when run.invoice = true",
     "Does the month's unattended work: pull, then assign, then invoice when "
     "run.invoice = true. Restartable and idempotent; one run per period at a time.",
     "awscredit run --period 2026-01"},
    {"rules", "import", HOST_OP_RULES_IMPORT, ARGS_FILE_IN, file_opts, "FILE [--format xml|csv]",
     "load rules from XML or CSV",
     "Loads the rules in FILE (XML validated against rules.xsd, or CSV) into the "
     "database. Errors name the line; when there is one, nothing is loaded.",
     "awscredit rules import rules.xml"},
    {"rules", "export", HOST_OP_RULES_EXPORT, ARGS_FILE_OUT, file_opts, "[FILE] [--format xml|csv]",
     "write the stored rules as XML or CSV",
     "Writes the stored rules to FILE, or to standard output when FILE is - or absent.",
     "awscredit rules export --format csv rules.csv"},
    {"rules", "validate", HOST_OP_RULES_VALIDATE, ARGS_FILE_IN, file_opts, "FILE [--format xml|csv]",
     "check a rules file without loading it",
     "Checks FILE as 'rules import' would, and changes nothing.",
     "awscredit rules validate rules.xml"},
    {"accounts", "import", HOST_OP_ACCOUNTS_IMPORT, ARGS_FILE_IN, no_opts, "FILE",
     "load the accounts map from CSV",
     "Loads which customer and reseller own each AWS account, and from when to when, "
     "from CSV with the header:\n"
     "account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to",
     "awscredit accounts import accounts.csv"},
    {"grants", "import", HOST_OP_GRANTS_IMPORT, ARGS_FILE_IN, no_opts, "FILE",
     "enter the grants AWS issued, from CSV (distributor)",
     "Loads grants -- what AWS issued: a promotion code, a MAP or EDP credit -- from CSV "
     "with the header:\n"
     "grant_id,account_id,credit_key,currency,amount,issue_date,end_date,reference,node,products\n"
     "An existing grant_id is updated. Errors name the line and field; when there is one, "
     "nothing is written. Every grant written gets an event with who imported it.",
     "awscredit grants import grants.csv"},
    {"grant", "set", HOST_OP_GRANT_SET, ARGS_GRANT, grant_set_opts,
     "ID [--amount AMOUNT] [--end-date YYYY-MM-DD] [--reference TEXT] [--node NODE]",
     "change one grant (distributor)",
     "Changes a grant's issued amount, end date, reference or hierarchy node. A grant "
     "the Billing API reported becomes an entered one. The change is kept as an event.",
     "awscredit grant set MAP-2026-001 --end-date 2027-06-30 --reference 'MAP MPE12345'"},
    {"hierarchy", "import", HOST_OP_HIERARCHY_IMPORT, ARGS_FILE_IN, no_opts, "FILE",
     "load the hierarchy grants are allocated to, from CSV (distributor)",
     "Replaces the hierarchy with the nodes in FILE, header node_id,parent_id,name,level "
     "(a blank parent_id is a root; any depth; several roots). A cycle, an unknown parent "
     "or a node twice is refused with its line, and nothing is written.",
     "awscredit hierarchy import hierarchy.csv"},
    {"balance", NULL, HOST_OP_BALANCE_OF, ARGS_NONE, balance_opts,
     "[--period P | --from P --to P] [--node N] [--level L] [--policy fifo|aws] [--as-of D]",
     "issued, used and remaining per grant and per hierarchy node",
     "Draws the credits from the grants in the policy's order and shows, per grant, the "
     "amount issued, used and remaining, its end date and status (ACTIVE, EXPIRING, "
     "EXPIRED, EXHAUSTED); per hierarchy node, its own grants' and all its descendants' "
     "figures per currency; and the credits no grant covers. With a period, used counts "
     "only credits issued in it (a credit's month is that of its issue date).",
     "awscredit balance --period 2026-10 --level Department"},
    {"expiring", NULL, HOST_OP_EXPIRING_OF, ARGS_NONE, expiring_opts,
     "[--within DAYS] [--as-of D] [--fail-if-any]",
     "grants that end soon with something left",
     "Lists the grants with something left whose end date is within DAYS days, each with "
     "forecast_unused: what will be left at the end date if the use of the last three whole "
     "months goes on. --fail-if-any exits 1 when the list is not empty.",
     "awscredit expiring --within 60 --fail-if-any"},
    {"user", "add", HOST_OP_USER, ARGS_USER, user_add_opts,
     "NAME --role ROLE --password-stdin",
     "add a user of the web console and API (distributor)",
     "Adds a user who signs in to 'awscredit serve': a distributor, a viewer, or a "
     "reseller admin of one reseller (reseller:RESELLER_ID). The password is read from "
     "standard input and kept only as an argon2id hash.",
     "printf '%s\\n' \"$PASSWORD\" | awscredit user add alice --role reseller:R-NORTH --password-stdin"},
    {"user", "passwd", HOST_OP_USER, ARGS_USER, user_pw_opts, "NAME --password-stdin",
     "set a user's password (distributor)",
     "Sets a new password, read from standard input; the user's sessions end.",
     "printf '%s\\n' \"$PASSWORD\" | awscredit user passwd alice --password-stdin"},
    {"user", "disable", HOST_OP_USER, ARGS_USER, no_opts, "NAME",
     "stop a user from signing in (distributor)",
     "The user can no longer sign in or use an API token; their sessions end. The user "
     "stays in the database, and in every event that names them.",
     "awscredit user disable alice"},
    {"user", "list", HOST_OP_USER, ARGS_NONE, no_opts, "",
     "list the users (distributor)",
     "Lists the users with their role, state, creation and last sign-in, and how many "
     "live API tokens each has. Never a password or a token.",
     "awscredit user list"},
    {"user", "token", HOST_OP_USER, ARGS_USER, user_token_opts, "NAME [--label TEXT]",
     "make an API token for scripts (distributor)",
     "Prints a new API token for NAME, once: scripts send it as 'Authorization: Bearer "
     "TOKEN' and act as that user. Only a hash of it is kept.",
     "awscredit user token finance-bot --label 'nightly CSV download'"},
    {"user", "revoke-token", HOST_OP_USER, ARGS_TOKEN_ID, no_opts, "TOKEN_ID",
     "revoke an API token (distributor)",
     "Stops the token whose id is TOKEN_ID (the 16 hex digits after awc_) from working.",
     "awscredit user revoke-token 3f2a9c0d41b7e8a5"},
    {"periods", NULL, HOST_OP_PERIODS, ARGS_NONE, no_opts, "",
     "the periods, with their credits by state (distributor)",
     "Lists every period, newest first, with how many of its credits are pending, "
     "assigned, processing and processed, and whether it is closed.",
     "awscredit periods"},
    {"serve", NULL, HOST_OP_AUTH, ARGS_NONE, serve_opts, "[--listen ADDR:PORT]",
     "serve the web console and HTTP API (docs/WEB.md)",
     "Serves the web console (the page in web/) and the HTTP API of docs/openapi.json to "
     "the users of 'awscredit user'. Listens on web.listen (HTTPS when web.tls_cert and "
     "web.tls_key are set) until it gets SIGINT or SIGTERM, then finishes the requests "
     "in hand and stops.",
     "awscredit serve --listen 127.0.0.1:8080"},
    {"version", NULL, HOST_OP_VERSION, ARGS_NONE, no_opts, "",
     "versions of this program, the module and its libraries",
     "Prints the version and ABI of this program and of the module, the manifest it was "
     "loaded from, and the versions of the libraries the module uses.",
     "awscredit version"},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

host_op host_cli_op(const host_request *r)
{
    return r->cmd->op;
}

const char *host_cli_name(const host_request *r, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s", r->cmd->name, r->cmd->sub ? " " : "",
             r->cmd->sub ? r->cmd->sub : "");
    return buf;
}

static int is_group(const char *name)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0 && cmds[i].sub)
            return 1;
    return 0;
}

static const host_cmd *find_cmd(const char *name, const char *sub)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0 &&
            (cmds[i].sub ? sub && strcmp(cmds[i].sub, sub) == 0 : !sub))
            return &cmds[i];
    return NULL;
}

#define HELP_WIDTH 79

/* ---- help ---------------------------------------------------------------------------- */

/* Print text from column indent on, wrapped at HELP_WIDTH; '\n' forces a
 * break.  Ends the line. */
static void wrap(const char *text, int indent)
{
    int col = indent;
    const char *p = text;

    while (*p) {
        int len = (int)strcspn(p, " \n");
        if (col > indent && col + 1 + len > HELP_WIDTH) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", len, p);
        col += len;
        p += len;
        if (*p == '\n') {
            printf("\n%*s", indent, "");
            col = indent;
            p++;
        }
        p += strspn(p, " ");
    }
    putchar('\n');
}

static void print_opt(const opt_info *o)
{
    char left[64];
    if (o->id < 256)
        snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    if (strlen(left) > 26)
        printf("  %s\n%30s", left, "");
    else
        printf("  %-26s  ", left);
    wrap(o->help, 30);
}

static void help_general(void)
{
    char left[64];

    printf("Usage: awscredit [GLOBAL OPTIONS] COMMAND [ARGS]\n"
           "\n"
           "Pulls the AWS credits of each closed billing period, gives each an ID, assigns\n"
           "them to resellers and customers, and hands them to invoicing. This program loads\n"
           "the awscredit module and runs one of its operations.\n"
           "\nCommands:\n");
    for (size_t i = 0; i < NCMDS; i++) {
        snprintf(left, sizeof(left), "%s%s%s", cmds[i].name, cmds[i].sub ? " " : "",
                 cmds[i].sub ? cmds[i].sub : "");
        printf("  %-18s  %s\n", left, cmds[i].summary);
    }
    printf("\nGlobal options (before or after the command):\n");
    for (size_t i = 0; global_opts[i]; i++)
        print_opt(opt_find(global_opts[i]));
    print_opt(opt_find(O_VERSION));
    printf("\nEnvironment:\n"
           "  AWSCREDIT_CONFIG      configuration file when --config is not given\n"
           "  AWSCREDIT_MODULE_DIR  module directory when --module-dir is not given\n"
           "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, and the variable\n"
           "                        named by db.password_env: secrets, never configuration\n"
           "\nExit status: 0 done, 64 usage, 65 bad data, a stale version or a state that does\n"
           "not allow it (re-read, then decide), 66 not found, 69 service or operation\n"
           "unavailable, 70 internal error, 71 out of memory, 74 I/O error, 75 busy or timed\n"
           "out: try again later, 77 not allowed, 78 configuration or module.\n"
           "\nRun 'awscredit COMMAND --help' for what a command does, its options and an example.\n");
}

static void help_group(const char *name)
{
    printf("Usage: awscredit %s SUBCOMMAND [ARGS]\n\nSubcommands:\n", name);
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0 && cmds[i].sub)
            printf("  %-12s  %s\n", cmds[i].sub, cmds[i].summary);
    printf("\nRun 'awscredit %s SUBCOMMAND --help' for details.\n", name);
}

static void help_cmd(const host_cmd *c)
{
    printf("Usage: awscredit %s%s%s%s%s\n\n", c->name, c->sub ? " " : "", c->sub ? c->sub : "",
           c->synopsis[0] ? " " : "", c->synopsis);
    wrap(c->about, 0);
    if (c->opts[0]) {
        printf("\nOptions:\n");
        for (size_t i = 0; c->opts[i]; i++)
            print_opt(opt_find(c->opts[i]));
    }
    printf("\nGlobal options: --config FILE, --json, --as ACTOR, --module-dir DIR, -v\n"
           "(see 'awscredit --help').\n\nExample:\n  %s\n", c->example);
}

/* ---- parsing --------------------------------------------------------------------------- */

HOST_PRINTF(3, 4)
static int usage(int *status, const char *hint, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "awscredit: %s; see 'awscredit %s%s--help'\n", msg, hint ? hint : "",
            hint ? " " : "");
    *status = EX_USAGE;
    return HOST_CLI_EXIT;
}

/* A whole number in [min, max], digits only. */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    long long v;
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int id_part_ok(const char *s, size_t len)
{
    if (len == 0 || len > HOST_ACTOR_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == ':')
            return 0;
    return 1;
}

/* distributor:ID | reseller:RID:ID | viewer:ID */
static int parse_actor(host_request *r, const char *s)
{
    const char *colon = strchr(s, ':'), *rest, *colon2;
    size_t role_len;

    if (!colon)
        return -1;
    role_len = (size_t)(colon - s);
    rest = colon + 1;
    /* the operator behind --as is recorded beside the actor (SPEC 13) */
    if (!r->actor_via[0])
        snprintf(r->actor_via, sizeof(r->actor_via), "distributor:%s", r->actor_id);
    memset(&r->actor, 0, sizeof(r->actor));
    r->actor.size = sizeof(r->actor);
    r->actor.id = r->actor_id;
    r->actor.via = r->actor_via;
    if (role_len == 6 && strncmp(s, "viewer", 6) == 0)
        r->actor.role = AWC_ROLE_VIEWER;
    else if (role_len == 11 && strncmp(s, "distributor", 11) == 0)
        r->actor.role = AWC_ROLE_DISTRIBUTOR;
    else if (role_len == 8 && strncmp(s, "reseller", 8) == 0)
        r->actor.role = AWC_ROLE_RESELLER;
    else
        return -1;
    if (r->actor.role == AWC_ROLE_RESELLER) {
        colon2 = strchr(rest, ':');
        if (!colon2 || !id_part_ok(rest, (size_t)(colon2 - rest)))
            return -1;
        memcpy(r->actor_reseller, rest, (size_t)(colon2 - rest));
        r->actor_reseller[colon2 - rest] = '\0';
        r->actor.reseller_id = r->actor_reseller;
        rest = colon2 + 1;
    }
    if (!id_part_ok(rest, strlen(rest)))
        return -1;
    memcpy(r->actor_id, rest, strlen(rest) + 1);
    return 0;
}

static void default_actor(host_request *r)
{
    const char *user = getenv("USER");
    if (!user || !id_part_ok(user, strlen(user)))
        user = "operator";
    r->actor.size = sizeof(r->actor);
    r->actor.role = AWC_ROLE_DISTRIBUTOR;
    snprintf(r->actor_id, sizeof(r->actor_id), "%s", user);
    r->actor.id = r->actor_id;
    r->actor.reseller_id = NULL;
}

/* "P", "P..Q", "P..", "..Q" into period_from / period_to. */
static int parse_periods(host_request *r, const char *s)
{
    const char *dots = strstr(s, "..");
    size_t a = dots ? (size_t)(dots - s) : strlen(s);
    const char *to = dots ? dots + 2 : s;
    size_t b = strlen(to);

    if (a >= sizeof(r->period_from) || b >= sizeof(r->period_to) || (a == 0 && b == 0) ||
        (dots && strstr(to, "..")))
        return -1;
    memcpy(r->period_from, s, a);
    r->period_from[a] = '\0';
    memcpy(r->period_to, to, b + 1);
    r->filter.period_from = a ? r->period_from : NULL;
    r->filter.period_to = b ? r->period_to : NULL;
    return 0;
}

static int opt_allowed(const int *list, int id)
{
    for (size_t i = 0; list[i]; i++)
        if (list[i] == id)
            return 1;
    return 0;
}

/* Build getopt_long's tables from option ids: this command's and the globals. */
static void build_getopt(const int *a, const int *b, int stop_at_word, struct option *lo,
                         size_t lo_n, char *so, size_t so_n)
{
    size_t nl = 0, ns = 0;
    const int *lists[2] = {a, b};

    if (stop_at_word)
        so[ns++] = '+';        /* the command word ends the global options */
    so[ns++] = ':';            /* report a missing value as ':' */
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && lists[l][i] && nl < lo_n - 1; i++) {
            const opt_info *o = opt_find(lists[l][i]);
            lo[nl].name = o->name;
            lo[nl].has_arg = o->has_arg ? required_argument : no_argument;
            lo[nl].flag = NULL;
            lo[nl].val = o->id;
            nl++;
            if (o->id < 256 && ns + 3 < so_n) {
                so[ns++] = (char)o->id;
                if (o->has_arg)
                    so[ns++] = ':';
            }
        }
    memset(&lo[nl], 0, sizeof(lo[nl]));
    so[ns] = '\0';
}

/* The option getopt complained about, as the user wrote it. */
static const char *opt_text(int optopt_val, const char *arg, char *buf, size_t n)
{
    if (arg && strncmp(arg, "--", 2) == 0)
        snprintf(buf, n, "%.*s", (int)strcspn(arg, "="), arg);
    else if (optopt_val > 0 && optopt_val < 256)
        snprintf(buf, n, "-%c", optopt_val);
    else
        snprintf(buf, n, "%s", arg ? arg : "?");
    return buf;
}

/* A global option, wherever it appears.  0, or -1 when id is not one. */
static int global_opt(host_request *r, int id, const char *arg, int *help)
{
    switch (id) {
    case O_CONFIG: r->config_path = arg; return 0;
    case O_JSON: r->json = 1; return 0;
    case O_MODULE_DIR: r->module_dir = arg; return 0;
    case O_VERBOSE: r->verbose++; return 0;
    case O_HELP: *help = 1; return 0;
    case O_AS:
        if (parse_actor(r, arg))
            return -2;
        return 0;
    default: return -1;
    }
}

static int cmd_opt(host_request *r, int id, const char *arg)
{
    int64_t v;
    switch (id) {
    case O_PERIOD: r->period = arg; r->pull.period = arg; return 0;
    case O_PERIODS: return parse_periods(r, arg);
    case O_PATH: r->pull.path = arg; return 0;
    case O_STATUS: r->filter.status = arg; return 0;
    case O_CUSTOMER: r->filter.customer = arg; return 0;
    case O_RESELLER: r->filter.reseller = arg; return 0;
    case O_ASSET: r->filter.asset = arg; return 0;
    case O_ACCOUNT_F: r->filter.account = arg; return 0;
    case O_CREDIT_ID: r->filter.credit_id = arg; return 0;
    case O_DESCRIPTION: r->filter.description = arg; return 0;
    case O_TYPE: r->filter.type = arg; return 0;
    case O_CURRENCY: r->filter.currency = arg; return 0;
    case O_LISTEN: r->listen = arg; return 0;
    case O_IDS_FROM: r->ids_from = arg; return 0;
    case O_ALLOW_OPEN: r->allow_open = 1; return 0;
    case O_MIN_AMOUNT: r->filter.min_amount = arg; return 0;
    case O_MAX_AMOUNT: r->filter.max_amount = arg; return 0;
    case O_RULE: r->filter.rule = arg; return 0;
    case O_UNMAPPED: r->filter.unmapped = 1; return 0;
    case O_HELD: r->filter.held = 1; return 0;
    case O_EXCLUDED: r->filter.excluded = 1; return 0;
    case O_REASON: r->edit.note = arg; r->currency.reason = arg; return 0;
    case O_ROLE: r->user.role = arg; return 0;
    case O_PASSWORD_STDIN: r->password_stdin = 1; return 0;
    case O_LABEL: r->user.label = arg; return 0;
    case O_EXPONENT:
        if (parse_int(arg, 0, 4, &v))
            return -1;
        r->currency.exponent = (int)v;
        r->have_exponent = 1;
        return 0;
    case O_SORT: r->filter.sort = arg; return 0;
    case O_LIMIT:
        if (parse_int(arg, 1, INT64_MAX, &v))
            return -1;
        r->filter.limit = v;
        return 0;
    case O_OFFSET:
        if (parse_int(arg, 0, INT64_MAX, &v))
            return -1;
        r->filter.offset = v;
        return 0;
    case O_OUTPUT: r->output = arg; return 0;
    case O_SPLIT: r->edit.split = arg; return 0;
    case O_AMOUNTS: r->edit.amounts = arg; return 0;
    case O_ACCOUNT_E: r->edit.account = arg; return 0;
    case O_NOTE: r->edit.note = arg; return 0;
    case O_EXPECT:
        if (parse_int(arg, 1, INT64_MAX, &v))
            return -1;
        r->edit.expect_version = v;
        return 0;
    case O_FORMAT:
        if (strcmp(arg, "xml") != 0 && strcmp(arg, "csv") != 0)
            return -1;
        r->file.format = arg;
        return 0;
    case O_WITHIN:
        if (parse_int(arg, 1, 3660, &v))
            return -1;
        r->within_days = (int)v;
        return 0;
    case O_WITHIN_G:
        if (parse_int(arg, 0, 3660, &v))
            return -1;
        r->balance.within_days = (int)v;
        return 0;
    case O_BAL_PERIOD: r->balance.period_from = r->balance.period_to = arg; return 0;
    case O_FROM: r->balance.period_from = arg; return 0;
    case O_TO: r->balance.period_to = arg; return 0;
    case O_NODE: r->balance.node = arg; return 0;
    case O_LEVEL: r->balance.level = arg; return 0;
    case O_POLICY:
        if (strcmp(arg, "fifo") != 0 && strcmp(arg, "aws") != 0)
            return -1;
        r->balance.policy = arg;
        return 0;
    case O_AS_OF: r->balance.as_of = arg; return 0;
    case O_FAIL_IF_ANY: r->fail_if_any = 1; return 0;
    case O_AMOUNT: r->grant.amount = arg; return 0;
    case O_END_DATE: r->grant.end_date = arg; return 0;
    case O_REFERENCE: r->grant.reference = arg; return 0;
    case O_NODE_SET: r->grant.node = arg; return 0;
    default: return -1;
    }
}

static const char *bad_value_hint(int id)
{
    switch (id) {
    case O_PERIODS: return "expected YYYY-MM or YYYY-MM..YYYY-MM";
    case O_LIMIT: return "expected a whole number >= 1";
    case O_OFFSET: return "expected a whole number >= 0";
    case O_EXPECT: return "expected a version number >= 1";
    case O_FORMAT: return "expected xml or csv";
    case O_WITHIN: return "expected a number of days from 1 to 3660";
    case O_WITHIN_G: return "expected a number of days from 0 to 3660";
    case O_POLICY: return "expected fifo or aws";
    case O_EXPONENT: return "expected a number of decimal places from 0 to 4";
    default: return "bad value";
    }
}

static void request_init(host_request *r)
{
    memset(r, 0, sizeof(*r));
    r->filter.size = sizeof(r->filter);
    r->pull.size = sizeof(r->pull);
    r->edit.size = sizeof(r->edit);
    r->file.size = sizeof(r->file);
    r->currency.size = sizeof(r->currency);
    r->user.size = sizeof(r->user);
    r->balance.size = sizeof(r->balance);
    r->balance.within_days = -1;
    r->balance.listed = &r->listed;
    r->grant.size = sizeof(r->grant);
    r->within_days = 30;
    default_actor(r);
}

/* The command's own options and positional arguments. */
static int parse_cmd(host_request *r, const host_cmd *c, int argc, char **argv, int *status)
{
    struct option lo[64];
    char so[32], hint[64], text[64];
    const char *as = NULL;
    int help = 0, id, npos;
    char **pos;

    snprintf(hint, sizeof(hint), "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
    /* Options may follow the arguments: "show ID --json". */
    build_getopt(c->opts, global_opts, 0, lo, sizeof(lo) / sizeof(lo[0]), so, sizeof(so));
    optind = 0;
    opterr = 0;
    while ((id = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (id == '?')
            return usage(status, hint, "%s: unknown option '%s'", hint,
                         opt_text(optopt, argv[optind - 1], text, sizeof(text)));
        if (id == ':')
            return usage(status, hint, "%s: option '%s' needs a value", hint,
                         opt_text(optopt, argv[optind - 1], text, sizeof(text)));
        switch (global_opt(r, id, optarg, &help)) {
        case 0: continue;
        case -2: as = optarg; continue;
        default: break;
        }
        if (!opt_allowed(c->opts, id) || cmd_opt(r, id, optarg))
            return usage(status, hint, "%s: bad value '%s' for --%s: %s", hint, optarg,
                         opt_find(id)->name, bad_value_hint(id));
    }
    if (help) {
        help_cmd(c);
        *status = 0;
        return HOST_CLI_EXIT;
    }
    if (as)
        return usage(status, NULL,
                     "bad --as '%s': expected distributor:ID, reseller:RESELLER_ID:ID or viewer:ID",
                     as);

    pos = argv + optind;
    npos = argc - optind;
    switch (c->args) {
    case ARGS_EDIT:
        if (npos < 1 && !r->ids_from)
            return usage(status, hint, "%s: expected credit IDs or --ids-from FILE", hint);
        r->ids = pos;
        r->nids = npos;
        r->credit_id = npos ? pos[0] : NULL;
        r->edit.credit_id = r->credit_id;
        break;
    case ARGS_ID:
    case ARGS_UNASSIGN:
    case ARGS_EXCLUDE:
        if (npos != 1)
            return usage(status, hint, "%s: expected one credit ID, got %d arguments", hint, npos);
        r->credit_id = pos[0];
        r->edit.credit_id = pos[0];
        break;
    case ARGS_FILE_IN:
        if (npos != 1)
            return usage(status, hint, "%s: expected one FILE, got %d arguments", hint, npos);
        r->file.path = pos[0];
        break;
    case ARGS_GRANT:
        if (npos != 1)
            return usage(status, hint, "%s: expected one grant ID, got %d arguments", hint, npos);
        r->grant.grant_id = pos[0];
        break;
    case ARGS_USER:
    case ARGS_TOKEN_ID:
        if (npos != 1)
            return usage(status, hint, "%s: expected one %s, got %d arguments", hint,
                         c->args == ARGS_USER ? "user NAME" : "TOKEN_ID", npos);
        r->user.name = pos[0];
        r->user.token_id = pos[0];
        break;
    case ARGS_CURRENCY:
        if (npos != 1)
            return usage(status, hint, "%s: expected one currency CODE, got %d arguments", hint,
                         npos);
        r->currency.code = pos[0];
        break;
    case ARGS_FILE_OUT:
        if (npos > 1)
            return usage(status, hint, "%s: expected at most one FILE, got %d arguments", hint,
                         npos);
        r->file.path = npos ? pos[0] : NULL;
        break;
    case ARGS_NONE:
    case ARGS_PERIOD:
    case ARGS_REOPEN:
    case ARGS_PULL:
    case ARGS_FILTER:
    case ARGS_DAYS:
        if (npos)
            return usage(status, hint, "%s: unexpected argument '%s'", hint, pos[0]);
        break;
    }
    if (c->op == HOST_OP_USER) {
        r->user.action = c->sub;
        if (c->opts == user_add_opts && !r->user.role)
            return usage(status, hint, "%s: --role ROLE is required", hint);
        if ((c->opts == user_add_opts || c->opts == user_pw_opts) && !r->password_stdin)
            return usage(status, hint, "%s: give --password-stdin: a password is read from "
                         "standard input, never taken from the command line", hint);
    }
    if ((c->args == ARGS_EXCLUDE || c->args == ARGS_CURRENCY) && !r->edit.note)
        return usage(status, hint, "%s: --reason TEXT is required", hint);
    if (c->args == ARGS_CURRENCY && !r->have_exponent)
        return usage(status, hint, "%s: --exponent N is required", hint);
    if (c->args == ARGS_REOPEN && (!r->period || !r->edit.note))
        return usage(status, hint, "reopen: --period YYYY-MM and --reason TEXT are required");
    if ((c->args == ARGS_PERIOD || c->args == ARGS_PULL) && !r->period)
        return usage(status, hint, "%s: --period YYYY-MM is required", hint);
    if (c->args == ARGS_EDIT) {
        if (r->edit.split && r->edit.amounts)
            return usage(status, hint, "edit: give --split or --amounts, not both");
        if ((r->nids > 1 || r->ids_from) && r->edit.expect_version)
            return usage(status, hint, "edit: --expect-version is for one credit; with "
                         "several, each is changed at the version it has");
        if (!r->edit.split && !r->edit.amounts && !r->edit.account && !r->edit.note)
            return usage(status, hint,
                         "edit: nothing to change; give --split, --amounts, --account or --note");
    }
    r->cmd = c;
    return HOST_CLI_RUN;
}

int host_cli_parse(host_request *r, int argc, char **argv, int *status)
{
    struct option lo[16];
    char so[16], text[64];
    static const int version_opt[] = {O_VERSION, O_END};
    const char *as = NULL, *name, *sub = NULL, *env;
    const host_cmd *c;
    int help = 0, version = 0, id, first;

    request_init(r);
    *status = 0;
    build_getopt(global_opts, version_opt, 1, lo, sizeof(lo) / sizeof(lo[0]), so, sizeof(so));
    optind = 0;
    opterr = 0;
    while ((id = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (id == '?')
            return usage(status, NULL, "unknown option '%s'",
                         opt_text(optopt, argv[optind - 1], text, sizeof(text)));
        if (id == ':')
            return usage(status, NULL, "option '%s' needs a value",
                         opt_text(optopt, argv[optind - 1], text, sizeof(text)));
        if (id == O_VERSION) {
            version = 1;
            continue;
        }
        if (global_opt(r, id, optarg, &help) == -2)
            as = optarg;
    }
    if (as && !help)
        return usage(status, NULL,
                     "bad --as '%s': expected distributor:ID, reseller:RESELLER_ID:ID or viewer:ID",
                     as);
    env = getenv("AWSCREDIT_CONFIG");
    if (!r->config_path && env && *env)
        r->config_path = env;

    first = optind;
    if (first >= argc || version) {
        if (help) {
            help_general();
            return HOST_CLI_EXIT;
        }
        if (!version)
            return usage(status, NULL, "no command given");
        if (first < argc)
            return usage(status, NULL, "--version takes no command");
        r->cmd = find_cmd("version", NULL);
        return HOST_CLI_RUN;
    }

    name = argv[first];
    if (strcmp(name, "help") == 0) {
        const char *hn = first + 1 < argc ? argv[first + 1] : NULL;
        const char *hs = first + 2 < argc ? argv[first + 2] : NULL;
        if (!hn)
            help_general();
        else if (is_group(hn) && !hs)
            help_group(hn);
        else if ((c = find_cmd(hn, is_group(hn) ? hs : NULL)) != NULL)
            help_cmd(c);
        else
            return usage(status, NULL, "unknown command '%s%s%s'", hn, hs ? " " : "",
                         hs ? hs : "");
        return HOST_CLI_EXIT;
    }
    if (is_group(name)) {
        sub = first + 1 < argc ? argv[first + 1] : NULL;
        if (help || !sub || sub[0] == '-') {
            if (help || (sub && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0))) {
                help_group(name);
                return HOST_CLI_EXIT;
            }
            return usage(status, name, "'%s' needs a subcommand: %s", name,
                         strcmp(name, "rules") == 0 ? "import, export or validate"
                         : strcmp(name, "currency") == 0 || strcmp(name, "grant") == 0 ? "set"
                         : strcmp(name, "user") == 0
                             ? "add, passwd, disable, list, token or revoke-token"
                             : "import");
        }
        first++;
    }
    c = find_cmd(name, sub);
    if (!c)
        return usage(status, NULL, "unknown command '%s%s%s'", name, sub ? " " : "",
                     sub ? sub : "");
    if (help) {
        help_cmd(c);
        return HOST_CLI_EXIT;
    }
    return parse_cmd(r, c, argc - first, argv + first, status);
}

/* ---- dispatch -------------------------------------------------------------------------- */

int host_cli_present(const host_request *r, const awc_module_desc *d)
{
    const awc_balance_args *b = &r->balance;
    int plain = !b->period_from && !b->period_to && !b->node && !b->level && !b->policy &&
                !b->as_of && !r->fail_if_any;

    if (host_op_present(d, r->cmd->op))
        return 1;
    /* balance and expiring without the options of ABI 1.2: a module before
     * it answers them with its own balance and expiring */
    if (r->cmd->op == HOST_OP_BALANCE_OF)
        return plain && host_op_present(d, HOST_OP_BALANCE);
    if (r->cmd->op == HOST_OP_EXPIRING_OF)
        return plain && host_op_present(d, HOST_OP_EXPIRING);
    return 0;
}

int host_cli_call(const host_request *r, const awc_module_desc *d, awc_module *m,
                  const awc_call *c)
{
    switch (r->cmd->op) {
    case HOST_OP_VERSION: return d->version(m, c);
    case HOST_OP_MIGRATE: return d->migrate(m, c);
    case HOST_OP_SHOW: return d->show(m, c, r->credit_id);
    case HOST_OP_PULL: return d->pull(m, c, &r->pull);
    case HOST_OP_ASSIGN: return d->assign(m, c, r->period);
    case HOST_OP_LIST: return d->list(m, c, &r->filter);
    case HOST_OP_EXPORT_CSV: return d->export_csv(m, c, &r->filter);
    case HOST_OP_EXPLAIN: return d->explain(m, c, r->credit_id);
    case HOST_OP_EDIT: return d->edit(m, c, &r->edit);
    case HOST_OP_UNASSIGN: return d->unassign(m, c, &r->edit);
    case HOST_OP_INVOICE: return d->invoice(m, c, r->period);
    case HOST_OP_RECONCILE: return d->reconcile(m, c);
    case HOST_OP_CLOSE_PERIOD: return d->close_period(m, c, r->period);
    case HOST_OP_RUN: return d->run(m, c, r->period);
    case HOST_OP_RULES_IMPORT: return d->rules_import(m, c, &r->file);
    case HOST_OP_RULES_EXPORT: return d->rules_export(m, c, &r->file);
    case HOST_OP_RULES_VALIDATE: return d->rules_validate(m, c, &r->file);
    case HOST_OP_ACCOUNTS_IMPORT: return d->accounts_import(m, c, &r->file);
    case HOST_OP_BALANCE: return d->balance(m, c);
    case HOST_OP_EXPIRING: return d->expiring(m, c, r->within_days);
    case HOST_OP_EXCLUDE: return d->exclude(m, c, &r->edit);
    case HOST_OP_INCLUDE: return d->include(m, c, &r->edit);
    case HOST_OP_CURRENCY_SET: return d->currency_set(m, c, &r->currency);
    case HOST_OP_USER: return d->user(m, c, &r->user);
    case HOST_OP_PERIODS: return d->periods(m, c);
    case HOST_OP_REOPEN_PERIOD: return d->reopen_period(m, c, r->period, r->edit.note);
    case HOST_OP_AUTH: break;  /* serve: main.c runs the server */
    case HOST_OP_GRANTS_IMPORT: return d->grants_import(m, c, &r->file);
    case HOST_OP_GRANT_SET: return d->grant_set(m, c, &r->grant);
    case HOST_OP_HIERARCHY_IMPORT: return d->hierarchy_import(m, c, &r->file);
    case HOST_OP_BALANCE_OF:
        if (!host_op_present(d, HOST_OP_BALANCE_OF))
            return d->balance(m, c);   /* a module before ABI 1.2 (host_cli_present) */
        return d->balance_of(m, c, &r->balance);
    case HOST_OP_EXPIRING_OF:
        if (!host_op_present(d, HOST_OP_EXPIRING_OF))
            return d->expiring(m, c, r->balance.within_days >= 0 ? r->balance.within_days : 30);
        return d->expiring_of(m, c, &r->balance);
    case HOST_OP_COUNT: break;
    }
    return AWC_ENOTSUP;
}
