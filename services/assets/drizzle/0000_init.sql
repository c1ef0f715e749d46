-- The migrator creates the schema first, to hold its own table there.
CREATE SCHEMA IF NOT EXISTS "assets";
--> statement-breakpoint
CREATE TABLE "assets"."audio_assets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"size" bigint NOT NULL,
	"hash" text NOT NULL,
	"status" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"chunk_size" integer NOT NULL,
	"chunk_count" integer NOT NULL,
	"merged" boolean DEFAULT false NOT NULL,
	"submit_on_merge" boolean DEFAULT true NOT NULL,
	"merge_job_id" text,
	"probe" jsonb,
	"files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assets"."audio_chunks" (
	"asset_id" bigint NOT NULL,
	"index" integer NOT NULL,
	"object" text NOT NULL,
	"size" integer NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audio_chunks_asset_id_index_pk" PRIMARY KEY("asset_id","index")
);
--> statement-breakpoint
CREATE TABLE "assets"."audio_reviews" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"asset_id" bigint NOT NULL,
	"reviewer_id" text NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assets"."outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"msg_id" text NOT NULL,
	"subject" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_msgId_unique" UNIQUE("msg_id")
);
--> statement-breakpoint
ALTER TABLE "assets"."audio_chunks" ADD CONSTRAINT "audio_chunks_asset_id_audio_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "assets"."audio_assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audio_assets_hash_idx" ON "assets"."audio_assets" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "audio_assets_user_status_idx" ON "assets"."audio_assets" USING btree ("user_id","status");--> statement-breakpoint
CREATE INDEX "audio_assets_status_idx" ON "assets"."audio_assets" USING btree ("status");--> statement-breakpoint
CREATE INDEX "audio_reviews_asset_idx" ON "assets"."audio_reviews" USING btree ("asset_id");