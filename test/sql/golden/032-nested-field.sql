SELECT payload.user.id AS uid, COUNT(*) FROM events GROUP BY payload.user.id
