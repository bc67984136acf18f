--fail=HOP size must be an integral multiple of its slide
SELECT COUNT(*) AS n FROM s GROUP BY HOP(ts, INTERVAL '2' MINUTE, INTERVAL '5' MINUTE)
