-- Types Debezium maps that no other case has: oid (int64), macaddr8 and the range types (their
-- text), timetz (io.debezium.time.ZonedTime in UTC, arrays too), ltree (io.debezium.data.Ltree,
-- arrays too), tsvector (io.debezium.data.Tsvector), hstore (io.debezium.data.Json: an object in
-- Java HashMap order, which Debezium's map gives it) and isbn (text). Session time zone Europe/Berlin.
SET TimeZone = 'Europe/Berlin';
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS isn;
CREATE TABLE public.more_types (
  id int4 PRIMARY KEY,
  o oid,
  m8 macaddr8,
  tz timetz,
  tz3 timetz(3),
  tza timetz[],
  r4 int4range,
  r8 int8range,
  rn numrange,
  rts tsrange,
  rtz tstzrange,
  rd daterange,
  lt ltree,
  lta ltree[],
  tv tsvector,
  hs hstore,
  ib isbn,
  oa oid[],
  tva tsvector[],
  hsa hstore[],
  iba isbn[]
);
INSERT INTO public.more_types VALUES
  (1, 4000000000, '08:00:2b:01:02:03:04:05', '10:34:56.789+02', '23:59:59.1234-05:30',
      ARRAY['01:02:03+00'::timetz, NULL], '[1,10)', '[5,)', '(1.5,2.5]',
      '[2020-01-01 00:00,2020-01-02 00:00)', '[2020-01-01 00:00+00,2020-01-02 00:00+00)',
      '[2020-01-01,2020-02-01)', 'Top.Science.Astronomy', ARRAY['a.b'::ltree, 'c'],
      'a fat cat sat on a mat', 'a=>1, b=>NULL, "c d"=>"x"', '978-0-393-04002-9',
      '{1,4000000000}', ARRAY['a b'::tsvector], ARRAY['a=>1'::hstore, NULL],
      ARRAY['978-0-393-04002-9'::isbn]),
  (2, 0, NULL, '00:00:00+14', '12:00:00.5-00:30', '{}', 'empty', '(,)', NULL, NULL, NULL, NULL,
      '', '{}', '', '', NULL, '{}', '{}', '{}', '{}'),
  (3, NULL, NULL, '24:00:00-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      'k01=>1, k02=>2, k03=>3, k04=>4, k05=>5, k06=>6, k07=>7, k08=>8, k09=>9, k10=>10, k11=>11,
       k12=>12, k13=>13, k14=>14, k15=>15, k16=>16, k17=>17, k18=>18, k19=>19, k20=>20, zz=>y, a=>b',
      NULL, NULL, NULL, NULL, NULL),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      '"q\"uote"=>"back\\slash", "ключ"=>"значение", "tab	in"=>"line
break", "é"=>NULL', NULL, NULL, NULL, NULL, NULL);
