#!/usr/bin/env node
// The CLI compiled by `npm run build` (tsc -p tsconfig.build.json).
import '../dist/src/cli/main.js';
