-- Table without a primary key (REPLICA IDENTITY FULL so deletes are published): null Kafka key,
-- and, as Debezium, a tombstone with a null key after the delete.
CREATE TABLE public.audit_log (happened timestamp NOT NULL, message text);
ALTER TABLE public.audit_log REPLICA IDENTITY FULL;
INSERT INTO public.audit_log VALUES ('2024-01-02 03:04:05', 'started');
DELETE FROM public.audit_log;
