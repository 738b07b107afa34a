ALTER TABLE "usage" ADD COLUMN "user_name" text;--> statement-breakpoint
ALTER TABLE "usage" ADD COLUMN "tokens_estimated" boolean DEFAULT false NOT NULL;