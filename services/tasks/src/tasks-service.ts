import { natsPermissions, Services } from '@media-vault/contracts';
import { Streams } from '@media-vault/contracts';
import {
  createPrincipalVerifier,
  createRuntime,
  databaseDrivers,
  principalKeysOf,
  serveCommands,
  type ServiceRuntime,
} from '@media-vault/service-kit';
import { fileURLToPath } from 'node:url';
import { agentHandlers } from './agents/agent.handlers.js';
import { auditHandlers } from './audit/audit.handlers.js';
import { AuditLog } from './audit/audit.use-case.js';
import { Agents } from './agents/agents.use-case.js';
import type { TasksConfig } from './config.js';
import { schema } from './db/index.js';
import { createMasterUseCases, masterTaskHandlers } from './master/master.handlers.js';
import { guardedHandlers } from './permissions.js';

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

export interface TasksService {
  readonly runtime: ServiceRuntime<typeof schema>;
  readonly healthPort: number;
  close(): Promise<void>;
}

/** Owns master sources, tasks, grants and agents; answers `svc.tasks.*`. */
export async function startTasksService(config: TasksConfig): Promise<TasksService> {
  const runtime = await createRuntime({
    service: Services.tasks,
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    natsCaFile: config.NATS_CA_FILE,
    natsInboxPrefix: natsPermissions({ kind: 'tasks' }).inboxPrefix,
    logLevel: config.LOG_LEVEL,
    healthPort: config.HEALTH_PORT,
    streams: [Streams.events.name, Streams.jobs.name],
    database: {
      schema,
      url: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      migrationsFolder,
      drivers: databaseDrivers,
    },
  });
  try {
    const agents = new Agents(runtime.database.db);
    const master = createMasterUseCases(runtime.database.db);
    const commands = await serveCommands(runtime.nc, {
      service: Services.tasks,
      version: '0.1.0',
      description:
        'Film master sources, upload/download/private tasks, grants, audit logs and agents',
      handlers: guardedHandlers({
        ...agentHandlers(agents, runtime.relay),
        ...masterTaskHandlers(master, runtime.relay),
        ...auditHandlers(new AuditLog(runtime.database.db), runtime.relay),
      }),
      log: runtime.log,
      metrics: runtime.metrics,
      verifier: createPrincipalVerifier(principalKeysOf(config.PRINCIPAL_KEYS)),
    });
    runtime.lifecycle.onClose('commands', () => commands.stop());
    const healthPort = await runtime.serveHealth();
    return { runtime, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
