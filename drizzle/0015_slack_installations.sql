CREATE TABLE "slack_enterprise_teams" (
	"team_id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_installations" (
	"key" text PRIMARY KEY NOT NULL,
	"team_id" text,
	"enterprise_id" text,
	"is_enterprise_install" boolean DEFAULT false NOT NULL,
	"app_id" text,
	"bot_user_id" text NOT NULL,
	"bot_id" text,
	"scopes" text DEFAULT '' NOT NULL,
	"bot_token" text NOT NULL,
	"bot_refresh_token" text,
	"bot_expires_at" timestamp with time zone,
	"installed_by" text,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
