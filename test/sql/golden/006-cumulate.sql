SELECT window_start, window_end, SUM(amount) AS running FROM orders GROUP BY CUMULATE(ts, INTERVAL '1' HOUR, INTERVAL '1' DAY)
