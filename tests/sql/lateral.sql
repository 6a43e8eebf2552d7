-- LATERAL subqueries and set-returning functions referencing earlier FROM items
SELECT x, y FROM generate_series(1, 3) x, generate_series(1, x) y ORDER BY x, y;
SELECT x, y FROM generate_series(1, 3) x, LATERAL generate_series(x, 3) y ORDER BY x, y;
SELECT x, s.m FROM generate_series(1, 4) x, LATERAL (SELECT max(y) AS m FROM generate_series(1, x) y WHERE y % 2 = 1) s ORDER BY x;
SELECT x, s.y FROM generate_series(1, 3) x LEFT JOIN LATERAL (SELECT y FROM generate_series(1, x) y WHERE y > 1) s ON true ORDER BY x, s.y;
SELECT x, s.y FROM generate_series(1, 3) x JOIN LATERAL (SELECT y FROM generate_series(1, 3) y WHERE y <= x) s ON s.y = x ORDER BY x;
SELECT k, u FROM (VALUES (1, ARRAY[1, 2]), (2, ARRAY[3])) t(k, a), unnest(t.a) u ORDER BY k, u;
SELECT k, top.v FROM (VALUES ('a'), ('b')) t(k), LATERAL (SELECT v FROM (VALUES ('a', 1), ('a', 5), ('b', 2)) d(k2, v) WHERE d.k2 = t.k ORDER BY v DESC LIMIT 1) top ORDER BY k;
SELECT count(*) FROM generate_series(1, 100) x, generate_series(1, x) y;
SELECT * FROM generate_series(1, 2) x, (SELECT x) s;
SELECT x, s.* FROM generate_series(1, 2) x, LATERAL (SELECT x * 10 AS t, x * 100 AS h) s ORDER BY x;
SELECT count(*) FROM (SELECT 1) s GROUP BY ();
