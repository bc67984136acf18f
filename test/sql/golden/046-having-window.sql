SELECT page, window_start, COUNT(*) AS n FROM views GROUP BY page, TUMBLE(ts, INTERVAL '1' MINUTE) HAVING COUNT(*) >= 5
