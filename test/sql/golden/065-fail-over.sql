--fail=OVER windows are not supported
SELECT SUM(x) OVER (PARTITION BY region) FROM s
