--fail=LIMIT is not supported
SELECT region, COUNT(*) FROM s GROUP BY region LIMIT 10
