--fail=is a window and belongs in GROUP BY
SELECT TUMBLE(ts, INTERVAL '1' MINUTE) FROM s GROUP BY x
