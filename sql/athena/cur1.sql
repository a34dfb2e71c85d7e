-- cur1.sql -- the credits of one billing period from a legacy CUR table
-- (CUR 1 with the Athena integration: snake-case columns, partitions year
-- and month as strings; month is '7' or '07' depending on the setup, so
-- both are matched).  Used by adapters/cur_athena.c (athena.cur_version = 1),
-- which keeps a copy of this text that a unit test compares with this file.
--
-- Placeholders are filled only with validated values, because Athena takes
-- SQL text: {{database}} and {{table}} match [A-Za-z0-9_]+, {{period}} is
-- YYYY-MM ({{year}}, {{month}}, {{month_unpadded}} derive from it), and
-- {{line_item_types}} is a list of quoted [A-Za-z]+ words ('Credit').
-- Comment lines are dropped before the query is sent.
--
-- The result's columns and their order are the contract with cur_athena.c:
-- one row per (payer, usage account, product, currency, description); each
-- cost is cast to DECIMAL(38,10) before the sum (CUR's DOUBLE column,
-- rounded to the 10 places CUR prints), and the sum is returned as text.
SELECT
  bill_payer_account_id AS payer_account_id,
  line_item_usage_account_id AS usage_account_id,
  line_item_product_code AS product_code,
  line_item_currency_code AS currency,
  line_item_line_item_description AS description,
  max(bill_billing_entity) AS billing_entity,
  max(line_item_legal_entity) AS legal_entity,
  max(bill_invoice_id) AS invoice_id,
  date_format(min(line_item_usage_start_date), '%Y-%m-%d') AS first_usage,
  date_format(max(line_item_usage_start_date), '%Y-%m-%d') AS last_usage,
  count(*) AS line_count,
  CAST(sum(CAST(line_item_unblended_cost AS DECIMAL(38, 10))) AS VARCHAR) AS amount
FROM "{{database}}"."{{table}}"
WHERE year = '{{year}}'
  AND month IN ('{{month}}', '{{month_unpadded}}')
  AND bill_billing_period_start_date = TIMESTAMP '{{period}}-01 00:00:00'
  AND line_item_line_item_type IN ({{line_item_types}})
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
