import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { parse } from 'yaml';

/**
 * KServe's own InferenceService CRD, as reference data for a cross-check in tests only: the project
 * never needs it at run time and never ships it. It lives beside the checkouts (`../shared/kserve/…`
 * from the main checkout, `../../shared/kserve/…` from a worktree), or where SWITCHYARD_KSERVE_CRD says.
 */
const CRD_FILE = join('shared', 'kserve', 'serving.kserve.io_inferenceservices.yaml');
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function findKserveCrd(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SWITCHYARD_KSERVE_CRD) return existsSync(env.SWITCHYARD_KSERVE_CRD) ? env.SWITCHYARD_KSERVE_CRD : null;
  for (let dir = REPO_ROOT; ; dir = dirname(dir)) {
    const candidate = join(dir, CRD_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

export type CrdValidate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/**
 * The CRD's `openAPIV3Schema` for v1beta1 as an ajv validator. Compiling the 2 MB schema takes seconds,
 * so the compiled code (ajv standalone) is kept under node_modules/.cache, keyed by the CRD's hash and
 * ajv's version; later runs import it. Kubernetes' own keywords (`x-kubernetes-*`) and formats (int32,
 * int64, date-time) carry no constraint ajv would check, so they are accepted as they are.
 */
export async function crdValidator(file: string): Promise<CrdValidate> {
  const text = readFileSync(file);
  const ajvVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'ajv', 'package.json'), 'utf8')) as { version: string }).version;
  const key = createHash('sha256').update(text).update(ajvVersion).digest('hex').slice(0, 16);
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache', 'switchyard-kserve-crd');
  const cached = join(cacheDir, `isvc-v1beta1-${key}.cjs`);
  if (!existsSync(cached)) {
    const crd = parse(text.toString('utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] } };
    const version = crd.spec.versions.find((v) => v.name === 'v1beta1');
    if (!version) throw new Error(`${file} has no v1beta1 version`);
    const ajv = new Ajv({ strict: false, allErrors: true, formats: { int32: true, int64: true, 'date-time': true }, code: { source: true } });
    const code = standaloneCode(ajv, ajv.compile(version.schema.openAPIV3Schema));
    mkdirSync(cacheDir, { recursive: true });
    // written under another name, then renamed: two test workers never import half a file
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, cached);
  }
  const mod = (await import(pathToFileURL(cached).href)) as { default: CrdValidate };
  return mod.default;
}
