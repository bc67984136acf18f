--fail=SUBSTRING takes 2 to 3 arguments, got 1
SELECT SUBSTRING(x) FROM s GROUP BY x
