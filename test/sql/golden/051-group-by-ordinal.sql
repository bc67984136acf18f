SELECT region, COUNT(*) FROM orders GROUP BY 1
