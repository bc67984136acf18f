--fail=operator + needs numbers
SELECT SUM(x + 'a') FROM s
