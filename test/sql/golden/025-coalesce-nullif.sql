SELECT COALESCE(region, 'unknown') AS r, SUM(NULLIF(amount, 0)) FROM orders GROUP BY COALESCE(region, 'unknown')
