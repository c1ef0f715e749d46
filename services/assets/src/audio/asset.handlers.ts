import { AssetBuckets, AudioAssetCommandSubjects as S, VaultError } from '@media-vault/contracts';
import type { CommandHandlers, OutboxRelay } from '@media-vault/service-kit';
import { parseAssetId } from './access.js';
import { toAudioAsset } from './asset.mapper.js';
import type { AssetRepository } from './asset.repository.js';
import { downloadName } from './download-name.js';

/** Every `svc.assets.*` command; the compiler insists on one handler per contract subject. */
export const assetHandlers = (
  assets: AssetRepository,
  relay: Pick<OutboxRelay, 'notify'>,
): CommandHandlers<'assets'> => {
  // Every write enqueues events (and maybe jobs) in its transaction; publish them right away.
  const writing = async <T>(work: Promise<T>): Promise<T> => {
    const result = await work;
    relay.notify();
    return result;
  };
  return {
    [S.assetCreate]: async (req, { principal }) => {
      const { asset, exists } = await writing(assets.create(principal, req));
      return {
        id: asset.id,
        exists,
        chunkSize: asset.chunkSize,
        chunkCount: asset.chunkCount,
        asset,
      };
    },
    [S.assetChunks]: async (req, { principal }) => {
      const { asset, chunks } = await assets.chunks(principal, parseAssetId(req.id));
      return {
        id: asset.id.toString(),
        chunkSize: asset.chunkSize,
        chunkCount: asset.chunkCount,
        chunks,
      };
    },
    [S.assetChunkBegin]: async (req, { principal }) => {
      const begin = await assets.chunkBegin(principal, parseAssetId(req.id), req.index);
      return {
        expectedSize: begin.expectedSize,
        alreadyStored: Boolean(begin.existing),
        bucket: AssetBuckets.chunks,
        object: begin.object,
      };
    },
    [S.assetChunkCommit]: async (req, { principal }) => {
      const { chunk, duplicate } = await writing(
        assets.chunkCommit(principal, { ...req, id: parseAssetId(req.id) }),
      );
      return { index: chunk.index, size: String(chunk.size), hash: chunk.hash, duplicate };
    },
    [S.assetMerge]: async (req, { principal }) => ({
      asset: await writing(assets.merge(principal, parseAssetId(req.id), req.submit ?? true)),
    }),
    [S.assetSubmit]: async (req, { principal }) => ({
      asset: await writing(assets.submit(principal, parseAssetId(req.id))),
    }),
    [S.assetListDrafts]: (req, { principal }) =>
      assets.listOwn(principal, req.uid, 'DRAFT', req.offset ?? 0, req.limit ?? 20),
    [S.assetDeleteDraft]: async (req, { principal }) => {
      await writing(assets.deleteOwn(principal, parseAssetId(req.id), 'DRAFT'));
      return {};
    },
    [S.assetListRejects]: (req, { principal }) =>
      assets.listOwn(principal, req.uid, 'REJECT', req.offset ?? 0, req.limit ?? 20),
    [S.assetDeleteReject]: async (req, { principal }) => {
      await writing(assets.deleteOwn(principal, parseAssetId(req.id), 'REJECT'));
      return {};
    },
    [S.assetFind]: (req, { principal }) =>
      assets.find(principal, req, req.offset ?? 0, req.limit ?? 20),
    [S.assetGet]: async (req, { principal }) => ({
      asset: toAudioAsset(await assets.get(principal, parseAssetId(req.id))),
    }),
    [S.assetDownload]: async (req, { principal }) => {
      const row = await assets.get(principal, parseAssetId(req.id));
      const kind = req.file ?? 0;
      const file = row.files.find((f) => f.file === kind);
      if (!file) {
        throw new VaultError(
          'notFound',
          `audio asset ${row.id} has no file=${kind} yet; it is ${row.status}`,
        );
      }
      return {
        cid: file.cid,
        size: Number(file.size),
        fileName: downloadName(row.name, kind),
        contentType: 'audio/mpeg',
      };
    },
    [S.assetResolve]: async (req, { principal }) => ({
      asset: await writing(assets.review(principal, parseAssetId(req.id), 'resolve')),
    }),
    [S.assetReject]: async (req, { principal }) => ({
      asset: await writing(assets.review(principal, parseAssetId(req.id), 'reject', req.reason)),
    }),
    [S.assetDisable]: async (req, { principal }) => ({
      asset: await writing(assets.review(principal, parseAssetId(req.id), 'disable')),
    }),
    [S.assetRecover]: async (req, { principal }) => ({
      asset: await writing(assets.review(principal, parseAssetId(req.id), 'recover')),
    }),
    [S.assetDelete]: async (req, { principal }) => ({
      asset: await writing(assets.review(principal, parseAssetId(req.id), 'delete')),
    }),
  };
};
