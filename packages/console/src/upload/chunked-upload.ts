import { api, csrfHeaders, must } from '../api/client';

export type UploadState = 'hashing' | 'uploading' | 'merging' | 'done' | 'failed';

export interface UploadProgress {
  readonly name: string;
  readonly state: UploadState;
  readonly sentBytes: number;
  readonly totalBytes: number;
  /** Chunks the server already held when this attempt started (a resumed upload). */
  readonly resumedChunks: number;
  readonly assetId?: string;
  /** The asset's status after the merge (SUBMIT, or MERGING while the files are made). */
  readonly status?: string;
  readonly error?: string;
}

/** An upload that was started and not merged, remembered across page reloads by file hash. */
export interface PendingUpload {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly hash: string;
}

const KEY = 'media-vault.pending-uploads';

export function pendingUploads(): PendingUpload[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '[]') as PendingUpload[];
  } catch {
    return [];
  }
}
const savePending = (list: PendingUpload[]) => localStorage.setItem(KEY, JSON.stringify(list));
const remember = (upload: PendingUpload) =>
  savePending([...pendingUploads().filter((p) => p.hash !== upload.hash), upload]);
const forget = (hash: string) => savePending(pendingUploads().filter((p) => p.hash !== hash));

const hex = (buffer: ArrayBuffer) =>
  [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (blob: Blob) =>
  hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));

/**
 * Uploads one file in the chunks the assets service plans, the way tus clients resume: the file's
 * hash names the upload, so dropping the same file after a reload (or a lost connection) asks
 * `Chunks` what is already stored and sends only the rest; then it merges and submits.
 */
export async function uploadFile(
  file: File,
  report: (progress: UploadProgress) => void,
): Promise<UploadProgress> {
  let progress: UploadProgress = {
    name: file.name,
    state: 'hashing',
    sentBytes: 0,
    totalBytes: file.size,
    resumedChunks: 0,
  };
  const update = (change: Partial<UploadProgress>) => {
    progress = { ...progress, ...change };
    report(progress);
    return progress;
  };
  try {
    update({});
    const hash = await sha256(file);
    const known = pendingUploads().find((p) => p.hash === hash && p.size === file.size);
    let plan = known
      ? await api.GET('/api/v1/assets/audio/chunks', { params: { query: { id: known.id } } })
      : undefined;
    let id = known?.id;
    if (!plan?.data) {
      const created = must(
        await api.POST('/api/v1/assets/audio', {
          body: { name: file.name, size: String(file.size), hash },
        }),
      );
      if (created.exists) {
        return update({
          state: 'done',
          sentBytes: file.size,
          assetId: created.id,
          status: created.asset.status,
        });
      }
      id = created.id;
      remember({ id, name: file.name, size: file.size, hash });
      plan = await api.GET('/api/v1/assets/audio/chunks', { params: { query: { id } } });
    }
    const { chunkSize, chunkCount, chunks } = must(plan);
    const stored = new Set(chunks.map((c) => c.index));
    let sent = chunks.reduce((sum, c) => sum + Number(c.size), 0);
    update({ state: 'uploading', assetId: id, resumedChunks: stored.size, sentBytes: sent });
    for (let index = 0; index < chunkCount; index++) {
      if (stored.has(index)) continue;
      const slice = file.slice(index * chunkSize, Math.min(file.size, (index + 1) * chunkSize));
      const chunkHash = await sha256(slice);
      const response = await fetch(
        `/api/v1/assets/audio/chunk_file/${id}?index=${index}&hash=${chunkHash}`,
        {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/octet-stream', ...csrfHeaders() },
          body: slice,
        },
      );
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        throw new Error(body.message ?? `chunk ${index}: HTTP ${response.status}`);
      }
      sent += slice.size;
      update({ sentBytes: sent });
    }
    update({ state: 'merging' });
    const merged = must(
      await api.POST('/api/v1/assets/audio/merge', { body: { id: id!, submit: true } }),
    );
    forget(hash);
    return update({ state: 'done', status: merged.asset.status });
  } catch (err) {
    return update({ state: 'failed', error: err instanceof Error ? err.message : String(err) });
  }
}
