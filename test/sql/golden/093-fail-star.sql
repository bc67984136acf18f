--fail=* can only be used in COUNT(*)
SELECT * FROM s GROUP BY x
