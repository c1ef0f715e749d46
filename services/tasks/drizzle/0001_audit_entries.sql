CREATE TABLE "tasks"."audit_entries" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"entry_id" text NOT NULL,
	"source_uuid" text NOT NULL,
	"kind" text NOT NULL,
	"at" text NOT NULL,
	"actor_user_id" text NOT NULL,
	"actor_agent" text,
	"data" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"signature_agent" text,
	"signing_key" text,
	"signature" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_entries_seq_check" CHECK ("tasks"."audit_entries"."seq" >= 1)
);
--> statement-breakpoint
ALTER TABLE "tasks"."audit_entries" ADD CONSTRAINT "audit_entries_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "tasks"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_entries_source_seq_idx" ON "tasks"."audit_entries" USING btree ("source_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_entries_source_entry_idx" ON "tasks"."audit_entries" USING btree ("source_id","entry_id");