SELECT region, MEASURE(total_revenue) AS revenue FROM main.gold.booking_metrics /* mv */ GROUP BY region
