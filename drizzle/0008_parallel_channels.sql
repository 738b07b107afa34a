ALTER TABLE "conversation_messages" ADD COLUMN "asked_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "conversation_messages" ADD COLUMN "stored_at" timestamp with time zone DEFAULT statement_timestamp() NOT NULL;--> statement-breakpoint
CREATE INDEX "conversation_messages_asked" ON "conversation_messages" USING btree ("platform","conversation_key","asked_at");--> statement-breakpoint

-- The rows stored before: asked and stored when they were created.
UPDATE "conversation_messages" SET "asked_at" = "created_at", "stored_at" = "created_at";
--> statement-breakpoint

-- Lanes in the conversation lines (src/queue/conversation-order.ts): a job
-- without one (null) waits for every job before it; a job in a lane (a shared
-- channel's question, in its author's lane) only for the earlier ones of its
-- lane and those without one. The functions of 0002 stay, for a process of the
-- previous version still running during an upgrade: they see no lanes.
ALTER TABLE conversation_line ADD COLUMN lane text;
--> statement-breakpoint

-- Appends a job in its lane unless its id was registered within p_ttl_ms; true
-- when appended. One transaction: the line's lock, taken by the registration,
-- is held until the lane is set.
CREATE OR REPLACE FUNCTION conversation_register(p_key text, p_job text, p_ttl_ms bigint, p_lane text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  added boolean;
BEGIN
  added := conversation_register(p_key, p_job, p_ttl_ms);
  IF added AND p_lane IS NOT NULL THEN
    UPDATE conversation_line SET lane = p_lane WHERE conversation_key = p_key AND job_id = p_job;
  END IF;
  RETURN added;
END $$;
--> statement-breakpoint

-- p_job itself when it may run, else the first job in its way. A job missing
-- from its line queues up again at the tail in the same step.
CREATE OR REPLACE FUNCTION conversation_take(p_key text, p_job text, p_lane text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  my_seq bigint;
  blocker text;
BEGIN
  PERFORM conversation_lock(p_key);
  SELECT seq INTO my_seq FROM conversation_line WHERE conversation_key = p_key AND job_id = p_job;
  IF my_seq IS NULL THEN
    INSERT INTO conversation_line (conversation_key, job_id, lane) VALUES (p_key, p_job, p_lane)
      RETURNING seq INTO my_seq;
  END IF;
  SELECT job_id INTO blocker FROM conversation_line
    WHERE conversation_key = p_key AND seq < my_seq
      AND (p_lane IS NULL OR lane IS NULL OR lane = p_lane)
    ORDER BY seq LIMIT 1;
  RETURN coalesce(blocker, p_job);
END $$;
--> statement-breakpoint

-- Removes a job from its line; returns the jobs it was in the way of that may
-- run now, in line order (all that may run when it was not in the line).
CREATE OR REPLACE FUNCTION conversation_leave(p_key text, p_job text) RETURNS text[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  gone_seq bigint;
  gone_lane text;
  woken text[] := '{}';
  seen text[] := '{}';
  first boolean := true;
  r record;
BEGIN
  PERFORM conversation_lock(p_key);
  DELETE FROM conversation_line WHERE conversation_key = p_key AND job_id = p_job
    RETURNING seq, lane INTO gone_seq, gone_lane;
  FOR r IN SELECT seq, job_id, lane FROM conversation_line WHERE conversation_key = p_key ORDER BY seq LOOP
    IF r.lane IS NULL THEN
      -- Nothing after a job without a lane may run before it.
      IF first AND (gone_seq IS NULL OR r.seq > gone_seq) THEN
        woken := woken || r.job_id;
      END IF;
      EXIT;
    END IF;
    IF NOT (r.lane = ANY (seen)) THEN
      seen := seen || r.lane;
      IF (gone_seq IS NULL OR r.seq > gone_seq) AND (gone_lane IS NULL OR r.lane = gone_lane) THEN
        woken := woken || r.job_id;
      END IF;
    END IF;
    first := false;
  END LOOP;
  RETURN woken;
END $$;
--> statement-breakpoint

-- What a question of a shared conversation sees (src/db/conversation-store.ts):
-- the exchanges stored before it arrived and its author's own, newest question
-- first. One call, so the lock below is held only while reading.
CREATE OR REPLACE FUNCTION conversation_history_seen(p_platform text, p_key text, p_arrived_ms double precision, p_author text, p_limit int)
RETURNS TABLE (role text, author_name text, content text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  behind double precision;
BEGIN
  -- The gateway's clock may be ahead of this one: wait (2 s at most) until this
  -- one has passed the arrival, so that no exchange stored after this read is
  -- dated before it.
  behind := p_arrived_ms - extract(epoch FROM clock_timestamp()) * 1000;
  IF behind > 0 THEN
    PERFORM pg_sleep(least(behind, 2000) / 1000.0);
  END IF;
  -- Exchanges are stored holding this lock shared and dated after taking it:
  -- once it is held alone, every exchange dated before now is committed, and
  -- this volatile function's next query sees them.
  PERFORM pg_advisory_xact_lock(hashtextextended('history' || chr(10) || p_platform || chr(10) || p_key, 0));
  RETURN QUERY
    SELECT m.role, m.author_name, m.content FROM conversation_messages m
    WHERE m.platform = p_platform AND m.conversation_key = p_key
      AND (m.stored_at < to_timestamp(p_arrived_ms / 1000.0)
           OR m.job_id IN (SELECT o.job_id FROM conversation_messages o
                           WHERE o.platform = p_platform AND o.conversation_key = p_key
                             AND o.role = 'user' AND o.author_id = p_author))
    ORDER BY m.asked_at DESC, m.job_id DESC, m.id DESC
    LIMIT p_limit;
END $$;
