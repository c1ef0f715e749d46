ALTER TABLE "tasks"."agents" ADD COLUMN "owner_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks"."grants" ADD COLUMN "signed_grant" jsonb;--> statement-breakpoint
ALTER TABLE "tasks"."grants" ADD COLUMN "signed_revocation" jsonb;