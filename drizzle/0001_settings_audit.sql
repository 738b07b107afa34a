CREATE TABLE "settings_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"old_value" jsonb,
	"new_value" jsonb,
	"actor_id" text NOT NULL,
	"actor_name" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "settings_audit_tenant_time" ON "settings_audit" USING btree ("platform","tenant_id","at");