--fail=nested more than 32 levels deep
SELECT COUNT(*) FROM s WHERE ((((((((((((((((((((((((((((((((((((((((x = 1))))))))))))))))))))))))))))))))))))))))
