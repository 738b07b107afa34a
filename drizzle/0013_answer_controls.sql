CREATE TABLE "answer_feedback" (
	"job_id" text NOT NULL,
	"user_id" text NOT NULL,
	"platform" text NOT NULL,
	"tenant_id" text NOT NULL,
	"value" text NOT NULL,
	"model" text NOT NULL,
	"settings" jsonb NOT NULL,
	"answer" text NOT NULL,
	"voted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "answer_feedback_job_id_user_id_pk" PRIMARY KEY("job_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "answer_stops" (
	"job_id" text PRIMARY KEY NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "answer_versions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"replaced_by" text NOT NULL,
	"platform" text NOT NULL,
	"tenant_id" text NOT NULL,
	"conversation_key" text NOT NULL,
	"content" text NOT NULL,
	"replaced_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "answer_feedback_tenant" ON "answer_feedback" USING btree ("platform","tenant_id","model");--> statement-breakpoint
CREATE INDEX "answer_stops_time" ON "answer_stops" USING btree ("requested_at");--> statement-breakpoint
CREATE UNIQUE INDEX "answer_versions_job" ON "answer_versions" USING btree ("job_id");