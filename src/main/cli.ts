import { runCli } from './cli/run';

/**
 * `switchyard` CLI (`npm run cli -- <command>`): the UI's verbs over the local API of a running
 * Switchyard. Ctrl-C aborts the signal, which cancels a pull in progress before exiting.
 */
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
  tty: process.stderr.isTTY === true,
  readStdin: async () => {
    let text = '';
    process.stdin.setEncoding('utf8');
    for await (const chunk of process.stdin) text += chunk as string;
    return text;
  },
});
process.exitCode = code;
