SELECT region, COUNT(*) FILTER (WHERE status = 'paid') AS paid, SUM(amount) FILTER (WHERE amount > 0) AS positive FROM orders GROUP BY region
