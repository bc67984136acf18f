--fail=percentile must be a constant between 0 and 1
SELECT APPROX_PERCENTILE(x, 2) FROM s
