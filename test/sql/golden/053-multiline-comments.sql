-- revenue per region
SELECT region,
       SUM(amount) AS revenue -- total
FROM orders
GROUP BY region
