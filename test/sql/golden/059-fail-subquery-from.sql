--fail=subqueries are not supported
SELECT x FROM (SELECT x FROM s) t GROUP BY x
