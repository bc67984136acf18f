SELECT region || '-' || product AS k, COUNT(*) FROM orders GROUP BY region || '-' || product
