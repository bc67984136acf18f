--fail=aggregate SUM is not allowed in WHERE
SELECT COUNT(*) FROM s WHERE SUM(x) > 10
