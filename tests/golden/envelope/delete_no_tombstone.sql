-- Delete with tombstones_on_delete: false: only the "d" record.
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
DELETE FROM public.customers WHERE id = 1004;
