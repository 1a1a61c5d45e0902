import { z } from 'zod';

// Imported first by main.tsx, before any schema is built or parsed. zod compiles object parsers with
// `new Function` when it may; the page's Content-Security-Policy has no 'unsafe-eval', so even zod's probe
// (caught by zod) is reported as a CSP violation in the console. jitless parsing never tries.
z.config({ jitless: true });
