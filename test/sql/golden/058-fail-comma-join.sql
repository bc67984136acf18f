--fail=comma join is not supported
SELECT COUNT(*) FROM a, b
