import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

type Env = Record<string, string | undefined>;

/**
 * Variables naming a PEM bundle to trust: Node's own, OpenSSL's (`SSL_CERT_FILE`, what curl and
 * httpx read), requests' (`REQUESTS_CA_BUNDLE`, huggingface_hub's older transport) and curl's.
 * Each is added to Node's bundled roots rather than replacing them, so setting one for a corporate
 * proxy does not cut off the public Hub.
 */
export const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'] as const;

export interface ExtraCa {
  /** the full list to trust (Node's roots + the extra PEMs), or undefined when nothing is added */
  ca: string[] | undefined;
  /** files that could not be read, with why (logged, not fatal: the Hub may not need them) */
  problems: string[];
}

/**
 * Node reads NODE_EXTRA_CA_CERTS only from its own environment at start-up; the core may run with
 * another env (tests, the CLI's `--data-dir` children), so the files are read here and given to
 * every TLS connection explicitly.
 */
export function extraCaFromEnv(env: Env): ExtraCa {
  const extra: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of CA_VARIABLES) {
    const file = env[name]?.trim();
    if (!file || seen.has(file)) continue;
    seen.add(file);
    try {
      const pem = readFileSync(file, 'utf8');
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
      extra.push(pem);
    } catch (error) {
      problems.push(`${name}=${file}: ${(error as Error).message}`);
    }
  }
  return { ca: extra.length ? [...rootCertificates, ...extra] : undefined, problems };
}

const contexts = new Map<string, SecureContext>();

/**
 * TLS options trusting `ca`, with one SecureContext per distinct list for the whole process: given
 * `ca` itself, every connection parses the full bundle again (~45 ms of CPU for Node's roots plus a
 * system bundle), which on a download over a few connections cost more than its hashing.
 */
export function tlsTrusting(ca: string[] | undefined): { secureContext: SecureContext } | undefined {
  if (!ca) return undefined;
  const key = ca.join('\n');
  let secureContext = contexts.get(key);
  if (!secureContext) contexts.set(key, (secureContext = createSecureContext({ ca })));
  return { secureContext };
}
