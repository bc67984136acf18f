SELECT DATE_TRUNC('hour', created) AS hour, COUNT(*) FROM orders GROUP BY DATE_TRUNC('hour', created)
