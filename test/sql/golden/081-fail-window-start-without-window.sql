--fail=window_start needs a window in GROUP BY
SELECT window_start, COUNT(*) FROM s GROUP BY x
