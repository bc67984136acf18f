SELECT LOWER(region) AS r, COUNT(*) FROM orders GROUP BY r
