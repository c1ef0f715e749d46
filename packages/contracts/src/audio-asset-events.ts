import type { Static } from '@sinclair/typebox';
import { AssetStatusSchema, AudioAsset } from './audio-assets.js';
import { StatusEvent } from './events.js';

/** Every change of an audio asset's status is one event type; the record is the whole asset. */
export const AudioAssetEventTypes = {
  status: 'audio.asset.status',
} as const;

export const AudioAssetEvent = StatusEvent(AudioAsset, AssetStatusSchema);
export type AudioAssetEvent = Static<typeof AudioAssetEvent>;
