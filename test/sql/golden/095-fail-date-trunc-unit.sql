--fail=DATE_TRUNC unit 'fortnight' is not supported
SELECT DATE_TRUNC('fortnight', t), COUNT(*) FROM s GROUP BY DATE_TRUNC('fortnight', t)
