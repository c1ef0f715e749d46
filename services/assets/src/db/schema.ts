import type { AssetFile, AssetStatus, AudioProbe } from '@media-vault/contracts';
import { idempotencyKeysTable, outboxTable } from '@media-vault/service-kit';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * Everything the assets service stores, its outbox and drizzle's migrations table live in the
 * `assets` Postgres schema, so it can share one database with the other services.
 */
export const assetsSchema = pgSchema('assets');

export const outbox = outboxTable(assetsSchema);
export const idempotencyKeys = idempotencyKeysTable(assetsSchema);

export const audioAssets = assetsSchema.table(
  'audio_assets',
  {
    id: bigserial({ mode: 'bigint' }).primaryKey(),
    userId: text().notNull(),
    name: text().notNull(),
    size: bigint({ mode: 'bigint' }).notNull(),
    hash: text().notNull(),
    status: text().$type<AssetStatus>().notNull(),
    reason: text().notNull().default(''),
    chunkSize: integer().notNull(),
    chunkCount: integer().notNull(),
    merged: boolean().notNull().default(false),
    /** Whether a successful merge goes straight to SUBMIT (Merge's `submit`, default true). */
    submitOnMerge: boolean().notNull().default(true),
    mergeJobId: text(),
    probe: jsonb().$type<AudioProbe>(),
    files: jsonb().$type<AssetFile[]>().notNull().default([]),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('audio_assets_hash_idx').on(t.hash),
    index('audio_assets_user_status_idx').on(t.userId, t.status),
    index('audio_assets_status_idx').on(t.status),
  ],
);

export const audioChunks = assetsSchema.table(
  'audio_chunks',
  {
    assetId: bigint({ mode: 'bigint' })
      .notNull()
      .references(() => audioAssets.id, { onDelete: 'cascade' }),
    index: integer().notNull(),
    object: text().notNull(),
    size: integer().notNull(),
    hash: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.assetId, t.index] })],
);

/** Every review transition, with who made it and why. */
export const audioReviews = assetsSchema.table(
  'audio_reviews',
  {
    id: bigserial({ mode: 'bigint' }).primaryKey(),
    assetId: bigint({ mode: 'bigint' }).notNull(),
    reviewerId: text().notNull(),
    fromStatus: text().$type<AssetStatus>().notNull(),
    toStatus: text().$type<AssetStatus>().notNull(),
    reason: text().notNull().default(''),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('audio_reviews_asset_idx').on(t.assetId)],
);

export type AudioAssetRow = typeof audioAssets.$inferSelect;
export type AudioChunkRow = typeof audioChunks.$inferSelect;
