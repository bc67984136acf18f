SELECT "Region", COUNT(*) FROM orders GROUP BY "Region"
