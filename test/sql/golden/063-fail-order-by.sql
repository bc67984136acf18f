--fail=ORDER BY is not supported
SELECT region, COUNT(*) FROM s GROUP BY region ORDER BY region
