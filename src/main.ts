import { loadConfig, ConfigError } from './config/index.js';
import { createLogger } from './observability/logger.js';
import { startApp } from './app.js';

/** Process entry point: config, start, and graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`riskwire: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.log);
  const life = logger.child('lifecycle');
  process.on('unhandledRejection', (reason) => life.error('unhandled rejection', { error: reason }));

  let app;
  try {
    app = await startApp(config, { logger });
  } catch (err) {
    life.error('start-up failed', { error: err });
    process.exitCode = 1;
    return;
  }
  const running = app;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    life.info(`received ${signal}`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        life.error('shutdown failed', { error: err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
