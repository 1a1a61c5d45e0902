import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { AppError } from '../../shared/errors';

/**
 * Where a request carrying a user's key may never go: the cloud metadata services (they hand out the
 * machine's own credentials to whoever asks from inside it), link-local addresses in general, and
 * Switchyard's own listening address (a provider pointed at our own `/v1` turns one request into a
 * loop). Loopback and private ranges stay allowed: users run vLLM on another port and clusters on 10.x.
 *
 * Every spelling of an address meets the same rule: the WHATWG URL parser already turns decimal, hex
 * and octal IPv4 (`2852039166`, `0xa9fea9fe`, `0251.0376.0251.0376`) into dotted form, IPv4-mapped IPv6
 * is unwrapped here, host names are checked after DNS resolution, and the connection itself is checked
 * once more by its peer address (`NetClient`), so a name that resolves differently later gains nothing.
 */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6'); // AWS's IPv6 instance metadata
LINK_LOCAL.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud's metadata service

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

export const DESTINATION_HINT = 'Point the provider at the API of a model server (this machine on another port, your cluster, or a cloud API).';

/** `::ffff:169.254.169.254` and `::ffff:a9fe:a9fe` are IPv4 to the kernel: check them as IPv4. */
export function unmapIpv4(address: string): string {
  const a = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return a;
}

/** Why a peer address is refused (link-local or metadata), or null. */
export function forbiddenAddress(address: string): string | null {
  const a = unmapIpv4(address);
  const family = isIP(a);
  if (family === 0) return null;
  if (LINK_LOCAL.check(a, family === 4 ? 'ipv4' : 'ipv6')) return `${a} is a link-local or cloud-metadata address`;
  return null;
}

/** The addresses Switchyard's own API listens on (set once the server listens). */
export class SelfAddresses {
  private readonly listening: { host: string; port: number }[] = [];

  add(host: string, port: number): void {
    this.listening.push({ host: unmapIpv4(host), port });
  }

  /** Whether `address:port` (an IP, or `localhost`) reaches our own server. */
  has(address: string, port: number): boolean {
    const a = unmapIpv4(address);
    return this.listening.some((l) => {
      if (l.port !== port) return false;
      if (l.host === '0.0.0.0' || l.host === '::') return isLoopbackOrLocal(a);
      if (a === l.host) return true;
      return isLoopbackName(a) && isLoopbackName(l.host);
    });
  }
}

function isLoopbackName(a: string): boolean {
  return a === 'localhost' || a.endsWith('.localhost') || a === '::1' || /^127\./.test(a);
}

function isLoopbackOrLocal(a: string): boolean {
  if (isLoopbackName(a) || a === '0.0.0.0' || a === '::') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => unmapIpv4(i.address) === a));
}

function refuse(what: string): never {
  throw new AppError('destination_not_allowed', `${what}: Switchyard does not send keys or prompts there. ${DESTINATION_HINT}`);
}

/** The port a URL connects to, default ports included. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/**
 * The static check of a base URL (before it is stored, and before each request): metadata host names,
 * link-local addresses in any spelling, our own address. Resolves host names when `resolve` is given.
 */
export async function checkDestination(url: URL, self: SelfAddresses | null, resolve = true): Promise<void> {
  checkDestinationSync(url, self);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!resolve || isIP(host) !== 0) return;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    return; // not resolvable now: the connection's own check applies when it is
  }
  for (const { address } of addresses) {
    const why = forbiddenAddress(address);
    if (why) refuse(`${url.host} resolves to ${address}, and ${why}`);
    if (self?.has(address, portOf(url))) refuse(`${url.host} resolves to Switchyard's own address (${address} port ${portOf(url)})`);
  }
}

export function checkDestinationSync(url: URL, self: SelfAddresses | null): void {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  if (METADATA_HOSTS.has(host)) refuse(`${host} is a cloud metadata service`);
  const why = forbiddenAddress(host);
  if (why) refuse(why);
  if (self?.has(host, portOf(url))) refuse(`${url.host} is Switchyard's own API`);
}
