#!/usr/bin/env node
/**
 * `npx aicc-chat-machine-demo`: the package's command (package.json `bin`). A complete chat in
 * the terminal against the embedded simulator, or a real AICC server with --base-url (see
 * `--help`). Its own module because npm runs a command through a symlink in node_modules/.bin,
 * where cli.ts's "executed directly" check does not hold.
 */
import { main } from './cli.js';

void main();
