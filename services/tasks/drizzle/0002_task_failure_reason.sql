ALTER TABLE "download_tasks" ADD COLUMN "reason" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "private_tasks" ADD COLUMN "reason" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "upload_tasks" ADD COLUMN "reason" text DEFAULT '' NOT NULL;