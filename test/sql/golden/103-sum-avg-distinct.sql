SELECT sum(distinct amount) AS s, avg( DISTINCT amount ) AS a FROM orders
