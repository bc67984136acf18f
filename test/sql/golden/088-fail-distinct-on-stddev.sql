--fail=does not support DISTINCT
SELECT STDDEV_POP(DISTINCT x) FROM s
