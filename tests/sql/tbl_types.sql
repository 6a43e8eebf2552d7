-- column types stored and read back
create table ty_t (i2 smallint, i4 int, i8 bigint, f4 real, f8 double precision, n numeric, n2 numeric(8,3),
                   t text, vc varchar(10), c char(4), b boolean, d date, ts timestamp, tz timestamptz,
                   iv interval, u uuid, by bytea);
insert into ty_t values (1, 2, 3, 1.5, 2.25, 12345678901234567890.123, 3.14159, 'hello', 'short', 'ab', true,
                         '2024-02-29', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05+02', '1 day 2 hours',
                         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\xdeadbeef');
insert into ty_t values (-32768, -2147483648, -9223372036854775808, -0.5, 1e300, -0.001, -99999.999, '', '', '', false,
                         '1999-12-31', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '-3 mons', '00000000-0000-0000-0000-000000000000', '\x');
insert into ty_t (i4) values (null);
select * from ty_t order by i4 nulls last;
select c, length(c), c = 'ab' from ty_t where c is not null order by c;
insert into ty_t (i2) values (40000);
insert into ty_t (vc) values ('elevenchars');
insert into ty_t (c) values ('abcde');
insert into ty_t (c) values ('abc   ');
insert into ty_t (d) values ('2024-02-30');
select count(*) from ty_t;
select i4 from ty_t where t = 'hello';
select i4 from ty_t where vc = 'short';
select i4 from ty_t where d > '2000-01-01';
select i4 from ty_t where n2 < 0;
select sum(i8) from ty_t where i8 > 0;
drop table ty_t;
