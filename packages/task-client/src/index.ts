export { briefly, MAX_REASON_LENGTH, type BlockReport, type DownloadReport } from './reports.js';
export { ignoreEnded, TaskApiError } from './task-api-error.js';
export {
  TaskClient,
  type GatewayEvent,
  type PrivateTaskListReply,
  type TaskClientOptions,
} from './task-client.js';
