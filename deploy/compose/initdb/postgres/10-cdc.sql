-- The sample database and tributary's least-privilege role (README, "PostgreSQL prerequisites"):
-- LOGIN REPLICATION and SELECT on the captured tables; it owns nothing, so the publication is
-- created here by the owner and named in the config (source.publication: tributary_shop).
-- Runs once, as the superuser, in the database POSTGRES_DB (shop). Demo password: change it.
CREATE ROLE cdc WITH LOGIN REPLICATION PASSWORD 'cdc-demo';

CREATE TABLE public.customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text
);
CREATE TABLE public.orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES public.customers (id),
  amount numeric(10, 2) NOT NULL,
  status text NOT NULL DEFAULT 'new',
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.orders REPLICA IDENTITY FULL;   -- "before" holds the whole old row

INSERT INTO public.customers (name, email) VALUES
  ('Ada', 'ada@example.com'), ('Grace', 'grace@example.com'), ('Linus', 'linus@example.com');
INSERT INTO public.orders (customer_id, amount) VALUES (1, 10.50), (2, 99.99), (3, 5.00);

GRANT CONNECT ON DATABASE shop TO cdc;
GRANT USAGE ON SCHEMA public TO cdc;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cdc;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO cdc;
CREATE PUBLICATION tributary_shop FOR TABLE public.customers, public.orders;
