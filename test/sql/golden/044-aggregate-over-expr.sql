SELECT SUM(price * quantity) AS revenue FROM orders
