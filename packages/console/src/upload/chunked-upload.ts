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
  /** Why the upload waits (a lost connection it will retry). */
  readonly notice?: string;
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

/** Waits between attempts at a chunk whose request never reached the gateway: about 2 minutes. */
export const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000, 15000, 30000, 30000];

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Resolves once the browser believes it is online again, or after `ms`, whichever is first. */
const onlineOrAfter = (ms: number) =>
  new Promise<void>((done) => {
    const finish = () => {
      window.removeEventListener('online', finish);
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(finish, ms);
    window.addEventListener('online', finish);
  });

/**
 * Sends one request again while it fails without an answer (fetch rejects: the connection is
 * gone), so a dropped Wi-Fi or a restarted proxy does not end the upload; the file is still in
 * the page. An answer, even an error, is returned at once.
 */
async function withRetries<T>(
  send: () => Promise<T>,
  waiting: (notice: string | undefined) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await send();
      if (attempt > 0) waiting(undefined);
      return response;
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined) {
        throw new Error(
          'the connection was lost: drop the same file again to resume (the chunks sent so far are kept)',
          { cause: err },
        );
      }
      waiting(`connection lost, trying again in ${Math.round(delay / 1000)} s`);
      if (navigator.onLine) await sleep(delay);
      else await onlineOrAfter(delay);
    }
  }
}

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
      // One key for this create, sent again with every retry: a create whose answer was lost
      // answers the draft it made instead of making a second one.
      const idempotencyKey = `console-${crypto.randomUUID()}`;
      const created = must(
        await withRetries(
          () =>
            api.POST('/api/v1/assets/audio', {
              body: { name: file.name, size: String(file.size), hash },
              headers: { 'Idempotency-Key': idempotencyKey },
            }),
          (notice) => update({ notice }),
        ),
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
      const response = await withRetries(
        () =>
          fetch(`/api/v1/assets/audio/chunk_file/${id}?index=${index}&hash=${chunkHash}`, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'content-type': 'application/octet-stream', ...csrfHeaders() },
            body: slice,
          }),
        (notice) => update({ notice }),
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
