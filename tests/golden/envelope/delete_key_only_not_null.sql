-- Delete with REPLICA IDENTITY DEFAULT from a table of NOT NULL columns of many types: PostgreSQL
-- sends the key only, and Debezium's value converters give each NOT NULL column their fallback
-- (0, false, "", empty bytes, the epoch, an empty array; a nullable column stays null).
-- Followed by a tombstone.
CREATE TYPE public.level AS ENUM ('low', 'high');
CREATE TABLE public.stock (
  id int4 PRIMARY KEY,
  small int2 NOT NULL,
  big int8 NOT NULL,
  single float4 NOT NULL,
  wide float8 NOT NULL,
  flag bool NOT NULL,
  price numeric(6,2) NOT NULL,
  amount numeric NOT NULL,
  label varchar(10) NOT NULL,
  blob bytea NOT NULL,
  day date NOT NULL,
  at_time time NOT NULL,
  stamp timestamp NOT NULL,
  stamp_tz timestamptz NOT NULL,
  span interval NOT NULL,
  ident uuid NOT NULL,
  doc jsonb NOT NULL,
  grade public.level NOT NULL,
  counts int4[] NOT NULL,
  cost money NOT NULL,
  note text
);
SET TimeZone = 'UTC';
INSERT INTO public.stock VALUES (7, 2, 3, 1.5, 2.5, true, 12.34, 5.6, 'x', '\x01', '2020-01-02',
  '01:02:03', '2020-01-02 03:04:05', '2020-01-02 03:04:05+00', '1 day', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a": 1}', 'high', '{1,2}', 9.99, 'n');
DELETE FROM public.stock WHERE id = 7;
