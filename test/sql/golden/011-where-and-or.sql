SELECT region, COUNT(*) FROM orders WHERE (amount > 10 AND status = 'paid') OR vip = TRUE GROUP BY region
