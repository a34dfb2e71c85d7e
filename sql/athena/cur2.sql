-- cur2.sql -- the credits of one billing period from a CUR 2.0 (Data
-- Exports) table: snake-case columns, partition billing_period = 'YYYY-MM'.
-- Used by adapters/cur_athena.c (athena.cur_version = 2), which keeps a
-- copy of this text that a unit test compares with this file.
--
-- Placeholders are filled only with validated values, because Athena takes
-- SQL text: {{database}} and {{table}} match [A-Za-z0-9_]+, {{period}} is
-- YYYY-MM, and {{line_item_types}} is a list of quoted [A-Za-z]+ words
-- ('Credit').  Comment lines are dropped before the query is sent.
--
-- CUR 2.0 moves product attributes, tags, discounts and cost categories
-- into map columns (product, resource_tags, discount, cost_category); every
-- column read here is a top-level one, so no map is touched or scanned.
-- The result's columns and their order are the contract with
-- cur_athena.c: one row per (payer, usage account, product, currency,
-- description); each cost is cast to DECIMAL(38,10) before the sum, and the
-- sum is returned as text.
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
WHERE billing_period = '{{period}}'
  AND line_item_line_item_type IN ({{line_item_types}})
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
