select Region, count(*) as N from Orders group by Region
