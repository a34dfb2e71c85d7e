// duckdb-credits.mjs -- the peer of `awscredit pull` in bench/bench-pull.sh:
// DuckDB reads a CUR CSV (plain or .gz) and aggregates its credits the way
// SPEC 5.2 does, in one SQL statement.
//
//   node bench/duckdb-credits.mjs FILE PERIOD [legacy|cur2]
//
// Prints one JSON line:
//   {"duckdb":"v1.5.6","rows":N,"credits":G,"totals":{"USD":"-1.0000000000",...},
//    "currencies":{"USD":{"rows":n,"credits":g},...},"query_s":0.123}
// rows = credit line items of PERIOD, credits = groups of
// (billing period, payer, usage account, credit key, product code, currency),
// totals = exact sums (DECIMAL(38,10)) per currency.
//
// The credit key is the AWS credit id when the description carries one
// ("..., credit id: 10063543426"), else the description trimmed with inner
// runs of blanks folded to one space (docs/CUR-INPUT.md).
//
// Every column is read as VARCHAR (all_varchar): the sniffer then only
// detects the dialect, not 125 column types, and the amounts are cast to an
// exact DECIMAL, never a DOUBLE.  DuckDB decompresses FILE itself when it
// ends in .gz.  It uses every core it finds.
import duckdb, { DuckDBInstance } from '@duckdb/node-api';

const [file, period, dialect = 'legacy'] = process.argv.slice(2);
if (!file || !/^\d{4}-\d{2}$/.test(period || '') || !['legacy', 'cur2'].includes(dialect)) {
  process.stderr.write('usage: node bench/duckdb-credits.mjs FILE YYYY-MM [legacy|cur2]\n');
  process.exit(2);
}

const C = dialect === 'legacy'
  ? {
      type: 'lineItem/LineItemType', start: 'bill/BillingPeriodStartDate',
      payer: 'bill/PayerAccountId', account: 'lineItem/UsageAccountId',
      desc: 'lineItem/LineItemDescription', product: 'lineItem/ProductCode',
      currency: 'lineItem/CurrencyCode', cost: 'lineItem/UnblendedCost',
    }
  : {
      type: 'line_item_line_item_type', start: 'bill_billing_period_start_date',
      payer: 'bill_payer_account_id', account: 'line_item_usage_account_id',
      desc: 'line_item_line_item_description', product: 'line_item_product_code',
      currency: 'line_item_currency_code', cost: 'line_item_unblended_cost',
    };
const q = (name) => '"' + name.replace(/"/g, '""') + '"';
const lit = (s) => "'" + s.replace(/'/g, "''") + "'";

const sql = `
WITH credit_rows AS (
  SELECT substr(${q(C.start)}, 1, 7) AS billing_period,
         ${q(C.payer)} AS payer,
         ${q(C.account)} AS account,
         coalesce(nullif(regexp_extract(${q(C.desc)}, '(?i)credit id\\s*:\\s*([0-9]+)', 1), ''),
                  trim(regexp_replace(${q(C.desc)}, '[ \\t\\r\\n\\x0B\\x0C]+', ' ', 'g')))
           AS credit_key,
         ${q(C.product)} AS product,
         ${q(C.currency)} AS currency,
         CAST(${q(C.cost)} AS DECIMAL(38, 10)) AS amount
  FROM read_csv(${lit(file)}, header = true, all_varchar = true,
                delim = ',', quote = '"', escape = '"')
  WHERE ${q(C.type)} = 'Credit' AND substr(${q(C.start)}, 1, 7) = ${lit(period)}
), credits AS (
  SELECT currency, sum(amount) AS amount, count(*) AS n
  FROM credit_rows
  GROUP BY billing_period, payer, account, credit_key, product, currency
)
SELECT currency, CAST(sum(amount) AS VARCHAR) AS total,
       CAST(sum(n) AS BIGINT) AS n_rows, CAST(count(*) AS BIGINT) AS n_credits
FROM credits GROUP BY currency ORDER BY currency`;

const t0 = process.hrtime.bigint();
const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const reader = await con.runAndReadAll(sql);
const t1 = process.hrtime.bigint();

const out = { duckdb: duckdb.version(), rows: 0, credits: 0, totals: {}, currencies: {} };
for (const [currency, total, nRows, nCredits] of reader.getRowsJS()) {
  out.totals[currency] = total;
  out.currencies[currency] = { rows: Number(nRows), credits: Number(nCredits) };
  out.rows += Number(nRows);
  out.credits += Number(nCredits);
}
out.query_s = Number(t1 - t0) / 1e9;
process.stdout.write(JSON.stringify(out) + '\n');
