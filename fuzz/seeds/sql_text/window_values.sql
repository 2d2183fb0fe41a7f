SELECT id, ROW_NUMBER() OVER (PARTITION BY host ORDER BY amount DESC) AS rn, CASE WHEN x IS NULL THEN 'n' ELSE "q" END
FROM (VALUES (1, 'a', 2.5), (2, 'b', NULL)) AS t(id, host, amount) QUALIFY rn <= 3
UNION ALL SELECT 1, 2, 3
