--fail=cannot be named __proto__
SELECT COUNT(*) AS "__proto__" FROM s
