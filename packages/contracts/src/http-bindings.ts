import { AuditBindings } from './audit-bindings.js';
import { AudioAssetBindings } from './audio-asset-bindings.js';
import type { HttpBinding } from './http-binding.js';
import { AgentBindings, MasterTaskBindings, SourceBindings } from './master-task-bindings.js';

/** Every HTTP route that is one command, in the order the gateway mounts them. */
export const HttpBindings: readonly HttpBinding[] = [
  ...AgentBindings,
  ...MasterTaskBindings,
  ...SourceBindings,
  ...AuditBindings,
  ...AudioAssetBindings,
];
