-- Dates and times with every precision class, BC dates, infinities, the 24:00 time, pre-epoch values.
-- Session time zone Europe/Berlin, so timestamptz text carries +01/+02 offsets.
SET TimeZone = 'Europe/Berlin';
CREATE TABLE public.temporal (
  id int4 PRIMARY KEY,
  day date,
  clock time,
  clock_ms time(3),
  clock_s time(0),
  stamp timestamp,
  stamp_ms timestamp(3),
  zoned timestamptz,
  zoned_ms timestamptz(3),
  zoned_s timestamptz(0)
);
INSERT INTO public.temporal VALUES
  (1, '2020-09-27', '15:37:24.058468', '15:37:24.058', '15:37:24',
      '2020-09-27 15:37:24.058468', '2020-09-27 15:37:24.058', '2020-09-27 15:37:24.058468+02',
      '2020-09-27 15:37:24.058+02', '2020-09-27 15:37:24+02'),
  (2, '1969-12-31', '00:00:00', '00:00:00.001', '00:00:00',
      '1969-12-31 23:59:59.5', '1969-12-31 23:59:59.999', '1970-01-01 00:59:59.000001+01',
      '2021-01-01 00:00:00+01', '2000-02-29 12:00:00+01'),
  (3, '0044-03-15 BC', '24:00:00', '23:59:59.999', '23:59:59',
      '0044-03-15 12:00:00 BC', '0001-01-01 00:00:00', '0044-03-15 12:00:00 BC',
      '10000-01-01 00:00:00+01', '1900-01-01 00:00:00+01'),
  (4, 'infinity', NULL, NULL, NULL,
      'infinity', '-infinity', 'infinity', '-infinity', NULL),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
