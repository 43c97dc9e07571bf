-- bench/sql/compare.sql: do bench.:a and bench.:b hold the same rows, as
-- multisets?  That is EXCEPT ALL both ways, done in one pass: per distinct
-- row, its count in a minus its count in b.  Columns are compared with their
-- own type's equality (jsonb for metrics, numeric for current_value), so key
-- order and spacing in metrics and 30 = 30.00 do not matter.
--
--   psql -v a=TABLE -v b=TABLE -f compare.sql   (both in schema bench)
--
-- Prints one line "only_a N only_b M"; when either is not 0, also up to five
-- rows of each side that the other lacks.
\set ON_ERROR_STOP on
SET work_mem = '1GB';
SET jit = off;

-- The columns of a, in order (b must have the same ones), for GROUP BY.
SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols
FROM pg_attribute
WHERE attrelid = format('bench.%I', :'a')::regclass AND attnum > 0 AND NOT attisdropped \gset

WITH surplus AS (
    SELECT sum(side) AS n
    FROM (SELECT :cols, 1 AS side FROM bench.:"a"
          UNION ALL
          SELECT :cols, -1 FROM bench.:"b") u
    GROUP BY :cols
    HAVING sum(side) <> 0
)
SELECT coalesce(sum(n) FILTER (WHERE n > 0), 0) AS only_a,
       coalesce(-sum(n) FILTER (WHERE n < 0), 0) AS only_b
FROM surplus \gset

\echo only_a :only_a only_b :only_b
SELECT :only_a + :only_b > 0 AS differ \gset
\if :differ
    \echo rows of :a missing from :b (up to 5):
    SELECT * FROM (TABLE bench.:"a" EXCEPT ALL TABLE bench.:"b") d LIMIT 5;
    \echo rows of :b missing from :a (up to 5):
    SELECT * FROM (TABLE bench.:"b" EXCEPT ALL TABLE bench.:"a") d LIMIT 5;
\endif
