import type { AssetsDatabase } from './index.js';

/** A transaction on the assets database, as repositories receive it from a use case. */
export type AssetsTx = Parameters<Parameters<AssetsDatabase['transaction']>[0]>[0];
