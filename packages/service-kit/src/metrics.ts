import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per process, with the default process metrics and command metrics. */
export class Metrics {
  readonly registry = new Registry();
  private readonly commands: Counter<'subject' | 'outcome'>;
  private readonly commandSeconds: Histogram<'subject'>;
  private readonly jobsGivenUp: Counter<'subject'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.commands = new Counter({
      name: 'vault_commands_total',
      help: 'Commands handled, by subject and outcome (ok or error kind)',
      labelNames: ['subject', 'outcome'],
      registers: [this.registry],
    });
    this.commandSeconds = new Histogram({
      name: 'vault_command_duration_seconds',
      help: 'Time to handle a command',
      labelNames: ['subject'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.jobsGivenUp = new Counter({
      name: 'vault_jobs_given_up_total',
      help: 'Jobs given up (a permanent failure or the last delivery), by subject: work that will not happen unless someone acts',
      labelNames: ['subject'],
      registers: [this.registry],
    });
  }

  countJobGivenUp(subject: string): void {
    this.jobsGivenUp.inc({ subject });
  }

  observeCommand(subject: string, outcome: string, seconds: number): void {
    this.commands.inc({ subject, outcome });
    this.commandSeconds.observe({ subject }, seconds);
  }
}
