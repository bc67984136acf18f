SELECT COUNT(amount) AS with_amount, COUNT(*) AS all_rows FROM orders
