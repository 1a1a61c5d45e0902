// The Node versions the toolchain really runs on (vite, rolldown and electron-vite need ^20.19 or
// >=22.12; Node 20.19 is also the first 20.x that loads ES modules through require(), which two of
// fastify's dependencies rely on). Kept equal to package.json "engines".
export const SUPPORTED = '^20.19.0 || >=22.12.0';

export function isSupported(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  if (major === 20) return minor >= 19;
  if (major === 22) return minor >= 12;
  return major > 22;
}

/** Calls fail(sentence) when this Node is too old for the project. */
export function checkNodeVersion(fail) {
  if (!isSupported()) fail(`Node ${process.versions.node} is too old for Switchyard: install Node 20.19+ or 22.12+ (engines "${SUPPORTED}"), e.g. with nvm, then run npm ci again.`);
}
