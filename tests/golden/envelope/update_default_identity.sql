-- Update with REPLICA IDENTITY DEFAULT: pgoutput sends no old tuple, so before is null.
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
UPDATE public.customers SET email = 'anne2@example.com' WHERE id = 1004;
