ALTER TABLE "tenant_settings" ADD COLUMN "show_reasoning" boolean;--> statement-breakpoint
ALTER TABLE "tenant_settings" ADD COLUMN "suggested_prompts" text;