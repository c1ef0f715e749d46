import { ExitCode } from '../exit-codes.js';
import { renderTable } from '../table.js';
import type { CommandHandler } from './context.js';

/** `vault agents`: the agents registered for the caller (ids for --agent). */
export const agents: CommandHandler<'agents'> = async (ctx) => {
  const list = await ctx.api.listAgents();
  if (ctx.global.json) ctx.printJson(list);
  else if (list.length === 0) {
    ctx.print(
      'no agents: start one (npm run agent, or services/agent with AGENT_ID and AGENT_TOKEN) to register it',
    );
  } else {
    ctx.print(
      renderTable(
        ['id', 'name', 'peer id', 'registered', 'updated'],
        list.map((a) => [a.id, a.name || '-', a.peer_id, a.created_at, a.updated_at]),
      ),
    );
  }
  return ExitCode.ok;
};
