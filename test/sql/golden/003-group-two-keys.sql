SELECT region, product, MIN(amount), MAX(amount) FROM orders GROUP BY region, product
