--fail=syntax error
SELECT SUM(DISTINCT amount) FILTER (WHERE amount > 0) FROM orders
