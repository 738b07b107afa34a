ALTER TABLE "tenant_settings" ADD COLUMN "daily_token_limit" integer;--> statement-breakpoint
ALTER TABLE "tenant_settings" ADD COLUMN "daily_image_limit" integer;