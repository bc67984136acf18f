--fail=only one SQL statement
SELECT COUNT(*) FROM s; SELECT COUNT(*) FROM t
