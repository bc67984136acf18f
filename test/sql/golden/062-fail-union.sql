--fail=UNION is not supported
SELECT COUNT(*) FROM a UNION SELECT COUNT(*) FROM b
