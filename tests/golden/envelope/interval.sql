-- interval as io.debezium.time.MicroDuration: months of 365.25/12 days, negative and mixed-sign
-- fields, fractional seconds, hours past 24, the int64 ends of the range, arrays of interval.
-- Sent with IntervalStyle = postgres (the daemon sets it). Row 8 is 1000000, not 1000001: Debezium
-- sums the fields in double and truncates, and so do we. Row 10 is printed as
-- '-2562047788:00:54.775808', a form PostgreSQL writes but does not read back.
CREATE TABLE public.durations (
  id int4 PRIMARY KEY,
  span interval,
  spans interval[]
);
INSERT INTO public.durations VALUES
  (1, '1 year 2 mons 3 days 04:05:06.789', '{"1 day",NULL,"-1 years -2 mons +3 days -04:05:06",00:00:00}'),
  (2, '-1 years -2 mons +3 days -04:05:06', '{}'),
  (3, '3 days', ARRAY['1 mon'::interval, '-00:00:00.000001']),
  (4, '00:00:00', NULL),
  (5, '-00:00:00.000001', NULL),
  (6, '1 day -00:00:00.000001', NULL),
  (7, '25:00:00.5', NULL),
  (8, '00:00:01.000001', NULL),
  (9, '2562047788:00:54.775807', NULL),
  (10, '-2562047788 hours -54.775808 secs', NULL),
  (11, '292271 years', NULL),
  (12, NULL, NULL);
