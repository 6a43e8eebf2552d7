-- result types of expressions in FROM, set operations and aggregates
SELECT pg_typeof(x), pg_typeof(sum(x)), pg_typeof(avg(x)) FROM (VALUES (1::int2)) v(x) GROUP BY x;
SELECT pg_typeof(sum(x)), pg_typeof(avg(x)), pg_typeof(min(x)) FROM (VALUES (1::int8)) v(x);
SELECT pg_typeof(sum(x)), pg_typeof(avg(x)) FROM (VALUES (1.5::float4)) v(x);
SELECT pg_typeof(count(*)), pg_typeof(row_number() OVER ()), pg_typeof(rank() OVER ()) FROM (VALUES (1)) v(x);
SELECT x, pg_typeof(x) FROM (SELECT 1 AS x UNION SELECT 2.5) s ORDER BY x;
SELECT pg_typeof(x) FROM (VALUES (1), (10000000000)) v(x) LIMIT 1;
SELECT pg_typeof(x) FROM (VALUES ('a'), ('b')) v(x) LIMIT 1;
SELECT pg_typeof(x) FROM (VALUES ('a'::varchar(3)), ('bb')) v(x) LIMIT 1;
SELECT pg_typeof(coalesce(x, 1.5)) FROM (VALUES (1)) v(x);
SELECT pg_typeof(g) FROM generate_series(1::int8, 2) g LIMIT 1;
SELECT pg_typeof(g) FROM generate_series(1.0, 2) g LIMIT 1;
SELECT pg_typeof(u) FROM unnest(ARRAY['x'::varchar]) u;
SELECT pg_typeof(string_agg(s, ',')), pg_typeof(array_agg(s)) FROM (VALUES ('a'::varchar)) v(s);
SELECT pg_typeof(max(s)) FROM (VALUES ('a'::varchar)) v(s);
SELECT pg_typeof(x) FROM (SELECT NULL AS x) s;
SELECT pg_typeof(lag(x) OVER ()), pg_typeof(first_value(x) OVER ()) FROM (VALUES (1.5)) v(x);
SELECT avg(x), sum(x) FROM (VALUES (1::numeric(10, 3)), (2)) v(x);
