--fail=subqueries are not supported
SELECT COUNT(*) FROM s WHERE x IN (SELECT y FROM t)
