--fail=CASE branches of types integer and varchar have no common type
SELECT k, COUNT(*) AS n, CASE WHEN k = 'a' THEN 1 ELSE 'other' END AS c FROM s GROUP BY k
