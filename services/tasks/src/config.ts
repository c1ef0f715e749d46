import {
  BaseConfig,
  CommandServiceConfig,
  DatabaseConfig,
  loadConfig,
} from '@media-vault/service-kit';
import { Type, type Static } from '@sinclair/typebox';

export const TasksConfigSchema = Type.Object({
  ...BaseConfig,
  ...DatabaseConfig,
  ...CommandServiceConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9101 }),
});

export type TasksConfig = Static<typeof TasksConfigSchema>;

export const loadTasksConfig = (
  env: Record<string, string | undefined> = process.env,
): TasksConfig => loadConfig(TasksConfigSchema, env);
