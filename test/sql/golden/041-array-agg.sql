SELECT user_id, ARRAY_AGG(DISTINCT page) AS pages FROM views GROUP BY user_id
