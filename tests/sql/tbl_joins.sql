-- joins over stored tables
create table j_emp (id int primary key, name text, dept int, boss int);
create table j_dept (id int primary key, title text);
insert into j_dept values (1, 'eng'), (2, 'ops'), (3, 'empty');
insert into j_emp values (1, 'ann', 1, null), (2, 'bob', 1, 1), (3, 'cy', 2, 1), (4, 'dee', null, 2);
select e.name, d.title from j_emp e join j_dept d on e.dept = d.id order by e.name;
select e.name, d.title from j_emp e left join j_dept d on e.dept = d.id order by e.name;
select e.name, d.title from j_emp e right join j_dept d on e.dept = d.id order by d.title, e.name;
select e.name, d.title from j_emp e full join j_dept d on e.dept = d.id order by 1, 2;
select e.name, b.name as boss from j_emp e join j_emp b on e.boss = b.id order by 1;
select d.title, count(e.id) from j_dept d left join j_emp e on e.dept = d.id group by d.title order by 1;
select name from j_emp where dept in (select id from j_dept where title = 'eng') order by 1;
select title from j_dept d where not exists (select 1 from j_emp e where e.dept = d.id);
select e.name, (select title from j_dept where id = e.dept) from j_emp e order by 1;
select * from j_emp natural join (select id, title from j_dept) x order by 1;
select e.name, d.title from j_emp e, j_dept d where e.dept = d.id and d.id = 1 order by 1;
select e.name from j_emp e join j_dept d using (id) order by 1;
drop table j_emp;
drop table j_dept;
