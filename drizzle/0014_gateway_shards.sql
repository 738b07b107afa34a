-- Custom SQL migration file, put your code below! --
-- Gateway shard coordination on Postgres (src/queue/pg-shards.ts): leases per
-- shard and the live processes, stored gateway sessions, and the identify
-- gate's next start per bucket. Times are milliseconds of chutes_now_ms()
-- (the database's clock_timestamp()), never a process's clock.
CREATE TABLE gateway_shard_member (
  shard_count integer NOT NULL,
  owner text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (shard_count, owner)
);
--> statement-breakpoint
CREATE TABLE gateway_shard_lease (
  shard_count integer NOT NULL,
  shard_id integer NOT NULL,
  owner text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (shard_count, shard_id)
);
--> statement-breakpoint
CREATE TABLE gateway_session (
  shard_id integer PRIMARY KEY,
  shard_count integer NOT NULL,
  session_id text NOT NULL,
  sequence bigint NOT NULL,
  resume_url text NOT NULL,
  expires_at bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE gateway_identify (
  bucket integer PRIMARY KEY,
  next_at bigint NOT NULL
);
