--fail=subqueries are not supported
SELECT COUNT(*) FROM s WHERE EXISTS (SELECT 1 FROM t)
