--fail=must be a multiple of its step
SELECT COUNT(*) FROM s GROUP BY CUMULATE(ts, INTERVAL '7' MINUTE, INTERVAL '1' HOUR)
