--fail=column product must appear in GROUP BY
SELECT region, product, COUNT(*) FROM s GROUP BY region
