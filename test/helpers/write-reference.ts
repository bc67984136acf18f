// npm run docs:functions — writes the function reference page from the registry and its docs.
import { writeFileSync } from 'node:fs';
import { generatedReference, REFERENCE_PATH } from './reference-page.js';

writeFileSync(REFERENCE_PATH, generatedReference());
console.log(`wrote ${REFERENCE_PATH}`);
