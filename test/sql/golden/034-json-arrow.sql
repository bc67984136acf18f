SELECT payload ->> 'country' AS c, COUNT(*) FROM events GROUP BY payload ->> 'country'
