export function bundleService(
  serviceDir: string,
  outfile: string,
  logLevel?: 'info' | 'warning' | 'error' | 'silent',
): Promise<{ entry: string; bundle: string }>;
