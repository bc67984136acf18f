SELECT region, COUNT(*) AS n FROM orders GROUP BY region HAVING n > 10
