--fail=syntax error
SELECT STDDEV_POP(DISTINCT x) FROM s
