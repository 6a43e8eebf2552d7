-- information_schema as knex, pgjdbc and other tools read it (client-compat.md §4.3)
create table cati_t (id int primary key, name varchar(30) not null, price numeric(8,2) default 0, note text, created timestamp, flag boolean, code char(3) unique);
create table cati_ref (id serial primary key, t_id int references cati_t(id) on update cascade);
create sequence cati_seq increment by 5 start with 10;
-- knex hasTable / hasColumn
select table_name::text, table_type::text, is_insertable_into::text from information_schema.tables where table_name = 'cati_t' and table_schema = current_schema();
select count(*) from information_schema.tables where table_name = 'nosuch' and table_schema = current_schema();
select column_name::text from information_schema.columns where table_name = 'cati_t' and table_schema = current_schema() and column_name = 'price';
select column_name::text, ordinal_position::int, column_default::text, is_nullable::text, data_type::text, character_maximum_length::int, character_octet_length::int, numeric_precision::int, numeric_precision_radix::int, numeric_scale::int, datetime_precision::int, udt_name::text, is_identity::text, is_updatable::text
from information_schema.columns where table_name = 'cati_t' and table_schema = 'public' order by ordinal_position;
select column_name::text, column_default::text, data_type::text from information_schema.columns where table_name = 'cati_ref' order by ordinal_position;
select schema_name::text from information_schema.schemata where schema_name in ('public', 'pg_catalog', 'information_schema') order by 1;
select constraint_name::text, constraint_type::text, is_deferrable::text, initially_deferred::text from information_schema.table_constraints where table_name in ('cati_t', 'cati_ref') and constraint_type <> 'CHECK' order by 1;
select constraint_name::text, table_name::text, column_name::text, ordinal_position::int, position_in_unique_constraint::int from information_schema.key_column_usage where table_name in ('cati_t', 'cati_ref') order by 1, 4;
select constraint_name::text, unique_constraint_name::text, match_option::text, update_rule::text, delete_rule::text from information_schema.referential_constraints where constraint_name = 'cati_ref_t_id_fkey';
select sequence_name::text, data_type::text, numeric_precision::int, start_value::text, minimum_value::text, maximum_value::text, increment::text, cycle_option::text from information_schema.sequences where sequence_name = 'cati_seq';
select count(*) from information_schema.views where table_schema = 'public';
drop table cati_ref;
drop table cati_t;
drop sequence cati_seq;
