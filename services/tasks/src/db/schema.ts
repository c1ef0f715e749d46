import { outbox } from '@media-vault/service-kit';
import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export { outbox };

/** ipfs-worker instances registered by their user; the keys are what sealing and release use. */
export const agents = pgTable(
  'agents',
  {
    id: text().primaryKey(),
    userId: text().notNull(),
    name: text().notNull().default(''),
    peerId: text().notNull(),
    publicKey: text().notNull(),
    signingKey: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('agents_user_id_idx').on(t.userId)],
);

export type AgentRow = typeof agents.$inferSelect;
