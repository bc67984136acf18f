SELECT CONCAT(first, ' ', last) AS full_name, COUNT(*) FROM users GROUP BY CONCAT(first, ' ', last)
