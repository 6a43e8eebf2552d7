-- RETURNING for INSERT, UPDATE, DELETE
create table ret_t (id serial primary key, name text not null, score int default 0);
insert into ret_t (name) values ('ann') returning id;
insert into ret_t (name, score) values ('bob', 5), ('cy', 7) returning *;
insert into ret_t (name) values ('dee') returning id * 10 as tenfold, upper(name) nm, score;
update ret_t set score = score + 1 where name in ('bob', 'cy') returning name, score;
update ret_t set score = 0 where false returning *;
delete from ret_t where score = 0 returning name;
select * from ret_t order by id;
insert into ret_t (name) values ('eve') returning ret_t.name, ret_t.score;
insert into ret_t (name) values ('fay') returning nosuch;
drop table ret_t;
