-- Initial snapshot of three rows: op "r", source.snapshot "first", "true", "last".
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
INSERT INTO public.customers VALUES (1, 'a@example.com', NULL), (2, 'b@example.com', 'vip'), (3, 'c@example.com', NULL);
-- (the rows are then read by the snapshot: SELECT * FROM public.customers)
