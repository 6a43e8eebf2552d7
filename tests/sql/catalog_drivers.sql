-- catalog queries of drivers and tools (client-compat.md §3.2, §4): pgbench's
-- partition probe, pgjdbc and psycopg type discovery, SQLAlchemy reflection
create table pgbench_accounts (aid int not null primary key, bid int, abalance int, filler char(84));
create table catd_parent (id bigint primary key, code varchar(10) unique);
create table catd_child (id serial, parent_id bigint references catd_parent(id), qty int default 1, primary key (id));
-- pgbench GetTableInfo: one row (1, NULL, 0)
select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = 'pgbench_accounts' and o.n is not null group by 1, 2 order by 1 asc limit 1;
-- pgjdbc TypeInfoCache
SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1043;
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid FROM pg_catalog.pg_type WHERE pg_type.oid = 1007;
SELECT t.typname, t.typtype, t.typlen, t.typbyval, t.typcategory, t.typelem, t.typarray, t.typdelim, t.typinput, t.typoutput, t.typreceive, t.typsend FROM pg_catalog.pg_type t WHERE t.oid IN (16, 20, 23, 25, 1043, 1700, 1114, 1184, 2950, 1007, 1009) ORDER BY t.oid;
select current_schemas(false), current_schemas(true);
-- psycopg TypeInfo.fetch
SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype, typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype('numeric') ORDER BY t.oid;
SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype, typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype('hstore') ORDER BY t.oid;
-- SQLAlchemy (psycopg2) hstore probe and has_table
SELECT t.oid, typarray FROM pg_type t JOIN pg_namespace ns ON typnamespace = ns.oid WHERE typname = 'hstore';
select relname from pg_class c join pg_namespace n on n.oid=c.relnamespace where pg_catalog.pg_table_is_visible(c.oid) and relname='catd_child';
SELECT pg_catalog.pg_class.relname FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace WHERE pg_catalog.pg_class.relname = 'catd_parent'::VARCHAR AND pg_catalog.pg_class.relkind = ANY (ARRAY['r'::VARCHAR, 'p'::VARCHAR, 'f'::VARCHAR, 'v'::VARCHAR, 'm'::VARCHAR]) AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != 'pg_catalog'::VARCHAR;
-- SQLAlchemy get_table_names
SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = ANY (ARRAY['r', 'p']) AND c.relpersistence != 't' AND c.relname LIKE 'catd%' ORDER BY c.relname;
-- SQLAlchemy get_columns (shape)
SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS format_type,
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef) AS "default",
  a.attnotnull AS not_null, c.relname AS table_name, pgd.description AS comment
FROM pg_catalog.pg_class c
  LEFT JOIN pg_catalog.pg_attribute a ON c.oid = a.attrelid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_description pgd ON a.attrelid = pgd.objoid AND a.attnum = pgd.objsubid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm']) AND pg_catalog.pg_table_is_visible(c.oid) AND c.relname IN ('catd_parent', 'catd_child')
ORDER BY c.relname, a.attnum;
-- SQLAlchemy get_pk_constraint (shape: indkey expansion)
SELECT attr.conname, array_agg(attr.attname ORDER BY attr.ord) AS cols
FROM (SELECT con.conname, a.attname, k.ord
      FROM pg_catalog.pg_constraint con
      CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
      WHERE con.conrelid = 'catd_child'::regclass AND con.contype = 'p') attr
GROUP BY attr.conname;
SELECT c.relname, a.attname FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid
  CROSS JOIN LATERAL generate_subscripts(i.indkey::int2[], 1) AS s(k)
WHERE i.indrelid = 'catd_parent'::regclass AND a.attnum = (i.indkey::int2[])[s.k]
ORDER BY 1, 2;
-- SQLAlchemy get_foreign_keys (shape)
SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true) AS condef, n.nspname AS conschema
FROM pg_catalog.pg_constraint r JOIN pg_catalog.pg_class c ON c.oid = r.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.conrelid = 'catd_child'::regclass AND r.contype = 'f' ORDER BY 1;
select pg_get_serial_sequence('catd_child', 'id');
-- pg_settings and pg_database
select name, setting from pg_settings where name in ('standard_conforming_strings', 'server_encoding', 'DateStyle') order by name;
select datname, pg_encoding_to_char(encoding), datallowconn from pg_database where datname = current_database();
select rolname, rolsuper, rolcanlogin from pg_roles where rolname = current_user;
select count(*) > 0 from pg_proc where proname = 'array_in';
select count(*) from pg_am where amname in ('heap', 'btree');
drop table catd_child;
drop table catd_parent;
drop table pgbench_accounts;
