SELECT page, COUNT(DISTINCT user_id) FILTER (WHERE logged_in) AS members FROM views GROUP BY page
