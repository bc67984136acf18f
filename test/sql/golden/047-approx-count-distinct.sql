SELECT page, APPROX_COUNT_DISTINCT(user_id) AS visitors FROM views GROUP BY page
