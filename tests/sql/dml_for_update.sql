-- SELECT ... FOR UPDATE / FOR SHARE (single session)
create table fu_t (id int primary key, v int);
insert into fu_t values (1, 10), (2, 20), (3, 30);
begin;
select * from fu_t where id = 2 for update;
update fu_t set v = v + 1 where id = 2;
select * from fu_t where v > 15 order by id for update;
select v from fu_t where id = 3 for share;
select * from fu_t order by id for update nowait;
select * from fu_t order by id for update skip locked;
commit;
select * from fu_t order by id;
select * from fu_t where id = 1 for no key update;
select * from fu_t where id = 1 for key share;
drop table fu_t;
