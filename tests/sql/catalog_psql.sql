-- the catalog queries psql 15 sends for \d, \dt, \di, \dn (client-compat.md §2),
-- restricted to this file's objects and without raw OIDs
create table cat_dept (id int primary key, name varchar(40) not null unique, budget numeric(12,2) default 0);
create table cat_emp (id serial primary key, dept_id int references cat_dept(id) on delete cascade, name text not null default 'anon', salary int check (salary > 0), hired date, grade char(2));
create index cat_emp_name_idx on cat_emp (name);
create unique index cat_emp_dh_idx on cat_emp (dept_id, hired);
create sequence cat_order_seq;
-- \d cat_emp: lookup
SELECT n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname OPERATOR(pg_catalog.~) '^(cat_emp)$' COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1, 2;
-- table info
SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = 'cat_emp'::regclass;
-- columns
SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = 'cat_emp'::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;
-- indexes
SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
WHERE c.oid = 'cat_emp'::regclass AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname;
-- check constraints and foreign keys
SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true) FROM pg_catalog.pg_constraint r WHERE r.conrelid = 'cat_emp'::regclass AND r.contype = 'c' ORDER BY 1;
SELECT true as sametable, conname,
  pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
  conrelid::pg_catalog.regclass AS ontable
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = 'cat_emp'::regclass AND r.contype = 'f'
     AND conparentid = 0
ORDER BY conname;
-- referenced by
SELECT conname, conrelid::pg_catalog.regclass AS ontable,
       pg_catalog.pg_get_constraintdef(oid, true) AS condef
  FROM pg_catalog.pg_constraint c
 WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('cat_dept')
                     UNION ALL VALUES ('cat_dept'::pg_catalog.regclass))
       AND contype = 'f' AND conparentid = 0
ORDER BY conname;
-- policies, statistics, inheritance: present and empty
SELECT pol.polname, pol.polpermissive FROM pg_catalog.pg_policy pol WHERE pol.polrelid = 'cat_emp'::regclass ORDER BY 1;
SELECT stxname FROM pg_catalog.pg_statistic_ext WHERE stxrelid = 'cat_emp'::regclass;
SELECT c.oid::pg_catalog.regclass FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i WHERE c.oid = i.inhparent AND i.inhrelid = 'cat_emp'::regclass ORDER BY inhseqno;
-- \dt / \di / \ds (listTables)
SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
 c2.relname as "Table"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid
WHERE c.relkind IN ('r','p','i','S','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
      AND c.relname ~ '^cat_'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;
-- \dn
SELECT n.nspname AS "Name" FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1;
-- helpers
select pg_get_serial_sequence('cat_emp', 'id'), pg_get_serial_sequence('cat_emp', 'name');
select format_type('int4'::regtype, -1), format_type(1043, 44), format_type(1700, 655366), format_type(1042, 6), format_type(1114, null), format_type(1007, -1);
select 'cat_emp'::regclass, 'public.cat_dept'::regclass::text, 'pg_class'::regclass, 'pg_catalog.pg_type'::regclass;
select 'nosuch'::regclass;
select to_regclass('nosuch'), to_regclass('cat_emp'), to_regtype('integer'), to_regtype('nosuch'), 'varchar'::regtype, 'int4[]'::regtype;
select relname, pg_table_is_visible(oid) from pg_class where relname in ('cat_emp', 'cat_emp_pkey', 'cat_order_seq', 'pg_class') order by 1;
select pg_get_userbyid(relowner) = current_user from pg_class where relname = 'cat_emp';
select pg_encoding_to_char(6), pg_size_pretty(123456789::bigint), pg_size_pretty(512::bigint), quote_ident('a b'), quote_ident('abc'), quote_ident('select');
select relname, relkind, relnatts, relchecks, relhasindex, relhastriggers, relpersistence from pg_class where relname like 'cat\_%' order by relname;
select attname, attnum, attnotnull, atthasdef, format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'cat_emp_dh_idx'::regclass order by attnum;
select c.relname, i.indnatts, i.indisunique, i.indisprimary from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = 'cat_emp'::regclass order by 1;
select conname, contype, confupdtype, confdeltype, confmatchtype, conkey, confkey from pg_constraint where conrelid = 'cat_emp'::regclass order by conname;
select seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle from pg_sequence where seqrelid = 'cat_order_seq'::regclass;
-- regular expressions
select 'abc' ~ '^a', 'abc' !~ '^a', 'ABC' ~* 'b', 'ABC' !~* 'b', 'cat_emp'::name ~ '^(cat_emp)$';
select 'foo123bar' ~ '\d+', 'a.c' ~ '^a\.c$', 'line1
line2' ~ 'line1.line2';
select regexp_replace('Hello World', 'o', '0'), regexp_replace('Hello World', 'o', '0', 'g'), regexp_replace('abc', '(b)', '[\1]');
select regexp_match('foo123bar456', '(\d+)[a-z]+(\d+)'), regexp_match('abc', 'x'), substring('foobar' from 'o(b.)');
select 'abc' ~ '(';
drop table cat_emp;
drop table cat_dept;
drop sequence cat_order_seq;
