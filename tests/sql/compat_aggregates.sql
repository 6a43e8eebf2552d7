-- Two-argument statistics aggregates: corr, covar_pop/covar_samp, regr_*
CREATE TABLE pts (g int, y float8, x float8);
INSERT INTO pts VALUES (1, 1, 1), (1, 2, 2), (1, 4, 3), (1, 3, 4), (2, 5, 1), (2, NULL, 2), (2, 7, NULL), (3, 1, 1);
SELECT regr_count(y, x), regr_avgx(y, x), regr_avgy(y, x), regr_sxx(y, x), regr_syy(y, x), regr_sxy(y, x) FROM pts WHERE g = 1;
SELECT round(corr(y, x)::numeric, 10), covar_pop(y, x), round(covar_samp(y, x)::numeric, 10) FROM pts WHERE g = 1;
SELECT regr_slope(y, x), regr_intercept(y, x), round(regr_r2(y, x)::numeric, 10) FROM pts WHERE g = 1;
SELECT g, regr_count(y, x), covar_pop(y, x), covar_samp(y, x), corr(y, x), regr_slope(y, x) FROM pts GROUP BY g ORDER BY g;
SELECT regr_count(y, x), corr(y, x), covar_pop(y, x), regr_avgx(y, x) FROM pts WHERE g > 10;
SELECT corr(y, x) FROM (VALUES (1::float8, 1::float8), (1, 2)) v(y, x);
SELECT regr_r2(y, x), regr_slope(y, x) FROM (VALUES (1::float8, 1::float8), (1, 2)) v(y, x);
SELECT regr_slope(y, x) FROM (VALUES (1::float8, 1::float8), (2, 1)) v(y, x);
SELECT covar_pop(a, b), regr_count(a, b) FROM (VALUES (1, 2), (3, 5), (6, 4)) v(a, b);
SELECT pg_typeof(corr(1, 2)), pg_typeof(regr_count(1, 2));
SELECT g, x, regr_count(y, x) OVER (PARTITION BY g ORDER BY x) FROM pts WHERE x IS NOT NULL AND y IS NOT NULL ORDER BY g, x;
SELECT covar_pop(y, x) FILTER (WHERE x > 1) FROM pts WHERE g = 1;
SELECT corr(y, x) FROM (VALUES ('NaN'::float8, 1::float8), (2, 2)) v(y, x);
SELECT corr(1, 2, 3);
DROP TABLE pts;
