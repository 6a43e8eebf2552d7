-- psql_describe.sql -- psql 15 meta-commands over tables with the usual
-- constraints, run by test_psql_describe.sh against pgkv and PostgreSQL 15.
create table dept (id int primary key, name varchar(40) not null unique, budget numeric(12,2) default 0);
create table emp (
    id serial primary key,
    dept_id int references dept(id) on delete cascade,
    name text not null default 'anon',
    email varchar(80),
    salary int check (salary > 0),
    hired date,
    active boolean default true,
    grade char(2)
);
create index emp_name_idx on emp (name);
create unique index emp_email_idx on emp (email);
create index emp_dept_hired_idx on emp (dept_id, hired);
create sequence order_seq;
create schema app;
create table app.item (code char(4) primary key, qty int not null default 1, note text);
create role alice login createdb;
\dt
\d dept
\d emp
\d app.item
\d app.*
\di
\ds
\dt app.*
\dt e*
\d
\d nosuch
\du alice
\pset format unaligned
\dn
\l postgres
