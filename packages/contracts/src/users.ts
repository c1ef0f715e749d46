import { Type, type Static } from '@sinclair/typebox';
import { UserId } from './principal.js';

/** `GET /api/v1/users/me/`: named but undocumented in seed 000; built from the verified token. */
export const UserDetail = Type.Object({
  id: UserId,
  name: Type.String(),
  roles: Type.Array(Type.Integer()),
});
export type UserDetail = Static<typeof UserDetail>;
