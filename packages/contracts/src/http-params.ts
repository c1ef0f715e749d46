/** HTTP-side pieces the seed 002 routes share: path ids, paging, the chunk upload reply. */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_OFFSET } from './audio-assets.js';
import { UserId } from './principal.js';

/** An asset id in a path or query: grpc-gateway's int64 as decimal digits. */
export const IdParam = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,19}$' }) });
export type IdParam = Static<typeof IdParam>;

export const UidParam = Type.Object({ uid: UserId });

/** `offset` and `limit` of the list routes. */
export const Paging = {
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};

/** What the chunk upload routes answer once a chunk is stored. */
export const ChunkReply = Type.Object({
  index: Type.Integer(),
  size: Type.String(),
  hash: Type.String(),
  duplicate: Type.Boolean(),
});
export type ChunkReply = Static<typeof ChunkReply>;
