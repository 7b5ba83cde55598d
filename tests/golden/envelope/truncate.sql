-- Truncate: op "t", null key, before and after null, no tombstone.
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
TRUNCATE public.customers;
