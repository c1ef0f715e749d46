-- The migrator creates the schema first, to hold its own table there.
CREATE SCHEMA IF NOT EXISTS "tasks";
--> statement-breakpoint
CREATE TABLE "tasks"."agents" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"peer_id" text NOT NULL,
	"public_key" text NOT NULL,
	"signing_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks"."download_tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"user_id" text NOT NULL,
	"agent" text,
	"status" smallint DEFAULT 0 NOT NULL,
	"percent" smallint DEFAULT 0 NOT NULL,
	"private_status" smallint DEFAULT 0 NOT NULL,
	"private_name" text DEFAULT '' NOT NULL,
	"private_size" double precision DEFAULT 0 NOT NULL,
	"private_hash" text DEFAULT '' NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "download_tasks_status_check" CHECK ("tasks"."download_tasks"."status" between 0 and 9),
	CONSTRAINT "download_tasks_percent_check" CHECK ("tasks"."download_tasks"."percent" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "tasks"."grants" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"user_id" text NOT NULL,
	"granted_by" text NOT NULL,
	"not_before" timestamp with time zone,
	"not_after" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks"."outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"msg_id" text NOT NULL,
	"subject" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_msgId_unique" UNIQUE("msg_id")
);
--> statement-breakpoint
CREATE TABLE "tasks"."private_tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"download_id" integer NOT NULL,
	"source_id" integer NOT NULL,
	"user_id" text NOT NULL,
	"status" smallint DEFAULT 0 NOT NULL,
	"percent" smallint DEFAULT 0 NOT NULL,
	"ip" text DEFAULT '' NOT NULL,
	"file" text DEFAULT '' NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"size" double precision DEFAULT 0 NOT NULL,
	"hash" text DEFAULT '' NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "private_tasks_downloadId_unique" UNIQUE("download_id"),
	CONSTRAINT "private_tasks_status_check" CHECK ("tasks"."private_tasks"."status" between 0 and 9),
	CONSTRAINT "private_tasks_percent_check" CHECK ("tasks"."private_tasks"."percent" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "tasks"."sources" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"series_id" integer NOT NULL,
	"uuid" text NOT NULL,
	"source_name" text NOT NULL,
	"ingest_path" text,
	"sealed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks"."upload_tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"user_id" text NOT NULL,
	"status" smallint DEFAULT 0 NOT NULL,
	"percent" smallint DEFAULT 0 NOT NULL,
	"ip" text DEFAULT '' NOT NULL,
	"file" text DEFAULT '' NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"size" double precision DEFAULT 0 NOT NULL,
	"hash" text DEFAULT '' NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "upload_tasks_sourceId_unique" UNIQUE("source_id"),
	CONSTRAINT "upload_tasks_status_check" CHECK ("tasks"."upload_tasks"."status" between 0 and 9),
	CONSTRAINT "upload_tasks_percent_check" CHECK ("tasks"."upload_tasks"."percent" between 0 and 100)
);
--> statement-breakpoint
ALTER TABLE "tasks"."download_tasks" ADD CONSTRAINT "download_tasks_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "tasks"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks"."grants" ADD CONSTRAINT "grants_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "tasks"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks"."private_tasks" ADD CONSTRAINT "private_tasks_download_id_download_tasks_id_fk" FOREIGN KEY ("download_id") REFERENCES "tasks"."download_tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks"."private_tasks" ADD CONSTRAINT "private_tasks_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "tasks"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks"."upload_tasks" ADD CONSTRAINT "upload_tasks_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "tasks"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agents_user_id_idx" ON "tasks"."agents" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "download_tasks_open_idx" ON "tasks"."download_tasks" USING btree ("user_id","source_id") WHERE "tasks"."download_tasks"."status" not in (8, 9);--> statement-breakpoint
CREATE INDEX "download_tasks_source_id_idx" ON "tasks"."download_tasks" USING btree ("source_id");--> statement-breakpoint
CREATE UNIQUE INDEX "grants_source_user_idx" ON "tasks"."grants" USING btree ("source_id","user_id");--> statement-breakpoint
CREATE INDEX "private_tasks_user_id_idx" ON "tasks"."private_tasks" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sources_user_id_idx" ON "tasks"."sources" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "upload_tasks_user_id_idx" ON "tasks"."upload_tasks" USING btree ("user_id");