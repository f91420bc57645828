#!/usr/bin/env node
/**
 * `npx aicc-chat-machine-simulator`: the simulator as a command (package.json `bin`), for
 * pointing an app or curl at a local AICC. Its own module because npm runs a command through a
 * symlink in node_modules/.bin, where cli.ts's "executed directly" check does not hold.
 */
import { main } from './cli.js';

void main();
