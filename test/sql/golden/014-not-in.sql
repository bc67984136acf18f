SELECT status, COUNT(*) FROM orders WHERE region NOT IN ('eu', 'us') GROUP BY status
