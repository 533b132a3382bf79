/**
 * `vigil check web-config FILE...`: validates web configuration files like
 * `promtool check web-config`: `FILE SUCCESS` on stdout, or `FILE FAILED: <error>` on
 * stderr (the error located at `FILE:LINE:COL` with the field's path); exit code 0
 * when all are valid, 1 otherwise. Certificates, keys, CAs and token files are loaded
 * as the server would load them; bcrypt hashes are checked for shape and cost.
 */
import type { Command } from './cli.js';
import { loadWebConfig } from './web_config.js';

/** Where the check prints. */
export interface CheckWebConfigOutput {
  log(s: string): void;
  err(s: string): void;
}

/** Checks each file; returns the exit code. */
export async function runCheckWebConfig(files: readonly string[], out: CheckWebConfigOutput): Promise<number> {
  let failed = false;
  for (const file of files) {
    try {
      const cfg = await loadWebConfig(file);
      out.log(`${file} SUCCESS`);
      for (const w of cfg.warnings) out.log(`  WARNING: ${w}`);
      if (cfg.tls === null && (cfg.users.size > 0 || cfg.tokens.length > 0)) {
        out.log(`  WARNING: ${file}: credentials are configured without tls_server_config; they travel in clear text`);
      }
    } catch (e) {
      out.err(`${file} FAILED: ${e instanceof Error ? e.message : String(e)}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

/** The `vigil check web-config` command. */
export const checkWebConfigCommand: Command = {
  path: ['check', 'web-config'],
  summary: 'Check that web config files (--web.config.file) are valid (exit 0 valid, 1 invalid, as promtool).',
  args: 'FILE...',
  positionals: { min: 1, max: -1 },
  flags: [],
  description: 'Checks TLS files, bcrypt hashes, bearer tokens and scopes; errors name the file, line, column and field.',
  run: (args, io) => runCheckWebConfig(args.positionals, io),
};
