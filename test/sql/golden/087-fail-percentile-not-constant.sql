--fail=must be constants
SELECT APPROX_PERCENTILE(x, y) FROM s
