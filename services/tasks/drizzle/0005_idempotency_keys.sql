CREATE TABLE "tasks"."idempotency_keys" (
	"user_id" text NOT NULL,
	"key" text NOT NULL,
	"request_digest" text NOT NULL,
	"reply" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_user_id_key_pk" PRIMARY KEY("user_id","key")
);
