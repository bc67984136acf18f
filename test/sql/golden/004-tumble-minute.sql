SELECT region, window_start, window_end, COUNT(*) AS n
FROM orders
GROUP BY region, TUMBLE(ts, INTERVAL '1' MINUTE)
