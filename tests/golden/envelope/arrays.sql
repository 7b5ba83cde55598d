-- One-dimensional arrays: NULL elements, quoting and escapes, empty arrays, element logical types.
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.arrays (
  id int4 PRIMARY KEY,
  ints int4[],
  bigs int8[],
  texts text[],
  prices numeric(5,2)[],
  days date[],
  flags bool[],
  idents uuid[],
  feelings public.mood[],
  blobs bytea[],
  stamps timestamptz[]
);
SET TimeZone = 'UTC';
INSERT INTO public.arrays VALUES
  (1, '{1,2,NULL}', '{9223372036854775807,-1}', ARRAY['a b', 'c"d', NULL, 'NULL', '', 'plain', 'back\slash', '{x}'],
      '{1.50,-2.25,NULL}', '{2020-01-01,NULL,1969-12-31}', '{t,f}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
      '{sad,happy}', ARRAY['\xdead'::bytea, NULL], '{"2020-09-27 13:37:24.5+00"}'),
  (2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
