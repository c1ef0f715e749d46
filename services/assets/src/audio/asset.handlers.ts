import { AudioAssetCommandSubjects as S } from '@media-vault/contracts';
import type { CommandHandlers, OutboxRelay } from '@media-vault/service-kit';
import { parseAssetId } from './access.rules.js';
import { toAudioAsset } from './asset.mapper.js';
import type { AssetUseCases } from './asset.use-cases.js';
import { downloadFile, downloadName } from './download.rules.js';

/** Every `svc.assets.*` command; the compiler insists on one handler per contract subject. */
export const assetHandlers = (
  { upload, merge, review, listing, deletion }: AssetUseCases,
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
      const { asset, exists } = await writing(upload.create(principal, req));
      return {
        id: asset.id,
        exists,
        chunkSize: asset.chunkSize,
        chunkCount: asset.chunkCount,
        asset,
      };
    },
    [S.assetChunks]: async (req, { principal }) => {
      const { asset, chunks } = await upload.chunks(principal, parseAssetId(req.id));
      return {
        id: asset.id.toString(),
        chunkSize: asset.chunkSize,
        chunkCount: asset.chunkCount,
        chunks,
      };
    },
    [S.assetChunkCommit]: async (req, { principal }) => {
      // A chunk enqueues nothing, so it does not wake the relay: that would be a transaction of
      // the relay's own per chunk, competing for Postgres with the uploads.
      const { chunk, duplicate } = await upload.chunkCommit(principal, {
        ...req,
        id: parseAssetId(req.id),
      });
      return { index: chunk.index, size: String(chunk.size), hash: chunk.hash, duplicate };
    },
    [S.assetMerge]: async (req, { principal }) => ({
      asset: await writing(merge.merge(principal, parseAssetId(req.id), req.submit ?? true)),
    }),
    [S.assetSubmit]: async (req, { principal }) => ({
      asset: await writing(merge.submit(principal, parseAssetId(req.id))),
    }),
    [S.assetListDrafts]: (req, { principal }) =>
      listing.listOwn(principal, req.uid, 'DRAFT', req.offset ?? 0, req.limit ?? 20),
    [S.assetDeleteDraft]: async (req, { principal }) => {
      await writing(deletion.deleteOwn(principal, parseAssetId(req.id), 'DRAFT'));
      return {};
    },
    [S.assetListRejects]: (req, { principal }) =>
      listing.listOwn(principal, req.uid, 'REJECT', req.offset ?? 0, req.limit ?? 20),
    [S.assetDeleteReject]: async (req, { principal }) => {
      await writing(deletion.deleteOwn(principal, parseAssetId(req.id), 'REJECT'));
      return {};
    },
    [S.assetFind]: (req, { principal }) =>
      listing.find(principal, req, req.offset ?? 0, req.limit ?? 20),
    [S.assetGet]: async (req, { principal }) => ({
      asset: toAudioAsset(await listing.get(principal, parseAssetId(req.id))),
    }),
    [S.assetDownload]: async (req, { principal }) => {
      const row = await listing.get(principal, parseAssetId(req.id));
      const kind = req.file ?? 0;
      const file = downloadFile(row, kind);
      return {
        cid: file.cid,
        size: Number(file.size),
        fileName: downloadName(row.name, kind),
        contentType: 'audio/mpeg',
      };
    },
    [S.assetResolve]: async (req, { principal }) => ({
      asset: await writing(review.review(principal, parseAssetId(req.id), 'resolve')),
    }),
    [S.assetReject]: async (req, { principal }) => ({
      asset: await writing(
        review.review(principal, parseAssetId(req.id), 'reject', req.reason ?? ''),
      ),
    }),
    [S.assetDisable]: async (req, { principal }) => ({
      asset: await writing(review.review(principal, parseAssetId(req.id), 'disable')),
    }),
    [S.assetRecover]: async (req, { principal }) => ({
      asset: await writing(review.review(principal, parseAssetId(req.id), 'recover')),
    }),
    [S.assetDelete]: async (req, { principal }) => ({
      asset: await writing(review.review(principal, parseAssetId(req.id), 'delete')),
    }),
  };
};
