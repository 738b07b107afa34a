CREATE TABLE "answer_stops" (
	"job_id" text PRIMARY KEY NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "answer_stops_time" ON "answer_stops" USING btree ("requested_at");