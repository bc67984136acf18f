SELECT SUM(-amount) AS refunds FROM orders WHERE amount < 0
