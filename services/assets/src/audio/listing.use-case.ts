import type { AssetStatus, AudioAsset, Principal } from '@media-vault/contracts';
import type { AssetsDatabase } from '../db/index.js';
import type { AudioAssetRow } from '../db/schema.js';
import { canSee, notFound } from './access.rules.js';
import { toAudioAsset } from './asset.mapper.js';
import { findAsset, pageAssets } from './asset.repository.js';
import {
  ownListFilter,
  searchFilter,
  type AssetFilter,
  type SearchQuery,
} from './listing.rules.js';

export interface Page {
  readonly items: AudioAsset[];
  readonly total: string;
}

/** What callers may read: their own lists, the search, one asset. */
export class ListingUseCase {
  constructor(private readonly db: AssetsDatabase) {}

  async listOwn(
    p: Principal,
    uid: string,
    status: AssetStatus,
    offset: number,
    limit: number,
  ): Promise<Page> {
    return this.page(ownListFilter(p, uid, status), offset, limit);
  }

  async find(p: Principal, q: SearchQuery, offset: number, limit: number): Promise<Page> {
    return this.page(searchFilter(p, q), offset, limit);
  }

  async get(p: Principal, id: bigint): Promise<AudioAssetRow> {
    const row = await findAsset(this.db, id);
    if (!row || !canSee(p, row)) throw notFound(id);
    return row;
  }

  private async page(filter: AssetFilter, offset: number, limit: number): Promise<Page> {
    const { rows, total } = await pageAssets(this.db, filter, offset, limit);
    return { items: rows.map(toAudioAsset), total: String(total) };
  }
}
