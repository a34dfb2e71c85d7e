# fill-credits.sh -- sourced by bench/bench-export.sh and bench/bench-web.sh:
# fill FROM TO puts credits FROM+1 .. TO into $DB through $MYSQL, in chunks
# of $CHUNK, with their assignments and split lines: all four states over
# the 12 periods of 2025, 2 000 customers (C-0 .. C-1999) of 20 resellers
# (R-0 .. R-19), 5 000 usage accounts, USD and EUR.  A quarter of the
# credits have no owner, and one in 28 is unmapped.  Needs die().

# fill FROM TO -- credits FROM+1 .. TO (seq = n) with their split lines.
fill() {
    _at=$1
    while [ "$_at" -lt "$2" ]; do
        _n=$(($2 - _at))
        [ "$_n" -gt "$CHUNK" ] && _n=$CHUNK
        $MYSQL "$DB" <<EOF || die "filling credits failed"
SET SESSION foreign_key_checks = 0, unique_checks = 0;
INSERT IGNORE INTO assignments (unmapped, customer_id, asset_id, reseller_id, rule_id)
SELECT DISTINCT IF(n % 28 = 0, 1, 0),
    IF(n % 4 = 0, '', CONCAT('C-', n % 2000)), IF(n % 4 = 0, '', CONCAT('A-', n % 2000)),
    IF(n % 4 = 0, '', CONCAT('R-', n % 20)), IF(n % 4 = 0, '', CONCAT('R-MAP-', n % 10))
FROM (SELECT $_at + seq AS n FROM seq_1_to_$_n) s;
INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, product_code,
    currency, description, credit_type, billing_entity, legal_entity, invoice_id, first_usage,
    last_usage, issue_date, line_count, amount, status, assignment_id, usage_file_id,
    processing_date)
SELECT n, CONCAT('2025-', LPAD(1 + n % 12, 2, '0')),
    CONCAT('1000000000', LPAD(n % 50, 2, '0')), CONCAT('20000000', LPAD(n % 5000, 4, '0')),
    CONCAT('credit key ', n),
    ELT(1 + n % 5, 'AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda', 'AmazonCloudFront'),
    IF(n % 10 = 0, 'EUR', 'USD'),
    CONCAT('MAP credit _MPE', n % 1000, ', credit id: ', 10000000000 + n),
    ELT(1 + n % 4, 'MAP', 'EDP', 'PROMOTIONAL', 'SLA'),
    'AWS', 'Amazon Web Services, Inc.', CONCAT('INV-', n % 100),
    '2025-01-02', '2025-01-28', '2025-01-01', 1 + n % 3,
    CAST(-(n * 7919 % 1000000000) / 1000000 AS DECIMAL(30,10)),
    ELT(1 + n % 4, 'PENDING_ASSIGN', 'ASSIGNED', 'PROCESSING', 'PROCESSED'), a.id,
    IF(n % 4 >= 2, CONCAT('UF-2025-01-', LPAD(n % 10000, 4, '0'), '-0001'), NULL),
    IF(n % 4 >= 2, '2025-02-03', NULL)
FROM (SELECT $_at + seq AS n FROM seq_1_to_$_n) s
STRAIGHT_JOIN assignments a ON a.owner_account_id = '' AND a.unmapped = IF(n % 28 = 0, 1, 0)
    AND a.customer_id = IF(n % 4 = 0, '', CONCAT('C-', n % 2000))
    AND a.asset_id = IF(n % 4 = 0, '', CONCAT('A-', n % 2000))
    AND a.reseller_id = IF(n % 4 = 0, '', CONCAT('R-', n % 20))
    AND a.rule_id = IF(n % 4 = 0, '', CONCAT('R-MAP-', n % 10));
INSERT INTO credit_splits (seq, line_no, target, party_id, target_name, percent_bp,
    amount_minor, customer_id, asset_id, reseller_id, record_id)
SELECT c.seq, l.seq, IF(l.seq = 1, 'customer', 'retained'), NULL, '', IF(l.seq = 1, 8000, NULL),
    IF(l.seq = 1, ROUND(ROUND(c.amount, 2) * 80),
       ROUND(c.amount, 2) * 100 - ROUND(ROUND(c.amount, 2) * 80)),
    NULLIF(c.customer_id, ''), NULLIF(c.asset_id, ''), NULLIF(c.reseller_id, ''),
    IF(c.status IN ('PROCESSING', 'PROCESSED') AND l.seq = 1,
       CONCAT('UR-2025-01-', LPAD(c.seq, 9, '0'), '-0001'), NULL)
FROM credit_view c STRAIGHT_JOIN seq_1_to_2 l
WHERE c.seq > $_at AND c.seq <= $((_at + _n)) AND c.status <> 'PENDING_ASSIGN';
EOF
        _at=$((_at + _n))
    done
}

