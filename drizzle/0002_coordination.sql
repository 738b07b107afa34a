-- Coordination across processes when the queue runs on Postgres (no REDIS_URL):
-- per-conversation lines, the shared rate budget and learned rate limits.
-- The same rules as the Redis scripts in src/queue; every step is one
-- function call, atomic under an advisory lock or row locks.

CREATE OR REPLACE FUNCTION chutes_now_ms() RETURNS bigint
LANGUAGE sql VOLATILE AS $$ SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
--> statement-breakpoint

CREATE TABLE conversation_line (
  conversation_key text NOT NULL,
  seq bigserial NOT NULL,
  job_id text NOT NULL,
  PRIMARY KEY (conversation_key, seq),
  UNIQUE (conversation_key, job_id)
);
--> statement-breakpoint
CREATE TABLE conversation_member (
  job_id text PRIMARY KEY,
  registered_at bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX conversation_member_registered_at ON conversation_member (registered_at);
--> statement-breakpoint

-- Every change to a conversation's line holds its advisory lock until commit,
-- so a head is never judged while an earlier arrival is still uncommitted.
CREATE OR REPLACE FUNCTION conversation_lock(p_key text) RETURNS void
LANGUAGE sql VOLATILE AS $$ SELECT pg_advisory_xact_lock(hashtextextended('conversation:' || p_key, 0)) $$;
--> statement-breakpoint

-- Appends a job unless its id was registered within p_ttl_ms; true when appended.
CREATE OR REPLACE FUNCTION conversation_register(p_key text, p_job text, p_ttl_ms bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  now_ms bigint;
BEGIN
  PERFORM conversation_lock(p_key);
  now_ms := chutes_now_ms();
  -- Marks that outlived their time, a few at a time (the Redis marks expire).
  DELETE FROM conversation_member WHERE job_id IN (
    SELECT job_id FROM conversation_member
    WHERE registered_at < now_ms - p_ttl_ms LIMIT 100 FOR UPDATE SKIP LOCKED);
  INSERT INTO conversation_member (job_id, registered_at) VALUES (p_job, now_ms)
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO conversation_line (conversation_key, job_id) VALUES (p_key, p_job)
    ON CONFLICT DO NOTHING;
  RETURN true;
END $$;
--> statement-breakpoint

-- The head of the line after this step: p_job itself when it is its turn. A job
-- missing from its line queues up again at the tail in the same step.
CREATE OR REPLACE FUNCTION conversation_take(p_key text, p_job text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  head text;
BEGIN
  PERFORM conversation_lock(p_key);
  SELECT job_id INTO head FROM conversation_line WHERE conversation_key = p_key ORDER BY seq LIMIT 1;
  IF head = p_job THEN
    RETURN head;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM conversation_line WHERE conversation_key = p_key AND job_id = p_job) THEN
    INSERT INTO conversation_line (conversation_key, job_id) VALUES (p_key, p_job);
    IF head IS NULL THEN
      RETURN p_job;
    END IF;
  END IF;
  RETURN head;
END $$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION conversation_drop_head(p_key text, p_job text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM conversation_lock(p_key);
  DELETE FROM conversation_line WHERE conversation_key = p_key AND job_id = p_job
    AND seq = (SELECT min(seq) FROM conversation_line WHERE conversation_key = p_key);
END $$;
--> statement-breakpoint

-- Removes a job from its line; returns the new head.
CREATE OR REPLACE FUNCTION conversation_remove(p_key text, p_job text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  head text;
BEGIN
  PERFORM conversation_lock(p_key);
  DELETE FROM conversation_line WHERE conversation_key = p_key AND job_id = p_job;
  SELECT job_id INTO head FROM conversation_line WHERE conversation_key = p_key ORDER BY seq LIMIT 1;
  RETURN head;
END $$;
--> statement-breakpoint

-- The budget's tables are unlogged: a Postgres crash empties them, which only
-- forgets the last few seconds of requests; every take is then cheap to commit.
CREATE UNLOGGED TABLE rate_bucket (
  key text PRIMARY KEY,
  -- When each point in the current window was taken or settled (ms), and its ticket.
  taken bigint[] NOT NULL DEFAULT '{}',
  tickets text[] NOT NULL DEFAULT '{}',
  demand_first_until bigint NOT NULL DEFAULT 0,
  demand_final_until bigint NOT NULL DEFAULT 0,
  used_at bigint NOT NULL DEFAULT 0
);
--> statement-breakpoint
CREATE INDEX rate_bucket_used_at ON rate_bucket (used_at);
--> statement-breakpoint
CREATE UNLOGGED TABLE rate_owed (
  key text NOT NULL,
  answer_id text NOT NULL,
  until bigint NOT NULL,
  PRIMARY KEY (key, answer_id)
);
--> statement-breakpoint

-- Takes a point from every bucket, or returns how long to wait (ms): the
-- sliding log of rate-budget.ts. p_rank: 0 first message, 1 final render,
-- 2 update. A lower priority stands back while a higher one is marked as
-- waiting; an update also leaves the points owed to final renders; a higher
-- priority that must wait marks its buckets for the length of its wait.
CREATE OR REPLACE FUNCTION rate_take(p_keys text[], p_allowed int[], p_windows int[], p_rank int, p_grace int, p_ticket text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  now_ms bigint;
  wait bigint := 0;
  allowed int;
  win int;
  cnt int;
  idx int;
  ms bigint;
  kept bigint[];
  kept_tickets text[];
BEGIN
  INSERT INTO rate_bucket (key) SELECT k FROM unnest(p_keys) AS k ORDER BY k ON CONFLICT DO NOTHING;
  -- Rows locked in one order, so takes over shared buckets never deadlock.
  PERFORM 1 FROM rate_bucket WHERE key = ANY (p_keys) ORDER BY key FOR UPDATE;
  -- The time once the rows are ours: a take that waited for a lock counts from now.
  now_ms := chutes_now_ms();
  IF p_rank > 0 THEN
    SELECT greatest(0, max(CASE WHEN p_rank > 1 THEN greatest(demand_first_until, demand_final_until)
                               ELSE demand_first_until END) - now_ms)
      INTO wait FROM rate_bucket WHERE key = ANY (p_keys);
    IF wait > 0 THEN
      RETURN wait;
    END IF;
  END IF;
  FOR i IN 1 .. array_length(p_keys, 1) LOOP
    allowed := p_allowed[i];
    win := p_windows[i];
    IF p_rank = 2 THEN
      allowed := allowed - (SELECT count(*) FROM rate_owed WHERE key = p_keys[i] AND until > now_ms);
    END IF;
    SELECT coalesce(array_agg(u.t ORDER BY u.t, u.n), '{}'),
           coalesce(array_agg(u.ticket ORDER BY u.t, u.n), '{}')
      INTO kept, kept_tickets
      FROM rate_bucket, unnest(taken, tickets) WITH ORDINALITY AS u(t, ticket, n)
      WHERE key = p_keys[i] AND u.t > now_ms - win;
    UPDATE rate_bucket SET taken = kept, tickets = kept_tickets, used_at = now_ms WHERE key = p_keys[i];
    cnt := coalesce(array_length(kept, 1), 0);
    IF cnt >= allowed THEN
      IF cnt > 0 THEN
        -- The point whose expiry leaves this priority one (the oldest, when it may use none).
        idx := least(cnt - 1, greatest(0, cnt - allowed));
        ms := kept[idx + 1] + win - now_ms;
      ELSE
        ms := win;
      END IF;
      wait := greatest(wait, ms);
    END IF;
  END LOOP;
  IF wait > 0 THEN
    IF p_rank = 0 THEN
      UPDATE rate_bucket SET demand_first_until = greatest(demand_first_until, now_ms + wait + p_grace)
        WHERE key = ANY (p_keys);
    ELSIF p_rank = 1 THEN
      UPDATE rate_bucket SET demand_final_until = greatest(demand_final_until, now_ms + wait + p_grace)
        WHERE key = ANY (p_keys);
    END IF;
    RETURN wait;
  END IF;
  UPDATE rate_bucket SET taken = taken || now_ms, tickets = tickets || p_ticket WHERE key = ANY (p_keys);
  RETURN 0;
END $$;
--> statement-breakpoint

-- The call a point was taken for was answered: the point counts from now.
CREATE OR REPLACE FUNCTION rate_settle(p_keys text[], p_ticket text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  now_ms bigint;
BEGIN
  PERFORM 1 FROM rate_bucket WHERE key = ANY (p_keys) ORDER BY key FOR UPDATE;
  now_ms := chutes_now_ms();
  UPDATE rate_bucket SET taken[array_position(tickets, p_ticket)] = now_ms
    WHERE key = ANY (p_keys) AND array_position(tickets, p_ticket) IS NOT NULL;
END $$;
--> statement-breakpoint

CREATE TABLE learned_rate (
  platform text NOT NULL,
  op text NOT NULL,
  rule text NOT NULL,
  PRIMARY KEY (platform, op)
);
