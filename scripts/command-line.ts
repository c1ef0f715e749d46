import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Says what is wrong with a development script's command line, with its usage, and exits 2. */
export function usageError(usage: string, message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

/** The options of a development script, or its usage and exit code 2 on a bad command line. */
export function commandLine<O extends NonNullable<ParseArgsConfig['options']>>(
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    return usageError(usage, (err as Error).message);
  }
}
