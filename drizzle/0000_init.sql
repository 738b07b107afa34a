CREATE TABLE "conversation_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"tenant_id" text NOT NULL,
	"conversation_key" text NOT NULL,
	"role" text NOT NULL,
	"author_id" text,
	"author_name" text,
	"content" text NOT NULL,
	"platform_message_id" text,
	"job_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_settings" (
	"platform" text NOT NULL,
	"tenant_id" text NOT NULL,
	"model" text,
	"temperature" double precision,
	"top_p" double precision,
	"max_tokens" integer,
	"system_prompt" text,
	"image_model" text,
	"forget_admin_only" boolean,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_settings_platform_tenant_id_pk" PRIMARY KEY("platform","tenant_id")
);
--> statement-breakpoint
CREATE TABLE "usage" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"kind" text NOT NULL,
	"platform" text NOT NULL,
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"model" text NOT NULL,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"time_to_first_token_ms" integer,
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "conversation_messages_job_role" ON "conversation_messages" USING btree ("job_id","role");--> statement-breakpoint
CREATE INDEX "conversation_messages_conversation" ON "conversation_messages" USING btree ("platform","conversation_key","id");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_job" ON "usage" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "usage_tenant_time" ON "usage" USING btree ("platform","tenant_id","created_at");