SELECT COUNT(*) FROM orders WHERE NOT (status = 'cancelled')
