SELECT SUM(CASE status WHEN 'paid' THEN amount ELSE 0 END) AS paid FROM orders
