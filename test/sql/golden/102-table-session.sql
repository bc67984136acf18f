SELECT window_start, window_end, user_id, COUNT(*) AS clicks
FROM TABLE(SESSION(TABLE clicks, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
GROUP BY window_start, window_end, user_id
