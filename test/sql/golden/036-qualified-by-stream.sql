SELECT orders.region, COUNT(*) FROM orders GROUP BY orders.region
