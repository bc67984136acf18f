SELECT page, COUNT(DISTINCT user_id) AS visitors FROM views GROUP BY page
