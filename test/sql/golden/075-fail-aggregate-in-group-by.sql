--fail=aggregate SUM is not allowed in GROUP BY
SELECT COUNT(*) FROM s GROUP BY SUM(x)
