--fail=SUM takes 1 argument, got 2
SELECT SUM(a, b) FROM s
