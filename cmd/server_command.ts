/**
 * `vigil server`: parses the server flags, starts the server and runs the
 * process lifecycle Prometheus users expect:
 * - SIGHUP re-reads the configuration (a failed reload keeps the old one and logs why);
 * - SIGTERM/SIGINT (and `POST /-/quit`) shut down cleanly: stop HTTP, close storage, exit 0;
 *   a second SIGTERM/SIGINT during shutdown exits at once with code 1.
 * Start-up failures (bad config, port in use, storage) exit 1 after logging the reason.
 */
import type { Command, CommandIo, ParsedArgs } from './cli.js';
import { SERVER_FLAGS, serverFlagsFrom } from './flags.js';
import { StructuredLogger } from './logger.js';
import { type RunningServer, startServer } from './server.js';

/** The `vigil server` command. */
export const serverCommand: Command = {
  path: ['server'],
  summary: 'Run the Vigil server: storage, scraping, PromQL API, rules and alerting, remote write/read, cluster manager and web UI.',
  args: '',
  positionals: { min: 0, max: 0 },
  flags: SERVER_FLAGS,
  description:
    'Signals: SIGHUP reloads the configuration; SIGTERM or SIGINT shut down cleanly (a second one forces exit).\n' +
    'Without --config.file, ./prometheus.yml is used when present, else an embedded default configuration.',
  run: runServer,
};

async function runServer(args: ParsedArgs, _io: CommandIo): Promise<number> {
  const flags = serverFlagsFrom(args);
  const logger = new StructuredLogger({ level: flags.logLevel, format: flags.logFormat });

  let server: RunningServer | null = null;
  let stopping = false;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });

  const shutdown = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.warn('Received shutdown request, exiting gracefully...', { reason: why });
    const s = server;
    if (s === null) return; // start-up is still running; handled once startServer settles
    s.close().then(
      () => resolveExit(0),
      (e: unknown) => {
        logger.error('Error during shutdown', { err: e instanceof Error ? e.message : String(e) });
        resolveExit(1);
      },
    );
  };

  const onTerm = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error('Received a second signal during shutdown, exiting immediately', { signal });
      process.exit(1);
    }
    shutdown(signal);
  };
  // A SIGHUP while start-up tasks still run (the server answers /-/ready before they finish) is kept and
  // applied once startServer returns, so a reload asked for early is never lost.
  let pendingHup = false;
  const onHup = () => {
    if (stopping) return;
    if (server === null) {
      pendingHup = true;
      logger.info('Received SIGHUP during start-up; reloading once start-up completes');
      return;
    }
    logger.info('Received SIGHUP, reloading configuration');
    void server.reload();
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  process.on('SIGHUP', onHup);

  try {
    server = await startServer(flags, { logger, onQuit: () => shutdown('/-/quit') });
  } catch (e) {
    logger.error('Vigil could not start', { err: e instanceof Error ? e.message : String(e) });
    removeHandlers(onTerm, onHup);
    return 1;
  }
  if (stopping) {
    // A signal arrived while starting: finish the shutdown now that there is a server to close.
    stopping = false;
    shutdown('signal during start-up');
  }
  if (pendingHup && !stopping) {
    logger.info('Reloading configuration (SIGHUP received during start-up)');
    void server.reload();
  }
  const code = await exited;
  removeHandlers(onTerm, onHup);
  return code;
}

function removeHandlers(onTerm: (s: NodeJS.Signals) => void, onHup: () => void): void {
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onTerm);
  process.off('SIGHUP', onHup);
}
