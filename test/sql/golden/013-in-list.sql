SELECT status, COUNT(*) FROM orders WHERE region IN ('eu', 'us') GROUP BY status
