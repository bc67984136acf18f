SELECT region, COUNT(*) AS n FROM orders GROUP BY region HAVING COUNT(*) > 10 AND SUM(amount) > 100
