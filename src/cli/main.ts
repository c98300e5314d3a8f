#!/usr/bin/env node
import { runCli } from './run-cli.js';
import { processIo } from './output.js';

runCli(process.argv.slice(2), process.env, processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`riskwire: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
