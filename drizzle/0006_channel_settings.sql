ALTER TABLE "tenant_settings" ADD COLUMN "channel_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_settings" DROP CONSTRAINT "tenant_settings_platform_tenant_id_pk";--> statement-breakpoint
ALTER TABLE "tenant_settings" ADD CONSTRAINT "tenant_settings_platform_tenant_id_channel_id_pk" PRIMARY KEY("platform","tenant_id","channel_id");--> statement-breakpoint
ALTER TABLE "settings_audit" ADD COLUMN "channel_id" text;
