-- monthly confirmed revenue per destination
WITH b AS (
  SELECT * FROM ${catalog}.${gold_schema}.bookings WHERE status = 'confirmed'
)
SELECT d.name, date_trunc('MONTH', b.check_in) AS month, SUM(b.total_amount) AS revenue
FROM b JOIN main.wanderbricks.destinations d ON b.destination_id = d.destination_id
WHERE b.check_in BETWEEN :start_date AND :end_date
GROUP BY ALL ORDER BY revenue DESC LIMIT 10;
