-- A point taken for a call that will be settled counts as in flight until
-- rate_settle moves it to its answer's time (src/queue/rate-budget.ts): it is
-- recorded at now + p_flight_ms, so it outlives its window however long the
-- call takes; a call never settled (its worker died) frees it after the hold
-- and a window.
--
-- First messages that must wait queue up in each bucket by when they were
-- first refused (waiting_tickets, waiting_since): each is told to come back
-- when the point that falls to it frees, so they neither all wake for the
-- same point nor overtake each other; one that does not come back within
-- p_waiter_ttl_ms leaves the line (lua/budget-take.lua does the same).
--
-- rate_take of 0002 stays for a process of the previous version still running
-- during an upgrade.
ALTER TABLE rate_bucket ADD COLUMN waiting_tickets text[] NOT NULL DEFAULT '{}';
--> statement-breakpoint
ALTER TABLE rate_bucket ADD COLUMN waiting_since bigint[] NOT NULL DEFAULT '{}';
--> statement-breakpoint
CREATE OR REPLACE FUNCTION rate_take(p_keys text[], p_allowed int[], p_windows int[], p_rank int, p_grace int, p_ticket text, p_flight_ms int, p_waiter_ttl_ms int)
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
  queues boolean := p_rank = 0 AND p_waiter_ttl_ms > 0;
  line text[];
  line_since bigint[];
  ahead int;
  freeing int;
  rounds int;
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
        rounds := 0;
        IF queues THEN
          -- The waiters ahead in line take the points that free before this one's.
          SELECT coalesce(array_agg(w.ticket ORDER BY w.since, w.n), '{}'),
                 coalesce(array_agg(w.since ORDER BY w.since, w.n), '{}')
            INTO line, line_since
            FROM rate_bucket, unnest(waiting_tickets, waiting_since) WITH ORDINALITY AS w(ticket, since, n)
            WHERE key = p_keys[i] AND w.since > now_ms - p_waiter_ttl_ms;
          UPDATE rate_bucket SET waiting_tickets = line, waiting_since = line_since WHERE key = p_keys[i];
          ahead := coalesce(array_position(line, p_ticket) - 1, coalesce(array_length(line, 1), 0));
          freeing := cnt - idx;
          idx := idx + ahead % freeing;
          rounds := ahead / freeing;
        END IF;
        IF kept[idx + 1] > now_ms THEN
          -- Still in flight: it counts for a window from its answer, still to come.
          ms := win;
        ELSE
          ms := kept[idx + 1] + win - now_ms;
        END IF;
        ms := ms + rounds * win;
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
    IF queues THEN
      UPDATE rate_bucket SET waiting_tickets = waiting_tickets || p_ticket, waiting_since = waiting_since || now_ms
        WHERE key = ANY (p_keys) AND NOT (p_ticket = ANY (waiting_tickets));
    END IF;
    RETURN wait;
  END IF;
  UPDATE rate_bucket SET taken = taken || (now_ms + p_flight_ms), tickets = tickets || p_ticket
    WHERE key = ANY (p_keys);
  IF queues THEN
    UPDATE rate_bucket SET (waiting_tickets, waiting_since) = (
        SELECT coalesce(array_agg(w.ticket ORDER BY w.n), '{}'), coalesce(array_agg(w.since ORDER BY w.n), '{}')
        FROM unnest(waiting_tickets, waiting_since) WITH ORDINALITY AS w(ticket, since, n)
        WHERE w.ticket <> p_ticket)
      WHERE key = ANY (p_keys) AND p_ticket = ANY (waiting_tickets);
  END IF;
  RETURN 0;
END $$;
