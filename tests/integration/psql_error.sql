-- psql_error.sql: with ON_ERROR_STOP=1 psql must stop at the error (exit 3).
SELECT 'before error' AS step;
SELECT 1/0;
SELECT 'after error' AS step;
