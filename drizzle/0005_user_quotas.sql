ALTER TABLE "tenant_settings" ADD COLUMN "daily_user_token_limit" integer;--> statement-breakpoint
ALTER TABLE "tenant_settings" ADD COLUMN "daily_user_image_limit" integer;