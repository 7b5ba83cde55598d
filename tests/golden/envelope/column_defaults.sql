-- Column DEFAULTs in the field schemas ("default"), as Debezium converts them: constants and casts
-- of constants; a function call (nextval of serial, now()) gives the type's placeholder (0, the
-- epoch); numeric without a scale and bytea get none. The DELETE's key-only before gives the NOT
-- NULL columns their default instead of the type's fallback.
CREATE TYPE public.tier AS ENUM ('basic', 'gold');
CREATE TABLE public.settings (
  id serial PRIMARY KEY,
  qty int4 NOT NULL DEFAULT 5,
  neg int8 DEFAULT -7,
  ratio float8 DEFAULT 1.5,
  small_ratio float4 DEFAULT 0.25,
  on_off bool NOT NULL DEFAULT true,
  price numeric(6,2) DEFAULT 9.5,
  amount numeric DEFAULT 1.5,
  title text NOT NULL DEFAULT 'untitled',
  code varchar(8) DEFAULT 'ab',
  created timestamptz NOT NULL DEFAULT now(),
  day date DEFAULT '2020-02-03',
  at_time time DEFAULT '12:34:56',
  ident uuid DEFAULT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  doc jsonb DEFAULT '{"k": 1}',
  level public.tier NOT NULL DEFAULT 'gold',
  span interval DEFAULT '1 day',
  blob bytea DEFAULT '\x00',
  note text
);
INSERT INTO public.settings (note) VALUES ('x');
DELETE FROM public.settings WHERE id = 1;
