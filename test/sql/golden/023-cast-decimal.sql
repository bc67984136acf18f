SELECT SUM(CAST(price AS DECIMAL(10,2))) AS revenue FROM orders
